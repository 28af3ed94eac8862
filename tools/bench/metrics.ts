/**
 * What a run measures: the score's latency histogram, the POST outcomes and a per-window
 * timeseries, all in fixed memory.
 *
 * The score's p99 is k6's `http_req_duration{expected_response:true}`: every request of the test
 * (POSTs, summaries, admin calls) answered with a 2xx/3xx status counts (docs/CONTRACT.md §4). Timeouts and
 * transport errors have status 0 in k6 and never enter it.
 *
 * @module
 */

import { LatencyHistogram } from "./histogram.ts";

/** Statuses the official script counts as a successful payment request (rinha-final.js). */
export const SUCCESS_STATUSES: ReadonlySet<number> = new Set([200, 201, 202, 204]);

/** k6's `expected_response`: a status in 200–399. */
function isExpectedStatus(status: number): boolean {
  return status >= 200 && status < 400;
}

/** One closed window of the timeseries. Times in ms from the start of the load. */
export interface WindowPoint {
  /** Window start offset, ms. */
  t: number;
  /** Window length, ms. */
  len: number;
  /** POSTs completed in the window (any outcome). */
  posts: number;
  /** POSTs with a success status. */
  ok: number;
  /** POSTs that failed: other status, timeout or transport error. */
  fail: number;
  /** POSTs that hit the client timeout. */
  timeouts: number;
  /** Latency of the successful POSTs completed in the window, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Planned VUs at the end of the window. */
  vus: number;
}

/** Counters of POST /payments outcomes. */
export interface PostCounts {
  total: number;
  ok: number;
  fail: number;
  timeouts: number;
  errors: number;
  /** Count per HTTP status (0 = timeout or transport error). */
  byStatus: Record<string, number>;
}

/** Options of {@linkcode RunMetrics}. */
interface RunMetricsOptions {
  /** Window length of the timeseries, ms. Default 1000. */
  windowMs?: number;
  /** Most windows kept; later ones are dropped (and counted). Default 20,000. */
  maxWindows?: number;
}

/** Collects every measurement of one run. Not thread-safe (single event loop). */
export class RunMetrics {
  /** Every expected-status request of the test: the score's p99. */
  readonly expected: LatencyHistogram = new LatencyHistogram();
  /** Successful `POST /payments` only. */
  readonly posts: LatencyHistogram = new LatencyHistogram();
  readonly counts: PostCounts = { total: 0, ok: 0, fail: 0, timeouts: 0, errors: 0, byStatus: {} };
  readonly windows: WindowPoint[] = [];
  droppedWindows = 0;
  readonly windowMs: number;
  readonly #maxWindows: number;
  readonly #window = new LatencyHistogram({ precisionBits: 7 });
  #windowStart = 0;
  #w = { posts: 0, ok: 0, fail: 0, timeouts: 0 };

  constructor(options: RunMetricsOptions = {}) {
    this.windowMs = options.windowMs ?? 1000;
    this.#maxWindows = options.maxWindows ?? 20_000;
  }

  /** Records a non-POST request of the test (summary, admin call). */
  recordOther(status: number, ms: number): void {
    if (isExpectedStatus(status)) this.expected.record(ms);
  }

  /**
   * Records one `POST /payments`.
   * @param status HTTP status, or 0 for a timeout/transport error
   * @param ms request duration in ms
   * @param timedOut whether the client timeout fired
   */
  recordPost(status: number, ms: number, timedOut: boolean): void {
    const c = this.counts;
    c.total++;
    this.#w.posts++;
    c.byStatus[status] = (c.byStatus[status] ?? 0) + 1;
    if (isExpectedStatus(status)) this.expected.record(ms);
    if (SUCCESS_STATUSES.has(status)) {
      c.ok++;
      this.#w.ok++;
      this.posts.record(ms);
      this.#window.record(ms);
    } else {
      c.fail++;
      this.#w.fail++;
      if (timedOut) {
        c.timeouts++;
        this.#w.timeouts++;
      } else if (status === 0) c.errors++;
    }
  }

  /** Starts the timeseries clock. @param offsetMs offset of "now" from the start of the load */
  startWindows(offsetMs = 0): void {
    this.#windowStart = offsetMs;
  }

  /**
   * Closes every window that ended before `offsetMs` (ms since the start of the load).
   * @param vus planned VUs now, stored in the closed window(s)
   */
  closeWindows(offsetMs: number, vus: number): void {
    while (offsetMs >= this.#windowStart + this.windowMs) {
      const h = this.#window;
      const point: WindowPoint = {
        t: this.#windowStart,
        len: this.windowMs,
        ...this.#w,
        p50: round3(h.percentile(0.5)),
        p90: round3(h.percentile(0.9)),
        p99: round3(h.percentile(0.99)),
        max: round3(h.max),
        vus,
      };
      if (this.windows.length < this.#maxWindows) this.windows.push(point);
      else this.droppedWindows++;
      h.reset();
      this.#w = { posts: 0, ok: 0, fail: 0, timeouts: 0 };
      this.#windowStart += this.windowMs;
    }
  }
}

/** Rounds to 3 decimals (µs in ms) for compact JSON. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
