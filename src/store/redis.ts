/**
 * Redis connections and Lua scripts, on `npm:ioredis`; docs/REDIS_CLIENT.md records the
 * measurement behind the choice (less CPU per command and less memory than node-redis in Deno).
 *
 * Only raw commands ({@link send}) and {@link Script} are used by the store, so the client can be
 * swapped in this one file. DESIGN.md: library auto-resend is off — no offline queue, no replay
 * of in-flight commands after a reconnect, no per-request retries — so a command issued while
 * Redis is away fails at once instead of being replayed later; retries are decided by our code.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Redis as IORedis } from "ioredis";

/** One Redis connection. */
export type Redis = IORedis;

/** A value Redis returns to a command, as the store reads it. */
export type Reply = string | number | null | Reply[];

/** Options of {@link connectRedis}. */
export interface ConnectOptions {
  /** Shown in `CLIENT LIST`. */
  name: string;
  /** Called on connection errors (they never throw); rate-limit in the callback if needed. */
  onError?: (error: Error) => void;
}

/**
 * Opens a connection that, once up, reconnects by itself (every 50–500 ms) and rejects commands
 * while disconnected.
 *
 * @param url `redis://host:port[/db]`.
 * @throws the connection error if the first connection fails (nothing is left running then).
 */
export async function connectRedis(url: string, options: ConnectOptions): Promise<Redis> {
  const redis = new IORedis(url, {
    connectionName: options.name,
    lazyConnect: true,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(times * 50, 500),
  });
  // Without a listener ioredis prints every failed reconnect as an unhandled error.
  redis.on("error", (error: Error) => options.onError?.(error));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}

/** Closes a connection: QUIT when connected, else drop it. Never rejects. */
export async function closeRedis(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/** Sends one raw command, e.g. `["LPUSH", key, value]`. Rejects while disconnected. */
export function send(redis: Redis, [command, ...args]: (string | number)[]): Promise<Reply> {
  return redis.call(String(command), ...args) as Promise<Reply>;
}

/**
 * Every key matching `pattern` (`SCAN … MATCH … COUNT 1000`), a page at a time. Keys added or
 * removed meanwhile may or may not be seen, as with SCAN itself.
 *
 * @throws the Redis error.
 */
export async function* scanKeys(redis: Redis, pattern: string): AsyncGenerator<string[]> {
  let cursor = "0";
  do {
    const [next, found] = await send(redis, ["SCAN", cursor, "MATCH", pattern, "COUNT", 1000]) as [
      string,
      string[],
    ];
    if (found.length) yield found;
    cursor = next;
  } while (cursor !== "0");
}

/**
 * A Lua script run by `EVALSHA`, falling back to `EVAL` once when Redis answers NOSCRIPT (after a
 * restart or `SCRIPT FLUSH`). Scripts are atomic on the server, which is what the store relies on.
 */
export class Script {
  readonly #source: string;
  readonly #sha: string;

  /** @param source the Lua source; KEYS and ARGV as usual. */
  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash("sha1").update(source).digest("hex");
  }

  /** Runs the script with `keys` and `args`. Rejects with the Redis error otherwise. */
  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<Reply> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args) as Reply;
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
      return await redis.eval(this.#source, keys.length, ...keys, ...args) as Reply;
    }
  }
}
