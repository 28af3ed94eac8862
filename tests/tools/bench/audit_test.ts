import assert from "node:assert/strict";
import { auditExactlyOnce } from "../../../tools/bench/audit.ts";
import { countInconsistencies } from "../../../tools/bench/consistency.ts";

Deno.test("audit: stored by both, twice, never stored, not accepted", () => {
  const r = auditExactlyOnce(
    ["a", "b", "c", "d", "e"],
    ["a", "b", "b", "x"],
    ["b", "c"],
  );
  assert.equal(r.accepted, 5);
  assert.deepEqual(r.stored, { default: 4, fallback: 2 });
  assert.equal(r.storedByBoth, 1);
  assert.deepEqual(r.samples.storedByBoth, ["b"]);
  assert.equal(r.storedTwice, 1);
  assert.equal(r.acceptedNeverStored, 2);
  assert.deepEqual(r.samples.acceptedNeverStored, ["d", "e"]);
  assert.equal(r.storedNotAccepted, 1);
  assert.deepEqual(r.samples.storedNotAccepted, ["x"]);
});

Deno.test("audit: a clean run and sample bounds", () => {
  const ids = Array.from({ length: 100 }, (_, i) => `id${i}`);
  const clean = auditExactlyOnce(ids, ids.slice(0, 60), ids.slice(60));
  assert.equal(clean.storedByBoth + clean.storedTwice + clean.acceptedNeverStored, 0);
  const lost = auditExactlyOnce(ids, [], [], 5);
  assert.equal(lost.acceptedNeverStored, 100);
  assert.equal(lost.samples.acceptedNeverStored.length, 5);
});

Deno.test("consistency: final counts |Δd| + |Δf|, the preview |Δd + Δf|", () => {
  const backend = { default: 10, fallback: 5 };
  const processors = { default: 12, fallback: 3 };
  assert.equal(countInconsistencies("sum-of-abs", backend, processors), 4);
  assert.equal(countInconsistencies("abs-of-sum", backend, processors), 0);
  // A failed backend read counts as zeros for both.
  assert.equal(countInconsistencies("sum-of-abs", { default: 0, fallback: 0 }, processors), 15);
});
