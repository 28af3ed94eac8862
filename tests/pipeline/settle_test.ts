import assert from "node:assert/strict";
import type { Lookup } from "../../src/processors/client.ts";
import { HealthGate } from "../../src/processors/health_gate.ts";
import type { Outcome } from "../../src/processors/outcome.ts";
import type { AttemptState, QueuedPayment } from "../../src/domain/payment.ts";
import type { ProcessorName } from "../../src/domain/processor.ts";
import { Settler } from "../../src/pipeline/settle.ts";

const ID = "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3";

/** A scripted processor: answers pay() from `outcomes` in order (then the last one forever). */
class FakeProcessor {
  readonly calls: { kind: "pay" | "lookup"; requestedAt?: number }[] = [];
  stored?: number;
  constructor(readonly outcomes: Outcome[], stored?: number, readonly storeOnAmbiguous = false) {
    this.stored = stored;
  }
  pay(_: unknown, requestedAt: number): Promise<Outcome> {
    this.calls.push({ kind: "pay", requestedAt });
    const outcome = this.outcomes.length > 1 ? this.outcomes.shift()! : this.outcomes[0];
    if (outcome.kind === "confirmed") this.stored ??= requestedAt;
    if (outcome.kind === "ambiguous" && this.storeOnAmbiguous) this.stored ??= requestedAt;
    return Promise.resolve(outcome);
  }
  lookup(): Promise<Lookup> {
    this.calls.push({ kind: "lookup" });
    return Promise.resolve(
      this.stored === undefined
        ? { kind: "missing" }
        : { kind: "found", requestedAt: this.stored, amountCents: 2005 },
    );
  }
  pays() {
    return this.calls.filter((c) => c.kind === "pay").length;
  }
}

function setup(d: FakeProcessor, f: FakeProcessor, horizonMs = 60_000) {
  const gate = new HealthGate({
    budgetMs: 1_500,
    probeIntervalMs: 1_000,
    maxHoldMs: 5,
  });
  const settler = new Settler({
    clients: { default: d, fallback: f },
    gate,
    ambiguityHorizonMs: horizonMs,
    callTimeoutMs: 1_000,
    maxBackoffMs: 2,
  });
  return { gate, settler };
}

const payment = (attempt: AttemptState = { kind: "none" }): QueuedPayment => ({
  correlationId: ID,
  amountCents: 2005,
  raw: `${ID}:2005`,
  attempt,
});
const signal = () => AbortSignal.timeout(10_000);
const settledAt = async (settler: Settler, p: QueuedPayment): Promise<[ProcessorName, number]> => {
  const result = await settler.settle(p, signal());
  assert.equal(result.kind, "settled");
  if (result.kind !== "settled") throw new Error("unreachable");
  return [result.settlement.processor, result.settlement.requestedAt];
};

Deno.test("200 from the default settles there with the requestedAt sent", async () => {
  const d = new FakeProcessor([{ kind: "confirmed" }]);
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  const { settler } = setup(d, f);
  const [processor, requestedAt] = await settledAt(settler, payment());
  assert.equal(processor, "default");
  assert.equal(requestedAt, d.stored);
  assert.equal(f.calls.length, 0);
});

Deno.test("a definite failure (500) may go to the other processor with a fresh requestedAt", async () => {
  const d = new FakeProcessor([{ kind: "rejected", status: 500 }]);
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  const { settler } = setup(d, f);
  const [processor, requestedAt] = await settledAt(settler, payment());
  assert.equal(processor, "fallback");
  assert.equal(requestedAt, f.stored);
  assert.equal(d.stored, undefined);
});

Deno.test("an ambiguous attempt never goes to the other processor; resolved where it was sent", async () => {
  // The first send times out but is stored (the processor's delay is not cancelled).
  const d = new FakeProcessor([{ kind: "ambiguous", reason: "timeout" }], undefined, true);
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  const { settler } = setup(d, f);
  const [processor, requestedAt] = await settledAt(settler, payment());
  assert.equal(processor, "default");
  assert.equal(
    requestedAt,
    d.calls[0].requestedAt,
    "booked with the requestedAt the processor stored",
  );
  assert.equal(f.calls.length, 0);
});

Deno.test("an ambiguous attempt not stored is retried with the same body on the same processor", async () => {
  const d = new FakeProcessor([{ kind: "ambiguous", reason: "reset" }, { kind: "confirmed" }]);
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  const { settler } = setup(d, f);
  const [processor, requestedAt] = await settledAt(settler, payment());
  assert.equal(processor, "default");
  const sends = d.calls.filter((c) => c.kind === "pay").map((c) => c.requestedAt);
  assert.deepEqual(sends, [sends[0], sends[0]], "same requestedAt");
  assert.equal(requestedAt, sends[0]);
  assert.equal(f.calls.length, 0);
});

Deno.test("an ambiguous attempt is never released elsewhere, however long its processor fails", async () => {
  const failures: Outcome[] = Array.from({ length: 8 }, () => ({ kind: "rejected", status: 500 }));
  const d = new FakeProcessor([
    { kind: "ambiguous", reason: "timeout" },
    ...failures,
    { kind: "confirmed" },
  ]);
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  const { settler } = setup(d, f, 30); // a short horizon changes nothing for a known attempt
  const [processor, requestedAt] = await settledAt(settler, payment());
  assert.equal(processor, "default");
  assert.equal(f.calls.length, 0);
  const sends = d.calls.filter((c) => c.kind === "pay").map((c) => c.requestedAt);
  assert.equal(sends.length, 10);
  assert.ok(sends.every((at) => at === requestedAt), "every retry carries the first requestedAt");
  assert.equal(d.calls.filter((c) => c.kind === "lookup").length, 9, "a lookup before each retry");
});

Deno.test("422 without an attempt of ours: booked with what the processor stored", async () => {
  const d = new FakeProcessor([{ kind: "duplicate" }], 1234);
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  const { settler } = setup(d, f);
  assert.deepEqual(await settledAt(settler, payment()), ["default", 1234]);
  assert.equal(f.calls.length, 0);
});

Deno.test("a handed-back ambiguous entry is resolved on its processor first", async () => {
  const d = new FakeProcessor([{ kind: "confirmed" }]);
  const f = new FakeProcessor([{ kind: "confirmed" }], 777);
  const { settler } = setup(d, f);
  const p = payment({ kind: "sent", processor: "fallback", requestedAt: 777 });
  assert.deepEqual(await settledAt(settler, p), ["fallback", 777]);
  assert.equal(d.calls.length, 0);
});

Deno.test("a recovered entry (attempt unknown) is looked up on both before any send", async () => {
  const d = new FakeProcessor([{ kind: "confirmed" }]);
  const f = new FakeProcessor([{ kind: "confirmed" }], 555);
  const { settler } = setup(d, f);
  const recovered = payment({ kind: "unknown", since: Date.now() });
  assert.deepEqual(await settledAt(settler, recovered), ["fallback", 555]);
  assert.equal(d.pays() + f.pays(), 0);
});

Deno.test("a recovered entry found nowhere waits out the horizon before it is sent", async () => {
  const d = new FakeProcessor([{ kind: "confirmed" }]);
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  const { settler } = setup(d, f, 100);
  const since = Date.now();
  const [processor] = await settledAt(settler, payment({ kind: "unknown", since }));
  assert.equal(processor, "default");
  const lookups = d.calls.filter((c) => c.kind === "lookup").length;
  assert.ok(lookups >= 2, `looked up again while within the horizon (${lookups})`);
  assert.ok(Date.now() - since > 100, "sent only after the horizon");
});

Deno.test("both down: the settler holds without a hot loop and stops on abort", async () => {
  const d = new FakeProcessor([{ kind: "rejected", status: 500 }]);
  const f = new FakeProcessor([{ kind: "rejected", status: 500 }]);
  const { settler } = setup(d, f);
  const controller = new AbortController();
  const running = settler.settle(payment(), controller.signal);
  await new Promise((r) => setTimeout(r, 300));
  controller.abort();
  const result = await running;
  assert.deepEqual(result, { kind: "interrupted", attempt: { kind: "none" } });
  // 300 ms with back-off and trips: a few dozen calls at most, not thousands.
  assert.ok(d.pays() + f.pays() < 60, `calls: ${d.pays() + f.pays()}`);
});

Deno.test("an interrupted ambiguous attempt is handed back with its processor and requestedAt", async () => {
  const d = new FakeProcessor([{ kind: "ambiguous", reason: "timeout" }]);
  d.lookup = () => Promise.resolve({ kind: "unknown", reason: "down" });
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  const { settler } = setup(d, f);
  const controller = new AbortController();
  const running = settler.settle(payment(), controller.signal);
  await new Promise((r) => setTimeout(r, 50));
  controller.abort();
  const result = await running;
  assert.equal(result.kind, "interrupted");
  if (result.kind !== "interrupted") return;
  assert.deepEqual(result.attempt, {
    kind: "sent",
    processor: "default",
    requestedAt: d.calls[0].requestedAt,
  });
  assert.equal(f.calls.length, 0);
});

Deno.test("no payment call starts while calls are fenced; lookups go on", async () => {
  const d = new FakeProcessor([{ kind: "confirmed" }]);
  const f = new FakeProcessor([{ kind: "confirmed" }]);
  let allowed = false;
  const gate = new HealthGate({ budgetMs: 1_500, probeIntervalMs: 1_000, maxHoldMs: 5 });
  const settler = new Settler({
    clients: { default: d, fallback: f },
    gate,
    ambiguityHorizonMs: 60_000,
    callTimeoutMs: 1_000,
    maxBackoffMs: 2,
    mayCall: () => allowed,
  });
  const ambiguous = payment({ kind: "sent", processor: "default", requestedAt: 1 });
  const running = Promise.all([
    settler.settle(payment(), signal()),
    settler.settle(ambiguous, signal()),
  ]);
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(d.pays() + f.pays(), 0, "fenced: nothing sent");
  assert.ok(d.calls.some((c) => c.kind === "lookup"), "the ambiguous one is still looked up");
  allowed = true;
  const results = await running;
  assert.deepEqual(results.map((r) => r.kind), ["settled", "settled"]);
});
