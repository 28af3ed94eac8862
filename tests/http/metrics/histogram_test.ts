/**
 * The fixed-bucket histogram (src/http/metrics/histogram.ts): buckets, cumulative counts, sum, and
 * the bounds it refuses.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Histogram, LATENCY_BUCKETS_SECONDS } from "../../../src/http/metrics/histogram.ts";

Deno.test("Histogram counts each observation in its bucket and reports them cumulatively", () => {
  const histogram = new Histogram([0.01, 0.1, 1]);
  for (const seconds of [0.001, 0.01, 0.05, 0.1, 0.5, 2, 30, NaN]) histogram.observe(seconds);
  const snapshot = histogram.snapshot();
  assert.deepEqual(snapshot.buckets, [[0.01, 2], [0.1, 4], [1, 5], [Infinity, 7]]);
  assert.equal(snapshot.count, 7);
  assert.ok(Math.abs(snapshot.sum - 32.661) < 1e-9);
  assert.throws(() => new Histogram([]), RangeError);
  assert.throws(() => new Histogram([1, 1]), RangeError);
  assert.throws(() => new Histogram([1, Infinity]), RangeError);
});

Deno.test("Histogram: an empty one has every bucket at 0, up to +Inf", () => {
  const snapshot = new Histogram(LATENCY_BUCKETS_SECONDS).snapshot();
  assert.deepEqual(snapshot.buckets.map(([le]) => le), [...LATENCY_BUCKETS_SECONDS, Infinity]);
  assert.ok(snapshot.buckets.every(([, count]) => count === 0));
  assert.equal(snapshot.sum, 0);
  assert.equal(snapshot.count, 0);
});
