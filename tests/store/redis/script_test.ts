/** Tests of Lua scripts (src/store/redis/script.ts) on a private `redis-server`. */
import assert from "node:assert/strict";
import { Redis } from "../../../src/store/redis/client.ts";
import { Script } from "../../../src/store/redis/script.ts";
import { PrivateRedis } from "../../support/cluster.ts";
import { commandStats, NO_REDIS, rejectsWithMessage } from "./helpers.ts";

Deno.test({
  name: "Script runs by EVALSHA, and after SCRIPT FLUSH falls back to EVAL once (NOSCRIPT)",
  ignore: NO_REDIS,
  fn: async () => {
    const server = new PrivateRedis();
    await server.start();
    const redis = await Redis.connect(server.url, { name: "test-script" });
    try {
      const source = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
      const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(source));
      const sha = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
        .join("");
      const script = new Script(source);
      const stats = async () => ({
        evalsha: await commandStats(redis, "evalsha"),
        eval: await commandStats(redis, "eval"),
      });

      assert.deepEqual(await redis.send(["SCRIPT", "EXISTS", sha]), [0]);
      assert.equal(await script.run(redis, ["n"], [2]), 2, "first run: NOSCRIPT, then EVAL");
      assert.deepEqual(await stats(), {
        evalsha: { calls: 1, failed: 1 },
        eval: { calls: 1, failed: 0 },
      });
      assert.deepEqual(await redis.send(["SCRIPT", "EXISTS", sha]), [1], "same SHA-1 as Redis");
      assert.equal(await script.run(redis, ["n"], [3]), 5);
      assert.deepEqual(await stats(), {
        evalsha: { calls: 2, failed: 1 },
        eval: { calls: 1, failed: 0 },
      }, "a cached script runs by EVALSHA alone");

      assert.equal(await redis.send(["SCRIPT", "FLUSH"]), "OK");
      assert.deepEqual(await redis.send(["SCRIPT", "EXISTS", sha]), [0]);
      assert.equal(await script.run(redis, ["n"], [10]), 15, "works again after SCRIPT FLUSH");
      assert.deepEqual(await stats(), {
        evalsha: { calls: 3, failed: 2 },
        eval: { calls: 2, failed: 0 },
      });
      assert.equal(await script.run(redis, ["n"], [1]), 16);
      assert.deepEqual((await stats()).eval, { calls: 2, failed: 0 });

      const failing = new Script("return redis.error_reply('MYERR custom failure')");
      await failing.run(redis, [], []).then(
        () => assert.fail("the failing script resolved"),
        (error: Error) => assert.equal(error.message, "MYERR custom failure"),
      );
      await rejectsWithMessage(failing.run(redis, [], []), /^MYERR custom failure$/);
      assert.equal(await redis.send(["SET", "text", "abc"]), "OK");
      await rejectsWithMessage(
        new Script("return redis.call('INCR', KEYS[1])").run(redis, ["text"], []),
        /not an integer/,
        "an error inside the script rejects with the Redis message",
      );
      assert.deepEqual(
        await new Script("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}").run(redis, ["k1", "k2"], [
          "a",
          7,
        ]),
        ["k1", "k2", "a", "7"],
        "keys and args in order",
      );
    } finally {
      await redis.close();
      await server.stop();
    }
  },
});
