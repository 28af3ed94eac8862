/**
 * src/app.ts start order: the listener is bound before anything is written to Redis, so an
 * instance that cannot listen (say a twin of a live instance: same port, same INSTANCE_ID) neither
 * takes the live one's processing list back nor touches its heartbeat, and closes what it opened
 * (the resource sanitizer fails these tests if a Redis connection stays open).
 */
import assert from "node:assert/strict";
import { startApp } from "../src/app.ts";
import { loadConfig, StartError } from "../src/config.ts";
import { freePort } from "../tools/stack/processes.ts";
import { startTestApp } from "./support/app.ts";
import { withRedis } from "./support/redis.ts";

const ENTRY = "00000000-0000-4000-8000-000000000001:2005";

/** Asserts that `start` rejects with a StartError whose message is `message`. */
async function rejectsWithStartError(start: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(start, (error: unknown) => {
    assert.ok(error instanceof StartError, String(error));
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("a busy port fails the start before anything is written to Redis", () =>
  withRedis(async (redis, keys) => {
    await redis.send(["LPUSH", keys.processing("twin"), ENTRY]); // the live twin's list
    await redis.send(["SET", keys.heartbeat("twin"), "live-token"]);
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const { port } = taken.addr;
      await rejectsWithStartError(
        startTestApp({ PORT: String(port), REDIS_PREFIX: keys.prefix, INSTANCE_ID: "twin" }),
        `cannot listen on 127.0.0.1:${port}: address already in use (PORT/HOSTNAME_BIND)`,
      );
    } finally {
      taken.close();
    }
    assert.deepEqual(await redis.send(["LRANGE", keys.processing("twin"), 0, -1]), [ENTRY]);
    assert.equal(await redis.send(["GET", keys.heartbeat("twin")]), "live-token");
    assert.equal(await redis.send(["LLEN", keys.queue]), 0);
  }));

Deno.test("a socket path in a missing folder fails the start, naming SOCKET_PATH", () =>
  withRedis(async (_redis, keys) => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/missing/api.sock`;
      await rejectsWithStartError(
        startTestApp({ SOCKET_PATH: path, REDIS_PREFIX: keys.prefix, INSTANCE_ID: "api1" }),
        `cannot listen on unix socket ${path}: no such file or directory (SOCKET_PATH)`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }));

Deno.test("Redis refusing fails the start with its own error; main.ts words it", async () => {
  const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${freePort()}`, PORT: "0" });
  await assert.rejects(startApp(config), Deno.errors.ConnectionRefused);
});
