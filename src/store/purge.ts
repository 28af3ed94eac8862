/**
 * `POST /purge-payments` in Redis: deletes this product's payment state (queue, intake ids, dead letters,
 * processing lists, bookings) under its own prefix only — never FLUSHDB (docs/CONTRACT.md §1).
 *
 * @module
 */
import type { Keys } from "./keys.ts";
import { type Redis, scanKeys, send } from "./redis/client.ts";

/**
 * Deletes the payment state under `keys.prefix`. Health snapshot, lock and heartbeats stay.
 *
 * @returns how many keys were deleted.
 * @throws the Redis error; the purge may then be partial and can be repeated.
 */
export async function purgePayments(redis: Redis, keys: Keys): Promise<number> {
  const exact = [keys.queue, keys.accepted, keys.deadLetters];
  const patterns = [keys.processingPattern, `${keys.prefix}settled:*`, `${keys.prefix}amounts:*`];
  let deleted = await send(redis, ["UNLINK", ...exact]) as number;
  for (const pattern of patterns) {
    for await (const found of scanKeys(redis, pattern)) {
      deleted += await send(redis, ["UNLINK", ...found]) as number;
    }
  }
  return deleted;
}
