/**
 * A streaming latency histogram with log-linear buckets (the HdrHistogram idea, written small).
 *
 * Values are recorded in milliseconds and stored as whole microseconds. Below `2^precisionBits`
 * µs every microsecond has its own bucket (exact); above, each power-of-two range is cut into
 * `2^(precisionBits-1)` equal buckets, so a bucket is never wider than `2^-(precisionBits-1)` of
 * its values (0.1 % for the default 11 bits). Memory is fixed at construction (≈ 74 KiB for the
 * default), whatever the number of samples: the load generator records every request with one
 * array increment.
 *
 * Percentiles follow k6's Trend metric (the one the official score reads, docs/CONTRACT.md §4): the value
 * at rank `q × (n − 1)` of the sorted samples, interpolated linearly between the two neighbouring
 * ranks. A rank's value is the middle of its bucket, clamped to the exact min and max seen.
 *
 * @module
 */

/** Options of {@linkcode LatencyHistogram}. */
interface LatencyHistogramOptions {
  /**
   * Bits of precision: values below `2^precisionBits` µs are exact, larger ones within a relative
   * error of `2^-precisionBits` (half a bucket). 4–16; default 11 (± 0.05 %).
   */
  precisionBits?: number;
  /** Largest value kept apart, in ms; larger values are counted in the last bucket. Default 120,000. */
  maxMs?: number;
}

/** Summary numbers of a histogram, all in ms. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Fixed-memory latency histogram (ms in, ms out, µs resolution).
 *
 * Not src/http/metrics.ts's Histogram (a few fixed Prometheus buckets): this gives k6's p99 ±0.1 %.
 *
 * @example
 * ```ts
 * const h = new LatencyHistogram();
 * h.record(2.31);
 * h.percentile(0.99); // ≈ 2.31
 * ```
 */
export class LatencyHistogram {
  readonly precisionBits: number;
  #half: number;
  #exactLimit: number;
  #counts: Uint32Array;
  #count = 0;
  #sumUs = 0;
  #minUs = Infinity;
  #maxUs = 0;

  /** @throws {RangeError} when `precisionBits` is outside 4–16 or `maxMs` is not positive. */
  constructor(options: LatencyHistogramOptions = {}) {
    const bits = options.precisionBits ?? 11;
    const maxMs = options.maxMs ?? 120_000;
    if (!Number.isInteger(bits) || bits < 4 || bits > 16) {
      throw new RangeError(`precisionBits must be an integer in 4..16, got ${bits}`);
    }
    if (!(maxMs > 0)) throw new RangeError(`maxMs must be > 0, got ${maxMs}`);
    this.precisionBits = bits;
    this.#exactLimit = 2 ** bits;
    this.#half = this.#exactLimit / 2;
    const maxUs = Math.ceil(maxMs * 1000);
    this.#counts = new Uint32Array(this.#indexOf(Math.max(maxUs, this.#exactLimit)) + 1);
  }

  /** Number of samples recorded. */
  get count(): number {
    return this.#count;
  }

  /** Smallest sample in ms (exact to the µs); 0 when empty. */
  get min(): number {
    return this.#count === 0 ? 0 : this.#minUs / 1000;
  }

  /** Largest sample in ms (exact to the µs); 0 when empty. */
  get max(): number {
    return this.#maxUs / 1000;
  }

  /** Mean of the samples in ms; 0 when empty. */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sumUs / this.#count / 1000;
  }

  #indexOf(us: number): number {
    if (us < this.#exactLimit) return us;
    const shift = 31 - Math.clz32(us) - this.precisionBits + 1; // ≥ 1
    const sub = us >>> shift; // in [half, 2·half)
    return this.#exactLimit + (shift - 1) * this.#half + (sub - this.#half);
  }

  /** Middle value, in µs, of bucket `index`. */
  #valueOf(index: number): number {
    if (index < this.#exactLimit) return index;
    const offset = index - this.#exactLimit;
    const shift = Math.floor(offset / this.#half) + 1;
    const sub = (offset % this.#half) + this.#half;
    const low = sub * 2 ** shift;
    return low + (2 ** shift - 1) / 2;
  }

  /**
   * Adds one sample.
   * @param ms duration in milliseconds; negative or non-finite values count as 0, values above
   * `maxMs` go to the last bucket (min/max/mean stay exact).
   */
  record(ms: number): void {
    let us = Math.round(ms * 1000);
    if (!(us >= 0 && us < Infinity)) us = 0;
    let i = this.#indexOf(Math.min(us, 0xffff_ffff));
    if (i >= this.#counts.length) i = this.#counts.length - 1;
    this.#counts[i]++;
    this.#count++;
    this.#sumUs += us;
    if (us < this.#minUs) this.#minUs = us;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  /** Adds every sample of `other` (same `precisionBits` and size required). @throws {RangeError} */
  merge(other: LatencyHistogram): void {
    if (other.#counts.length !== this.#counts.length) {
      throw new RangeError("cannot merge histograms of different shapes");
    }
    for (let i = 0; i < other.#counts.length; i++) this.#counts[i] += other.#counts[i];
    this.#count += other.#count;
    this.#sumUs += other.#sumUs;
    if (other.#minUs < this.#minUs) this.#minUs = other.#minUs;
    if (other.#maxUs > this.#maxUs) this.#maxUs = other.#maxUs;
  }

  /** Forgets every sample (keeps the memory). */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sumUs = 0;
    this.#minUs = Infinity;
    this.#maxUs = 0;
  }

  /** Values (µs) at the given 0-based ranks, ranks sorted ascending. */
  #valuesAtRanks(ranks: number[]): number[] {
    const out: number[] = [];
    let seen = 0;
    let r = 0;
    for (let i = 0; i < this.#counts.length && r < ranks.length; i++) {
      const c = this.#counts[i];
      if (c === 0) continue;
      seen += c;
      while (r < ranks.length && ranks[r] < seen) {
        const v = this.#valueOf(i);
        out.push(Math.min(Math.max(v, this.#minUs), this.#maxUs));
        r++;
      }
    }
    while (out.length < ranks.length) out.push(this.#maxUs);
    return out;
  }

  /**
   * The q-quantile in ms, computed like k6's Trend `p(q·100)` (linear interpolation between ranks
   * ⌊q(n−1)⌋ and ⌈q(n−1)⌉). 0 when empty.
   * @param q quantile in [0, 1]
   * @throws {RangeError} when q is outside [0, 1]
   */
  percentile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    if (this.#count === 0) return 0;
    if (this.#count === 1) return this.#minUs / 1000;
    const pos = q * (this.#count - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    const [a, b] = this.#valuesAtRanks(lo === hi ? [lo, lo] : [lo, hi]);
    return (a + (b - a) * (pos - lo)) / 1000;
  }

  /** count, min, mean, p50, p90, p99 and max in ms. */
  summary(): LatencySummary {
    return {
      count: this.count,
      min: this.min,
      mean: this.mean,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      max: this.max,
    };
  }
}
