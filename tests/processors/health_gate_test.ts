import assert from "node:assert/strict";
import { HealthGate } from "../../src/processors/health_gate.ts";

const OPTIONS = { budgetMs: 1_500, probeIntervalMs: 1_000, maxHoldMs: 250 };

function clockedGate() {
  const clock = { now: 1_000_000 };
  return { clock, gate: new HealthGate(OPTIONS, () => clock.now) };
}

Deno.test("a fresh report steers traffic; a stale one is ignored", () => {
  const { clock, gate } = clockedGate();
  gate.report({ default: { failing: true, minResponseTime: 0, checkedAt: clock.now } });
  assert.equal(gate.state().default.verdict, "failing");
  assert.deepEqual(gate.decide(), {
    kind: "send",
    processor: "fallback",
    probe: false,
  });
  clock.now += 20_001;
  gate.report({ default: { failing: true, minResponseTime: 0, checkedAt: clock.now - 20_001 } });
  assert.equal(gate.state().default.verdict, "ok");
});

Deno.test("in-flight calls are counted and the oldest one makes a processor suspect", () => {
  const { clock, gate } = clockedGate();
  const first = gate.begin("default");
  clock.now += 10;
  const second = gate.begin("default");
  assert.equal(gate.state().default.view.inFlight, 2);
  clock.now += 200; // no latency known yet: suspect after 25 ms
  assert.equal(gate.decide().kind === "send" && gate.state().default.verdict, "suspect");
  gate.end(first, { kind: "confirmed" });
  assert.equal(gate.state().default.view.inFlight, 1);
  assert.equal(gate.state().default.counters.confirmed, 1);
  gate.end(second, { kind: "confirmed" });
  clock.now += 1_000;
  // Read without a decision since: /healthcheck must not show the last decision's `suspect`.
  assert.equal(gate.state().default.verdict, "ok");
});

Deno.test("definite failures trip a processor with a doubling back-off; a success resets it", () => {
  const { clock, gate } = clockedGate();
  gate.end(gate.begin("default"), { kind: "rejected", status: 500 });
  assert.equal(gate.state().default.view.trippedUntil, clock.now + 50);
  gate.end(gate.begin("default"), { kind: "rejected", status: 500 });
  assert.equal(gate.state().default.view.trippedUntil, clock.now + 100);
  gate.end(gate.begin("default"), { kind: "rejected", status: 429, retryAfterMs: 5_000 });
  assert.equal(gate.state().default.view.trippedUntil, clock.now + 5_000, "Retry-After honoured");
  assert.equal(gate.state().default.verdict, "tripped");
  gate.end(gate.begin("default"), { kind: "confirmed" });
  assert.equal(gate.state().default.verdict, "ok");
  assert.equal(gate.state().default.view.consecutiveFailures, 0);
  assert.deepEqual(gate.state().default.counters, {
    confirmed: 1,
    duplicate: 0,
    rejected: 3,
    ambiguous: 0,
    probes: 0,
  });
});

Deno.test("an ambiguous call trips its processor (new payments go to the other) without touching the latency", () => {
  const { clock, gate } = clockedGate();
  const answered = gate.begin("default");
  clock.now += 20;
  gate.end(answered, { kind: "confirmed" });
  clock.now += 1;
  // A processor that takes the connection and drops it: each call ends at once, ambiguous.
  gate.end(gate.begin("default"), { kind: "ambiguous", reason: "connection closed" });
  assert.equal(gate.state().default.verdict, "tripped");
  assert.equal(gate.state().default.view.latencyMs, 20);
  assert.deepEqual(gate.decide(), { kind: "send", processor: "fallback", probe: false });
  gate.end(gate.begin("default"), { kind: "ambiguous", reason: "status 502 from a gateway" });
  assert.equal(gate.state().default.view.trippedUntil, clock.now + 100, "back-off doubles");
  clock.now += 1_000;
  // The back-off is over, but nothing since says the processor answers: no payment, no probe.
  assert.equal(gate.state().default.verdict, "tripped");
  gate.report({ default: { failing: false, minResponseTime: 0, checkedAt: clock.now } });
  assert.equal(gate.state().default.verdict, "ok", "a health report newer than the ambiguity");
  gate.end(gate.begin("default"), { kind: "confirmed" });
  assert.equal(gate.state().default.verdict, "ok");
});

Deno.test("latency: a slow-down is believed fast, a recovery slowly", () => {
  const { clock, gate } = clockedGate();
  const call = (ms: number) => {
    const ticket = gate.begin("fallback");
    clock.now += ms;
    gate.end(ticket, { kind: "confirmed" });
    return gate.state().fallback.view.latencyMs;
  };
  assert.equal(call(10), 10);
  assert.equal(call(1_010), 510);
  assert.equal(call(10), 410);
});

Deno.test("probes are counted and spaced", () => {
  const { clock, gate } = clockedGate();
  gate.report({
    default: { failing: true, minResponseTime: 0, checkedAt: clock.now },
    fallback: { failing: true, minResponseTime: 0, checkedAt: clock.now },
  });
  const probe = gate.decide();
  assert.deepEqual(probe, { kind: "send", processor: "default", probe: true });
  const second = gate.decide();
  assert.deepEqual(second, { kind: "send", processor: "fallback", probe: true });
  assert.equal(gate.decide().kind, "hold");
  assert.equal(gate.state().default.counters.probes, 1);
  clock.now += 1_000;
  assert.equal(gate.decide().kind, "send");
});
