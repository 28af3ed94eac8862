import assert from "node:assert/strict";
import { HealthBoard } from "../../src/store/health_board.ts";

import { withRedis } from "../support/redis.ts";

Deno.test("the poll lock is held by one instance until it expires", () =>
  withRedis(async (redis, keys) => {
    const board = new HealthBoard(redis, keys);
    assert.equal(await board.tryLock("a", 5_000), true);
    assert.equal(await board.tryLock("b", 5_000), false);
    assert.equal(await board.tryLock("a", 5_000), false, "not re-entrant: the expiry spaces polls");
    const ttl = await redis.send(["PTTL", keys.healthLock]) as number;
    assert.ok(ttl > 0 && ttl <= 5_000, `ttl ${ttl}`);
    await redis.send(["PEXPIRE", keys.healthLock, 1]);
    while (await redis.send(["EXISTS", keys.healthLock])) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(await board.tryLock("b", 5_000), true);
  }));

Deno.test("a published snapshot is read back by every instance", () =>
  withRedis(async (redis, keys) => {
    const board = new HealthBoard(redis, keys);
    assert.equal(await board.read(), undefined);
    const snapshot = { default: { failing: true, minResponseTime: 100, checkedAt: 1 } };
    await board.publish(snapshot);
    assert.deepEqual(await new HealthBoard(redis, keys).read(), snapshot);
  }));
