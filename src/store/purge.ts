/**
 * `POST /purge-payments` in Redis (docs/CONTRACT.md §1; docs/DESIGN.md "Ingress"): deletes this
 * product's payment state under its own prefix only, never FLUSHDB.
 *
 * @module
 */
import { Store } from "./store.ts";

/** The purge of one prefix's payment state. Health snapshot, lock and heartbeats stay. */
export class Purge extends Store {
  /**
   * Deletes the payment state (`UNLINK` of the keys `SCAN` finds) and returns how many keys went.
   *
   * @throws the Redis error; the purge may then be partial and can be repeated.
   */
  async payments(): Promise<number> {
    const keys = this.keys;
    const exact = [keys.queue, keys.accepted, keys.deadLetters];
    const patterns = [keys.processingPattern, keys.settledPattern, keys.amountsPattern];
    let deleted = await this.redis.send(["UNLINK", ...exact]) as number;
    for (const pattern of patterns) {
      for await (const found of this.redis.scan(pattern)) {
        deleted += await this.redis.send(["UNLINK", ...found]) as number;
      }
    }
    return deleted;
  }
}
