/**
 * Start-up before the pipeline (src/lifecycle/startup.ts): what an earlier run with this id left
 * in its processing list goes back to the queue, and the heartbeat is set. Needs Redis.
 */
import assert from "node:assert/strict";
import { comeAlive } from "../../src/lifecycle/startup.ts";
import { withRedis } from "../support/redis.ts";

const ENTRY = "00000000-0000-4000-8000-000000000001:2005";

Deno.test("comeAlive takes back the list of this id's last run, then beats the heartbeat", () =>
  withRedis(async (redis, keys) => {
    await redis.send(["LPUSH", keys.processing("api9"), ENTRY]);
    const before = Date.now();
    const heartbeat = await comeAlive(redis, keys, "api9");
    assert.equal(await redis.send(["LLEN", keys.processing("api9")]), 0);
    assert.equal(await redis.send(["LLEN", keys.queue]), 1);
    assert.equal(await redis.send(["EXISTS", keys.heartbeat("api9")]), 1);
    assert.ok(heartbeat.lastBeatAt >= before);
  }));

Deno.test("comeAlive with nothing left over only beats the heartbeat", () =>
  withRedis(async (redis, keys) => {
    await comeAlive(redis, keys, "api9");
    assert.equal(await redis.send(["LLEN", keys.queue]), 0);
    assert.equal(await redis.send(["EXISTS", keys.heartbeat("api9")]), 1);
  }));
