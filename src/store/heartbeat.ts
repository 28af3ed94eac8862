/**
 * Liveness of an instance in Redis (docs/DESIGN.md "Background loops"): a key with a time-to-live
 * that the instance refreshes while it runs, holding a token unique to the process. When the key
 * is gone, peers may recover the instance's processing list (recovery.ts reads the key).
 *
 * @module
 */
import type { Keys } from "./keys.ts";
import { type Redis, Script } from "./redis/client.ts";
import { Store } from "./store.ts";

// KEYS: heartbeat key. ARGV: token. Deletes the key only while it holds this process's token.
const CLEAR = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);

/** The heartbeat key of one instance. */
export class Heartbeat extends Store {
  readonly #ttlMs: number;
  /** The Redis key. */
  readonly key: string;
  /** Unique to this process: `<instanceId>/<uuid>`. */
  readonly token: string;
  /** When the key was last set by {@link beat}, epoch ms; 0 before the first beat. */
  lastBeatAt = 0;

  /**
   * @param ttlMs how long the key lives without a refresh, ms (> the refresh interval).
   * @throws {RangeError} when `ttlMs` is not a positive integer.
   */
  constructor(redis: Redis, keys: Keys, instanceId: string, ttlMs: number) {
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
      throw new RangeError(`heartbeat ttlMs must be a positive integer, got ${ttlMs}`);
    }
    super(redis, keys);
    this.key = keys.heartbeat(instanceId);
    this.#ttlMs = ttlMs;
    this.token = `${instanceId}/${crypto.randomUUID()}`;
  }

  /**
   * Sets or refreshes the key for `ttlMs` (`SET key token PX ttl GET`).
   *
   * @returns `true` when the key still held this process's token (a refresh in time), `false`
   *   when it had expired or held another value (the first beat, or a lapse).
   * @throws the Redis error; the key is then unchanged or expiring.
   */
  async beat(): Promise<boolean> {
    const sentAt = Date.now();
    const set = ["SET", this.key, this.token, "PX", this.#ttlMs, "GET"];
    const previous = await this.redis.send(set);
    this.lastBeatAt = sentAt;
    return previous === this.token;
  }

  /**
   * Deletes the key if it still holds this process's token (graceful stop, after the pipeline
   * handed everything back); returns whether a key was deleted.
   *
   * @throws the Redis error; the key then expires by itself within `ttlMs`.
   */
  async clear(): Promise<boolean> {
    return await CLEAR.run(this.redis, [this.key], [this.token]) === 1;
  }
}
