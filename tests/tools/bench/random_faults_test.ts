import assert from "node:assert/strict";
import { mulberry32, randomFaultSchedule } from "../../../tools/bench/random_faults.ts";

Deno.test("random faults: the same seed gives the same schedule, another seed another", () => {
  const a = randomFaultSchedule({ seed: 7, durationMs: 300_000 });
  const b = randomFaultSchedule({ seed: 7, durationMs: 300_000 });
  const c = randomFaultSchedule({ seed: 8, durationMs: 300_000 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("random faults: bounds of delays, hold times and offsets", () => {
  for (let seed = 0; seed < 50; seed++) {
    const steps = randomFaultSchedule({ seed, durationMs: 300_000 });
    assert.equal(steps[0].atMs, 1000);
    assert.ok(steps[0].default && steps[0].fallback, "both processors set at the start");
    for (const name of ["default", "fallback"] as const) {
      const own = steps.filter((s) => s[name]);
      for (let i = 0; i < own.length; i++) {
        const st = own[i][name]!;
        assert.ok(st.delayMs >= 0 && st.delayMs <= 5000 && Number.isInteger(st.delayMs));
        assert.equal(typeof st.failing, "boolean");
        assert.ok(own[i].atMs < 300_000);
        if (i > 0) {
          const gap = own[i].atMs - own[i - 1].atMs;
          assert.ok(gap >= 5000 && gap <= 30_000, `gap ${gap}`);
        }
      }
    }
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i].atMs > steps[i - 1].atMs);
  }
});

Deno.test("random faults: failing ratio and option checks", () => {
  const steps = randomFaultSchedule({ seed: 1, durationMs: 3_600_000, failingRatio: 0.5 });
  const states = steps.flatMap((s) => [s.default, s.fallback]).filter((x) => x !== undefined);
  const ratio = states.filter((s) => s!.failing).length / states.length;
  assert.ok(ratio > 0.35 && ratio < 0.65, String(ratio));
  assert.throws(() => randomFaultSchedule({ seed: 1.5, durationMs: 1000 }), RangeError);
  assert.throws(() => randomFaultSchedule({ seed: 1, durationMs: 1000, minHoldMs: 0 }), RangeError);
  const r = mulberry32(3);
  const x = r();
  assert.ok(x >= 0 && x < 1);
  assert.equal(mulberry32(3)(), x);
});
