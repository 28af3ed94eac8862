/**
 * `POST /purge-payments` in Redis: deletes this product's payment state (queue, intake ids, dead
 * letters, processing lists, bookings) under its own prefix only — never FLUSHDB
 * (docs/CONTRACT.md §1).
 *
 * @module
 */
import type { Keys } from "./keys.ts";
import type { Redis } from "./redis/client.ts";

/** The purge of one prefix's payment state. Health snapshot, lock and heartbeats stay. */
export class Purge {
  readonly #redis: Redis;
  readonly #keys: Keys;

  /**
   * @param redis the shared command connection.
   * @param keys the product's key names.
   */
  constructor(redis: Redis, keys: Keys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /**
   * Deletes the payment state (`UNLINK`, the patterns found by `SCAN`).
   *
   * @returns how many keys were deleted.
   * @throws the Redis error; the purge may then be partial and can be repeated.
   */
  async payments(): Promise<number> {
    const keys = this.#keys;
    const exact = [keys.queue, keys.accepted, keys.deadLetters];
    const patterns = [keys.processingPattern, keys.settledPattern, keys.amountsPattern];
    let deleted = await this.#redis.send(["UNLINK", ...exact]) as number;
    for (const pattern of patterns) {
      for await (const found of this.#redis.scan(pattern)) {
        deleted += await this.#redis.send(["UNLINK", ...found]) as number;
      }
    }
    return deleted;
  }
}
