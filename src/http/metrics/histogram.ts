/**
 * A fixed-bucket histogram for `GET /metrics` (the payment-call latency, docs/OBSERVABILITY.md
 * `rinha_processor_call_duration_seconds`), cheap enough to feed on every call.
 *
 * @module
 */

/** Upper bounds of the payment-call latency buckets, in seconds (Prometheus' usual defaults). */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A histogram's state: cumulative counts per upper bound (the last is `+Inf`), sum and count. */
export interface HistogramSnapshot {
  /** `[upper bound, observations ≤ bound]`, bounds ascending, ending with `Infinity`. */
  buckets: [number, number][];
  sum: number;
  count: number;
}

/** A histogram with fixed buckets: `observe` is a short scan and two additions, no allocation. */
export class Histogram {
  readonly #bounds: readonly number[];
  /** Non-cumulative counts; the last slot is everything above the last bound. */
  readonly #counts: number[];
  #sum = 0;

  /**
   * @param bounds ascending finite upper bounds (e.g. {@link LATENCY_BUCKETS_SECONDS}).
   * @throws {RangeError} when the bounds are empty, not finite or not strictly ascending.
   */
  constructor(bounds: readonly number[]) {
    if (
      bounds.length === 0 ||
      bounds.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound <= bounds[i - 1]))
    ) {
      throw new RangeError(`bucket bounds must be finite and ascending, got ${bounds}`);
    }
    this.#bounds = [...bounds];
    this.#counts = new Array(bounds.length + 1).fill(0);
  }

  /** Records one observation (same unit as the bounds). NaN is ignored. */
  observe(value: number): void {
    if (Number.isNaN(value)) return;
    let i = 0;
    while (i < this.#bounds.length && value > this.#bounds[i]) i++;
    this.#counts[i]++;
    this.#sum += value;
  }

  /** Cumulative counts, as the exposition format wants them. */
  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    let running = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      running += this.#counts[i];
      buckets.push([i < this.#bounds.length ? this.#bounds[i] : Infinity, running]);
    }
    return { buckets, sum: this.#sum, count: running };
  }
}
