import assert from "node:assert/strict";
import { runFetchStage } from "../../src/pipeline/fetch_stage.ts";
import { Channel } from "../../src/pipeline/channel.ts";
import { Holdings } from "../../src/pipeline/holdings.ts";
import type { QueuedPayment } from "../../src/domain/payment.ts";
import type { PaymentQueue } from "../../src/store/queue.ts";
import type { Redis } from "../../src/store/redis/client.ts";

/** A long pause: the tests see whether the stage waits, never how long. */
const FOREVER_MS = 600_000;

function payment(n: number): QueuedPayment {
  const correlationId = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return { correlationId, amountCents: 1990, raw: `raw-${n}`, attempt: { kind: "none" } };
}

/** The queue as the fetch stage uses it, in memory; counts the takes. */
class FakeQueue {
  readonly pending: QueuedPayment[] = [];
  takes: number[] = [];

  take(max: number): Promise<QueuedPayment[]> {
    const taken = this.pending.splice(0, max);
    this.takes.push(taken.length);
    return Promise.resolve(taken);
  }

  /** Like BLMOVE with a short timeout: one payment, or none after a real wait. */
  async waitTake(_blocking: Redis, _seconds: number): Promise<QueuedPayment | undefined> {
    if (this.pending.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    return this.pending.shift();
  }

  releaseOrphans(_held: ReadonlySet<string>): Promise<number> {
    return Promise.resolve(0);
  }
}

/** Lets timers and I/O run a few times: enough for a stage that is not paused to take again. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

function start(queue: FakeQueue, batch: number, pauseMs: number) {
  const out = new Channel<QueuedPayment>(100);
  const stop = new AbortController();
  const done = runFetchStage({
    queue: queue as unknown as PaymentQueue,
    blocking: {} as Redis,
    out,
    batch,
    pauseMs,
    holdings: new Holdings(),
    signal: stop.signal,
  });
  return { out, stop, done };
}

async function receive(out: Channel<QueuedPayment>, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await out.receive()).value!.raw);
  return ids;
}

Deno.test("fetch stage: after a take that did not fill the batch it pauses; later arrivals wait for one take", async () => {
  const queue = new FakeQueue();
  queue.pending.push(payment(1));
  const { out, stop, done } = start(queue, 32, FOREVER_MS);
  try {
    assert.deepEqual(await receive(out, 1), ["raw-1"]);
    queue.pending.push(payment(2), payment(3));
    await turns();
    assert.deepEqual(queue.takes.filter((n) => n > 0), [1], "no take during the pause");
    assert.equal(out.size, 0);
    assert.equal(queue.pending.length, 2);
  } finally {
    stop.abort();
  }
  assert.deepEqual(await done, [], "an abort ends the pause at once");
});

Deno.test("fetch stage: full batches are taken back to back; only the partial one pauses", async () => {
  const queue = new FakeQueue();
  for (let n = 1; n <= 5; n++) queue.pending.push(payment(n));
  const { out, stop, done } = start(queue, 2, FOREVER_MS);
  try {
    assert.deepEqual(await receive(out, 5), ["raw-1", "raw-2", "raw-3", "raw-4", "raw-5"]);
    queue.pending.push(payment(6));
    await turns();
    assert.deepEqual(queue.takes, [2, 2, 1]);
    assert.equal(queue.pending.length, 1, "taken only after the pause");
  } finally {
    stop.abort();
  }
  await done;
});

Deno.test("fetch stage: a take cut short by a nearly full channel does not pause", async () => {
  const queue = new FakeQueue();
  for (let n = 1; n <= 10; n++) queue.pending.push(payment(n));
  const small = new Channel<QueuedPayment>(3);
  const stop = new AbortController();
  const done = runFetchStage({
    queue: queue as unknown as PaymentQueue,
    blocking: {} as Redis,
    out: small,
    batch: 32,
    pauseMs: FOREVER_MS,
    holdings: new Holdings(),
    signal: stop.signal,
  });
  try {
    const got: string[] = [];
    // A pause here would stall the stage: the receive would time out instead of hanging.
    for (let i = 0; i < 10; i++) {
      got.push((await small.receive(AbortSignal.timeout(10_000))).value!.raw);
    }
    assert.equal(got.length, 10);
  } finally {
    stop.abort();
  }
  await done;
});

Deno.test("fetch stage: with pauseMs 0 it takes again at once", async () => {
  const queue = new FakeQueue();
  queue.pending.push(payment(1));
  const { out, stop, done } = start(queue, 32, 0);
  try {
    assert.deepEqual(await receive(out, 1), ["raw-1"]);
    queue.pending.push(payment(2), payment(3));
    assert.deepEqual(await receive(out, 2), ["raw-2", "raw-3"]);
  } finally {
    stop.abort();
  }
  await done;
});
