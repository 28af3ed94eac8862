/**
 * Redis connections and Lua scripts, on `npm:redis` (node-redis); docs/REDIS_CLIENT.md records
 * the measurement behind the choice.
 *
 * Only raw commands (`sendCommand`) and {@link Script} are used by the store, so the client can be
 * swapped in this one file. DESIGN.md: library auto-resend is off (`disableOfflineQueue`), so a
 * command issued while Redis is away fails at once instead of being replayed later; retries are
 * decided by our code.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createClient, type RedisClientType } from "redis";

/** One Redis connection. */
export type Redis = RedisClientType;

/** A value Redis returns to a command, as the store reads it. */
export type Reply = string | number | null | Reply[];

/** Options of {@link connectRedis}. */
export interface ConnectOptions {
  /** Shown in `CLIENT LIST` and in log lines. */
  name: string;
  /** Called (rate-limited by the caller if needed) on connection errors; they never throw. */
  onError?: (error: Error) => void;
}

/**
 * Opens a connection that reconnects by itself (every 50–500 ms) and rejects commands while
 * disconnected.
 *
 * @param url `redis://host:port[/db]`.
 * @throws the connection error if the first connection fails.
 */
export async function connectRedis(url: string, options: ConnectOptions): Promise<Redis> {
  const client: Redis = createClient({
    url,
    name: options.name,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500),
    },
  });
  client.on("error", (error: Error) => options.onError?.(error));
  await client.connect();
  return client;
}

/** Sends one raw command, e.g. `["LPUSH", key, value]`. Rejects while disconnected. */
export function send(redis: Redis, args: (string | number)[]): Promise<Reply> {
  return redis.sendCommand(args.map(String)) as Promise<Reply>;
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
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await (redis.sendCommand(["EVALSHA", this.#sha, ...tail]) as Promise<Reply>);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
      return await (redis.sendCommand(["EVAL", this.#source, ...tail]) as Promise<Reply>);
    }
  }
}
