import assert from "node:assert/strict";
import { scaleScenario, scenarioByName, vuStartOffsets } from "../../../tools/bench/scenario.ts";
import { faultPhases } from "../../../tools/bench/faults.ts";

Deno.test("scenario: the final timeline of docs/CONTRACT.md §3", () => {
  const s = scenarioByName("final");
  assert.equal(s.maxVus, 603);
  assert.equal(s.amount, 20.05);
  assert.equal(s.consistencyToAgoMs, 2000);
  assert.deepEqual(s.faults.map((f) => f.atMs / 1000), [
    1,
    30,
    60,
    90,
    120,
    150,
    180,
    210,
    240,
    270,
  ]);
  assert.deepEqual(s.faults[3].default, { delayMs: 2000, failing: true });
  assert.deepEqual(s.faults[3].fallback, { delayMs: 1000, failing: false });
  assert.deepEqual(s.faults[5].fallback, { delayMs: 5, failing: true });
  assert.deepEqual(s.faults[9].default, { delayMs: 2000, failing: false });
  s.faults.length = 0; // a copy: the scenario itself is untouched
  assert.equal(scenarioByName("final").faults.length, 10);
});

Deno.test("scenario: the preview (rinha.js, MAX_REQUESTS=550)", () => {
  const s = scenarioByName("preview");
  assert.equal(s.maxVus, 550);
  assert.equal(s.amount, 19.9);
  assert.equal(s.consistencyToAgoMs, 1500);
  assert.equal(s.inconsistencyRule, "abs-of-sum");
  assert.equal(s.totalsSource, "backend");
  assert.deepEqual(s.fees, { default: 0.05, fallback: 0.15 });
  assert.deepEqual(s.faults.map((f) => f.atMs / 1000), [1, 10, 20, 30, 40, 50]);
  assert.deepEqual(s.faults[3].fallback, { delayMs: 1000, failing: true });
  s.faults.length = 0;
  assert.equal(scenarioByName("preview").faults.length, 6);
  assert.throws(() => scenarioByName("nope"), RangeError);
});

Deno.test("scenario: --duration 60 compresses the final timeline proportionally", () => {
  const s = scaleScenario(scenarioByName("final"), 60_000);
  assert.equal(s.durationMs, 60_000);
  assert.deepEqual(s.faults.map((f) => f.atMs), [
    200,
    6000,
    12000,
    18000,
    24000,
    30000,
    36000,
    42000,
    48000,
    54000,
  ]);
  assert.equal(s.consistencyIntervalMs, 2000); // 30 checks, like the official run
  assert.equal(s.consistencyFromAgoMs, 15_000); // settlement window unchanged
  assert.equal(s.consistencyToAgoMs, 2000);
  assert.equal(s.teardownWindowMs, 72_000); // 360 s × 0.2, ≥ the whole run
  assert.equal(s.maxVus, 603);
  const stretched = scaleScenario(scenarioByName("final"), 600_000);
  assert.equal(stretched.faults[9].atMs, 540_000);
  assert.equal(stretched.teardownWindowMs, 720_000);
  assert.equal(scaleScenario(scenarioByName("final"), 5000).consistencyIntervalMs, 1000);
  assert.throws(() => scaleScenario(scenarioByName("final"), 0), RangeError);
});

Deno.test("scenario: k6 ramping-vus start offsets (1 → 603 over 300 s)", () => {
  const o = vuStartOffsets(1, 603, 300_000);
  /** VUs started by offset `tMs` (what k6 shows as `vus`). */
  const plannedVus = (offsets: number[], tMs: number) => offsets.filter((t) => t <= tMs).length;
  assert.equal(o.length, 603);
  assert.equal(o[0], 0);
  assert.equal(o[1], Math.floor(300_000 / 602));
  assert.equal(o[602], 300_000); // the last VU starts at the end: it never iterates
  assert.equal(plannedVus(o, 0), 1);
  assert.equal(plannedVus(o, 150_000), 302);
  assert.equal(plannedVus(o, 299_999), 602);
  // Ideal iteration count with 1 s iterations: Σ (300 − start) ≈ 90,450 (+ the started ones).
  const iterations = o.filter((t) => t < 300_000).reduce(
    (n, t) => n + Math.ceil((300_000 - t) / 1000),
    0,
  );
  assert.ok(iterations > 90_400 && iterations < 91_000, String(iterations));
  assert.throws(() => vuStartOffsets(5, 2, 1000), RangeError);
});

Deno.test("faults: phases per processor", () => {
  const s = scaleScenario(scenarioByName("final"), 60_000);
  const phases = faultPhases(s.faults, 60_000);
  assert.equal(phases.length, 20);
  const failing = phases.filter((p) => p.failing).map((p) => `${p.processor}@${p.fromMs}`);
  assert.deepEqual(failing, ["default@18000", "default@24000", "fallback@30000"]);
  assert.equal(phases.at(-1)!.toMs, 60_000);
});
