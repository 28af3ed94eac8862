/**
 * Test support: a Redis connection to the machine's server (REDIS_URL or 127.0.0.1:6379) and a
 * fresh key prefix per test, deleted afterwards, so tests never touch other data.
 *
 * @module
 */
import { Redis } from "../../src/store/redis/client.ts";
import { type Keys, keysFor } from "../../src/store/keys.ts";

/** The Redis URL tests use. */
export const TEST_REDIS_URL = Deno.env.get("REDIS_URL") || "redis://127.0.0.1:6379";

/** A random prefix `test:<uuid>:`. */
export function testPrefix(): string {
  return `test:${crypto.randomUUID()}:`;
}

/** Runs `fn` with a connection and keys under a fresh prefix; deletes those keys afterwards. */
export async function withRedis(fn: (redis: Redis, keys: Keys) => Promise<void>): Promise<void> {
  const redis = await Redis.connect(TEST_REDIS_URL, { name: "test" });
  const keys = keysFor(testPrefix());
  try {
    await fn(redis, keys);
  } finally {
    await deleteKeys(redis, keys.prefix);
    await redis.close();
  }
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  for await (const found of redis.scan(keysFor(prefix).allPattern)) {
    await redis.send(["DEL", ...found]);
  }
}
