import assert from "node:assert/strict";
import { PaymentQueue } from "../../src/store/queue.ts";
import { Redis } from "../../src/store/redis/client.ts";
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
    const blocking = await Redis.connect(TEST_REDIS_URL, { name: "test-blocking" });
    try {
      const queue = new PaymentQueue(redis, keys, "i1");
      assert.equal(await queue.waitTake(blocking, 0.05), undefined);
      const waiting = queue.waitTake(blocking, 5);
      await queue.enqueue(pay(7));
      assert.equal((await waiting)?.correlationId, pay(7).correlationId);
      assert.equal(await queue.processingLength(), 1);
    } finally {
      await blocking.close();
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
    assert.equal(await redis.send(["LLEN", keys.queue]), 1);
  }));

Deno.test("an entry this product never wrote goes to the dead letters, the rest of the batch on", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "i1");
    await queue.enqueue(pay(1));
    await redis.send(["LPUSH", keys.queue, "garbage"]);
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
    assert.deepEqual(await redis.send(["LRANGE", keys.deadLetters, 0, -1]), ["garbage"]);
  }));

Deno.test("releaseOrphans sends back only the entries a live pipeline does not hold", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "api1");
    const held = `${pay(1).correlationId}:2005`;
    const lost = `${pay(2).correlationId}:2005`; // a TAKE whose reply was lost
    const failed = `${pay(3).correlationId}:2005:d:1700000000000`; // a hand-back that failed
    for (const entry of [held, lost, failed]) {
      await redis.send(["LPUSH", keys.processing("api1"), entry]);
    }
    assert.equal(
      await queue.releaseOrphans(new Set([held, lost, failed])),
      0,
      "nothing to release when everything is held",
    );
    const moved = await queue.releaseOrphans(new Set([held]), 42);
    assert.equal(moved, 2);
    assert.deepEqual(await redis.send(["LRANGE", keys.processing("api1"), 0, -1]), [held]);
    assert.deepEqual(
      (await redis.send(["LRANGE", keys.queue, 0, -1]) as string[]).sort(),
      [`${pay(2).correlationId}:2005:?:42`, `${pay(3).correlationId}:2005:?:42`],
      "released entries are marked recovered: looked up on both processors before any send",
    );
  }));
