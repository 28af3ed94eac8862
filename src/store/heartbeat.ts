/**
 * Liveness of an instance in Redis: a key with a time-to-live that the instance refreshes while
 * it runs (docs/DESIGN.md "Fetch stage": "a crash leaves them recoverable"). When the key is gone,
 * the instance is presumed dead and other instances may recover its processing list (recovery.ts
 * reads the key).
 *
 * The value is a token unique to this process, so the owner can tell whether the key it refreshes
 * is still its own (a lapse means another instance may have recovered its list), and a graceful
 * stop deletes only its own key, never a successor's with the same instance id.
 *
 * @module
 */
import type { Keys } from "./keys.ts";
import type { Redis } from "./redis/client.ts";
import { Script } from "./redis/script.ts";

// KEYS: heartbeat key. ARGV: token. Deletes the key only while it holds this process's token.
const CLEAR = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);

/** The heartbeat key of one instance. */
export class Heartbeat {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #ttlMs: number;
  /** Unique to this process: `<instanceId>/<uuid>`. */
  readonly token: string;
  /** When the key was last set by {@link beat}, epoch ms; 0 before the first beat. */
  lastBeatAt = 0;

  /**
   * @param redis the shared command connection.
   * @param keys the product's key names.
   * @param instanceId the instance whose liveness this key shows.
   * @param ttlMs how long the key lives without a refresh, ms (> the refresh interval).
   * @throws {RangeError} when `ttlMs` is not a positive integer.
   */
  constructor(redis: Redis, keys: Keys, instanceId: string, ttlMs: number) {
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
      throw new RangeError(`heartbeat ttlMs must be a positive integer, got ${ttlMs}`);
    }
    this.#redis = redis;
    this.#key = keys.heartbeat(instanceId);
    this.#ttlMs = ttlMs;
    this.token = `${instanceId}/${crypto.randomUUID()}`;
  }

  /** The Redis key. */
  get key(): string {
    return this.#key;
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
    const previous = await this.#redis.send([
      "SET",
      this.#key,
      this.token,
      "PX",
      this.#ttlMs,
      "GET",
    ]);
    this.lastBeatAt = sentAt;
    return previous === this.token;
  }

  /**
   * Deletes the key if it still holds this process's token: the instance declares itself gone
   * (graceful stop, after its pipeline handed everything back).
   *
   * @returns whether a key was deleted.
   * @throws the Redis error; the key then expires by itself within `ttlMs`.
   */
  async clear(): Promise<boolean> {
    return await CLEAR.run(this.#redis, [this.#key], [this.token]) === 1;
  }
}
