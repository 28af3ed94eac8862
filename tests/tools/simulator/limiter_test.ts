import assert from "node:assert/strict";
import { ConcurrencyLimiter } from "../../../tools/simulator/limiter.ts";

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("permits, then a FIFO queue, then rejection; releases go to the oldest waiter", async () => {
  const limiter = new ConcurrencyLimiter({ permitLimit: 2, queueLimit: 2 });
  assert.deepEqual([await limiter.acquire(), await limiter.acquire()], [true, true]);
  const order: string[] = [];
  const first = limiter.acquire().then((granted) => (order.push("first"), granted));
  const second = limiter.acquire().then((granted) => (order.push("second"), granted));
  assert.equal(await limiter.acquire(), false, "queue full");
  assert.deepEqual([limiter.inUse, limiter.queued], [2, 2]);
  limiter.release();
  await flush();
  assert.deepEqual(order, ["first"]);
  limiter.release();
  assert.deepEqual([await first, await second], [true, true]);
  assert.deepEqual(order, ["first", "second"]);
  assert.deepEqual([limiter.inUse, limiter.queued], [2, 0]);
});

Deno.test("tryAcquire never jumps the queue", async () => {
  const limiter = new ConcurrencyLimiter({ permitLimit: 1, queueLimit: 1 });
  assert.equal(limiter.tryAcquire(), true);
  assert.equal(limiter.tryAcquire(), false);
  const waiting = limiter.acquire();
  limiter.release(); // goes straight to the waiter
  assert.equal(limiter.tryAcquire(), false);
  assert.equal(await waiting, true);
  limiter.release();
  assert.equal(limiter.tryAcquire(), true);
});

Deno.test("a waiter whose signal aborts leaves the queue", async () => {
  const limiter = new ConcurrencyLimiter({ permitLimit: 1, queueLimit: 1 });
  assert.equal(limiter.tryAcquire(), true);
  const client = new AbortController();
  const leaving = limiter.acquire(client.signal);
  assert.equal(await limiter.acquire(), false);
  client.abort(new Error("client left"));
  await assert.rejects(leaving, /client left/);
  assert.equal(limiter.queued, 0);
  const next = limiter.acquire();
  limiter.release();
  assert.equal(await next, true);
  await assert.rejects(limiter.acquire(AbortSignal.abort()), "an aborted signal never queues");
});

Deno.test("invalid limits and unbalanced release throw RangeError", () => {
  assert.throws(() => new ConcurrencyLimiter({ permitLimit: 0, queueLimit: 1 }), RangeError);
  assert.throws(() => new ConcurrencyLimiter({ permitLimit: 1, queueLimit: -1 }), RangeError);
  assert.throws(
    () => new ConcurrencyLimiter({ permitLimit: 1, queueLimit: 0 }).release(),
    RangeError,
  );
});
