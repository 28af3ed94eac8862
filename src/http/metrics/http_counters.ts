/**
 * HTTP responses counted by route and status for `GET /metrics` (docs/OBSERVABILITY.md
 * `rinha_http_responses_total`).
 *
 * @module
 */

/** One counted series: `[route, status code, responses]`. */
export type HttpCount = [route: string, status: number, count: number];

/**
 * HTTP responses counted by route and status. The route is a fixed label (the matched path, or
 * `unmatched` for a 404 on an unknown path), so the number of series stays bounded whatever
 * clients send.
 */
export class HttpCounters {
  readonly #byRoute: Record<string, Record<number, number>> = Object.create(null);

  /** Counts one response; a plain object increment, cheap enough for the hot path. */
  count(route: string, status: number): void {
    const byStatus = this.#byRoute[route] ??= Object.create(null);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }

  /** Every `[route, status, count]` so far. */
  snapshot(): HttpCount[] {
    const out: HttpCount[] = [];
    for (const route of Object.keys(this.#byRoute)) {
      const byStatus = this.#byRoute[route];
      for (const status of Object.keys(byStatus)) {
        out.push([route, Number(status), byStatus[Number(status)]]);
      }
    }
    return out;
  }
}
