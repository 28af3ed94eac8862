import assert from "node:assert/strict";
import { PaymentQueue } from "../../src/store/queue.ts";
import { closeRedis, connectRedis, send } from "../../src/store/redis/client.ts";
import { TEST_REDIS_URL, withRedis } from "../support/redis.ts";

const pay = (n: number) => ({
  correlationId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  amountCents: 2005,
});

Deno.test("enqueue accepts once: a replay pushes nothing, another amount is a conflict", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "i1");
    assert.equal(await queue.enqueue(pay(1)), "accepted");
    assert.equal(await queue.enqueue(pay(1)), "replayed");
    assert.equal(await queue.enqueue({ ...pay(1), amountCents: 1 }), "conflict");
    assert.equal(await queue.length(), 1);
  }));

Deno.test("take moves the oldest entries into the processing list, in order", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "i1");
    for (let i = 1; i <= 5; i++) await queue.enqueue(pay(i));
    const first = await queue.take(3);
    assert.deepEqual(first.map((p) => p.correlationId), [1, 2, 3].map((i) => pay(i).correlationId));
    assert.deepEqual(first[0].attempt, { kind: "none" });
    assert.equal(await queue.length(), 2);
    assert.equal(await queue.processingLength(), 3);
    assert.equal((await queue.take(10)).length, 2);
    assert.deepEqual(await queue.take(10), []);
    assert.equal(await queue.processingLength(), 5);
  }));

Deno.test("waitTake blocks on its own connection until an entry arrives", () =>
  withRedis(async (redis, keys) => {
    const blocking = await connectRedis(TEST_REDIS_URL, { name: "test-blocking" });
    try {
      const queue = new PaymentQueue(redis, keys, "i1");
      assert.equal(await queue.waitTake(blocking, 0.05), undefined);
      const waiting = queue.waitTake(blocking, 5);
      await queue.enqueue(pay(7));
      assert.equal((await waiting)?.correlationId, pay(7).correlationId);
      assert.equal(await queue.processingLength(), 1);
    } finally {
      await closeRedis(blocking);
    }
  }));

Deno.test("handBack returns a payment with its attempt state to be taken next", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "i1");
    await queue.enqueue(pay(1));
    await queue.enqueue(pay(2));
    const [taken] = await queue.take(1);
    const attempt = { kind: "sent", processor: "default", requestedAt: 123 } as const;
    assert.equal(await queue.handBack(taken, attempt), true);
    assert.equal(
      await queue.handBack(taken, attempt),
      false,
      "gone from processing: no double push",
    );
    assert.equal(await queue.processingLength(), 0);
    const [again] = await queue.take(1);
    assert.equal(again.correlationId, pay(1).correlationId);
    assert.deepEqual(again.attempt, attempt);
    assert.equal(await send(redis, ["LLEN", keys.queue]), 1);
  }));

Deno.test("an entry this product never wrote goes to the dead letters, the rest of the batch on", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "i1");
    await queue.enqueue(pay(1));
    await send(redis, ["LPUSH", keys.queue, "garbage"]);
    await queue.enqueue(pay(2));
    const taken = await queue.take(10);
    assert.deepEqual(taken.map((p) => p.correlationId), [
      pay(1).correlationId,
      pay(2).correlationId,
    ]);
    for (let i = 0; i < 100 && await queue.processingLength() !== 2; i++) {
      await new Promise((r) => setTimeout(r, 10)); // the dead-letter move is not awaited by take
    }
    assert.equal(await queue.processingLength(), 2);
    assert.deepEqual(await send(redis, ["LRANGE", keys.deadLetters, 0, -1]), ["garbage"]);
  }));
