/**
 * The routing policy's decision table (README "Routing policy"): one case per row.
 */
import assert from "node:assert/strict";
import {
  decide,
  type Decision,
  judge,
  type PolicyOptions,
  type ProcessorView,
} from "../../src/processors/policy.ts";

const NOW = 1_000_000;
const OPTIONS: PolicyOptions = {
  budgetMs: 1_500,
  probeIntervalMs: 1_000,
  maxHoldMs: 250,
};

function view(overrides: Partial<ProcessorView> = {}): ProcessorView {
  return {
    lastSuccessAt: 0,
    latencyAt: 0,
    consecutiveFailures: 0,
    trippedUntil: 0,
    inFlight: 0,
    lastProbeAt: 0,
    lastAmbiguousAt: 0,
    ...overrides,
  };
}
const healthy = (minResponseTime = 0, failing = false) => ({
  reported: { failing, minResponseTime, checkedAt: NOW - 1_000 },
});

const rows: {
  row: string;
  d: Partial<ProcessorView>;
  f: Partial<ProcessorView>;
  want: Decision;
}[] = [
  {
    row: "both healthy → default",
    d: healthy(),
    f: healthy(),
    want: { kind: "send", processor: "default", probe: false },
  },
  {
    row: "no report yet → default (nothing known against it)",
    d: {},
    f: {},
    want: { kind: "send", processor: "default", probe: false },
  },
  {
    row: "default slow but within budget → default, timeout grows with the delay",
    d: healthy(1_000),
    f: healthy(),
    want: { kind: "send", processor: "default", probe: false },
  },
  {
    row: "default reported failing, delay fits the budget, probed recently → fallback",
    d: { ...healthy(0, true), lastProbeAt: NOW - 10 },
    f: healthy(),
    want: { kind: "send", processor: "fallback", probe: false },
  },
  {
    row: "default delay over the budget → fallback",
    d: healthy(2_000),
    f: healthy(5),
    want: { kind: "send", processor: "fallback", probe: false },
  },
  {
    row: "a report newer than the last call wins over a stale latency (delay came down) → default",
    d: { ...healthy(480), latencyMs: 3_500, latencyAt: NOW - 20_000 },
    f: healthy(),
    want: { kind: "send", processor: "default", probe: false },
  },
  {
    row: "calls newer than the report win over it (delay went up since) → fallback",
    d: { ...healthy(5), latencyMs: 1_600, latencyAt: NOW - 10 },
    f: healthy(),
    want: { kind: "send", processor: "fallback", probe: false },
  },
  {
    row: "default tripped by failures, fallback healthy → fallback",
    d: { ...healthy(), trippedUntil: NOW + 100, consecutiveFailures: 2 },
    f: healthy(),
    want: { kind: "send", processor: "fallback", probe: false },
  },
  {
    row: "default call in flight far longer than expected (suspect) → fallback",
    d: { ...healthy(100), inFlight: 1, oldestInFlightAt: NOW - 500 },
    f: healthy(),
    want: { kind: "send", processor: "fallback", probe: false },
  },
  {
    row: "default reported failing but confirmed a call since → default",
    d: { ...healthy(0, true), lastSuccessAt: NOW - 10, latencyMs: 3, latencyAt: NOW - 10 },
    f: healthy(),
    want: { kind: "send", processor: "default", probe: false },
  },
  {
    row:
      "default failing with a delay that fits, no probe for 1 s, fallback failing → probe default",
    d: { ...healthy(0, true), lastProbeAt: NOW - 1_000 },
    f: healthy(0, true),
    want: { kind: "send", processor: "default", probe: true },
  },
  {
    row: "default failing, probed within the interval, fallback probeable → probe fallback",
    d: { ...healthy(2_000, true), lastProbeAt: NOW - 999 },
    f: { ...healthy(5, true), lastProbeAt: NOW - 5_000 },
    want: { kind: "send", processor: "fallback", probe: true },
  },
  {
    row: "default slow over budget, fallback failing → hold: a slow processor is never probed",
    d: { ...healthy(2_000), lastProbeAt: NOW - 5_000 },
    f: { ...healthy(0, true), inFlight: 1, oldestInFlightAt: NOW - 5 },
    want: { kind: "hold", ms: 250 },
  },
  {
    row: "default failing with a delay over budget → not probed; fallback probed",
    d: { ...healthy(2_000, true), lastProbeAt: NOW - 5_000 },
    f: { ...healthy(5, true), lastProbeAt: NOW - 5_000 },
    want: { kind: "send", processor: "fallback", probe: true },
  },
  {
    row: "both failing, probes in flight → hold (no hot loop)",
    d: { ...healthy(0, true), inFlight: 1, oldestInFlightAt: NOW - 5 },
    f: { ...healthy(0, true), inFlight: 1, oldestInFlightAt: NOW - 5 },
    want: { kind: "hold", ms: 250 },
  },
  {
    row: "both tripped → hold until the earlier trip ends",
    d: { ...healthy(), trippedUntil: NOW + 40, consecutiveFailures: 1, lastProbeAt: NOW },
    f: { ...healthy(), trippedUntil: NOW + 90, consecutiveFailures: 1, lastProbeAt: NOW },
    want: { kind: "hold", ms: 40 },
  },
  {
    row: "both slow over budget, probes in flight → hold",
    d: { ...healthy(2_000), inFlight: 1, oldestInFlightAt: NOW - 5 },
    f: { ...healthy(1_600), inFlight: 1, oldestInFlightAt: NOW - 5 },
    want: { kind: "hold", ms: 250 },
  },
  {
    row:
      "fallback's last call ambiguous, no report or success since, default failing → hold, no probe",
    d: { ...healthy(0, true), lastProbeAt: NOW - 10 },
    f: { consecutiveFailures: 1, trippedUntil: NOW - 1, lastAmbiguousAt: NOW - 500 },
    want: { kind: "hold", ms: 250 },
  },
  {
    row:
      "a health report newer than the ambiguous call ends the ban: the fallback takes payments again",
    d: { ...healthy(0, true), lastProbeAt: NOW - 10 },
    f: {
      ...healthy(),
      consecutiveFailures: 1,
      trippedUntil: NOW - 1,
      lastAmbiguousAt: NOW - 2_000,
    },
    want: { kind: "send", processor: "fallback", probe: false },
  },
  {
    row: "default recovering after failures: one probe in flight, others → fallback",
    d: { ...healthy(), consecutiveFailures: 3, inFlight: 1, oldestInFlightAt: NOW - 1 },
    f: healthy(),
    want: { kind: "send", processor: "fallback", probe: false },
  },
];

for (const { row, d, f, want } of rows) {
  Deno.test(`policy: ${row}`, () => {
    assert.deepEqual(decide({ default: view(d), fallback: view(f) }, NOW, OPTIONS), want);
  });
}

Deno.test("judge names why a processor is not usable", () => {
  assert.equal(judge(view(healthy()), NOW, OPTIONS), "ok");
  assert.equal(judge(view(healthy(0, true)), NOW, OPTIONS), "failing");
  assert.equal(judge(view({ trippedUntil: NOW + 1 }), NOW, OPTIONS), "tripped");
  assert.equal(judge(view(healthy(1_501)), NOW, OPTIONS), "slow");
  assert.equal(judge(view({ inFlight: 1, oldestInFlightAt: NOW - 151 }), NOW, OPTIONS), "suspect");
  // The margin: expected + max(SUSPECT_MARGIN_MS, expected / 4).
  const fast = { latencyMs: 100, latencyAt: NOW - 1, inFlight: 1 };
  assert.equal(judge(view({ ...fast, oldestInFlightAt: NOW - 125 }), NOW, OPTIONS), "ok");
  assert.equal(judge(view({ ...fast, oldestInFlightAt: NOW - 126 }), NOW, OPTIONS), "suspect");
  // Below 100 ms expected, the floor SUSPECT_MARGIN_MS (25 ms) decides.
  const quick = { latencyMs: 10, latencyAt: NOW - 1, inFlight: 1 };
  assert.equal(judge(view({ ...quick, oldestInFlightAt: NOW - 35 }), NOW, OPTIONS), "ok");
  assert.equal(judge(view({ ...quick, oldestInFlightAt: NOW - 36 }), NOW, OPTIONS), "suspect");
  const slower = { latencyMs: 800, latencyAt: NOW - 1, inFlight: 1 };
  assert.equal(judge(view({ ...slower, oldestInFlightAt: NOW - 1_000 }), NOW, OPTIONS), "ok");
  assert.equal(judge(view({ ...slower, oldestInFlightAt: NOW - 1_001 }), NOW, OPTIONS), "suspect");
  assert.equal(
    judge(view({ consecutiveFailures: 1, inFlight: 1, oldestInFlightAt: NOW }), NOW, OPTIONS),
    "probing",
  );
});
