import assert from "node:assert/strict";
import { LatencyHistogram } from "../../../tools/bench/histogram.ts";
import { mulberry32 } from "../../../tools/bench/random_faults.ts";

/** k6's Trend percentile on exact values: linear interpolation between ranks. */
function exactPercentile(sorted: number[], q: number): number {
  if (sorted.length === 1) return sorted[0];
  const i = q * (sorted.length - 1);
  const lo = sorted[Math.floor(i)];
  const hi = sorted[Math.ceil(i)];
  return lo + (hi - lo) * (i - Math.floor(i));
}

Deno.test("histogram: percentiles match exact sorted values within the bucket precision", () => {
  const rand = mulberry32(42);
  for (const n of [1, 2, 7, 100, 10_000, 100_000]) {
    const h = new LatencyHistogram();
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      // Log-normal-ish latencies from 0.2 ms to seconds, rounded to the µs like the histogram.
      const ms = Math.round(Math.exp(rand() * rand() * 9 - 1.6) * 1000) / 1000;
      values.push(ms);
      h.record(ms);
    }
    values.sort((a, b) => a - b);
    assert.equal(h.count, n);
    assert.equal(h.min, values[0]);
    assert.equal(h.max, values[n - 1]);
    for (const q of [0, 0.5, 0.9, 0.99, 0.999, 1]) {
      const want = exactPercentile(values, q);
      const got = h.percentile(q);
      // Half a bucket: 2^-11 relative, plus 1 µs for the exact range.
      assert.ok(
        Math.abs(got - want) <= want * 2 ** -11 + 0.001,
        `n=${n} q=${q}: got ${got}, want ${want}`,
      );
    }
  }
});

Deno.test("histogram: exact below 2.048 ms, merge, reset, bounds", () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let us = 1; us <= 2000; us++) (us % 2 ? a : b).record(us / 1000);
  a.merge(b);
  assert.equal(a.count, 2000);
  assert.equal(a.percentile(0.5), 1.0005); // ranks 999 and 1000 → 1.000 and 1.001
  assert.equal(a.percentile(0.99), 1.98001);
  a.record(1e9); // beyond maxMs: last bucket, max stays exact
  assert.equal(a.max, 1e9);
  a.reset();
  assert.equal(a.count, 0);
  assert.equal(a.percentile(0.99), 0);
  assert.throws(() => a.percentile(1.5), RangeError);
  assert.throws(() => new LatencyHistogram({ precisionBits: 3 }), RangeError);
  assert.throws(() => a.merge(new LatencyHistogram({ precisionBits: 7 })), RangeError);
});

Deno.test("histogram: a coarse window histogram stays within its precision", () => {
  const h = new LatencyHistogram({ precisionBits: 7 });
  for (let i = 1; i <= 1000; i++) h.record(i * 0.137);
  const want = exactPercentile(Array.from({ length: 1000 }, (_, i) => (i + 1) * 0.137), 0.99);
  assert.ok(Math.abs(h.percentile(0.99) - want) <= want / 128);
});
