/**
 * The cluster-wide health board in Redis (docs/DESIGN.md "Background loops", health poller): a
 * lock that elects the one caller of the processors' service-health (docs/CONTRACT.md §2), and the
 * snapshot it publishes for every instance.
 *
 * @module
 */
import type { HealthSnapshot } from "../domain/processor.ts";
import { Store } from "./store.ts";

/** How long a published snapshot lives without being refreshed, ms. */
const SNAPSHOT_TTL_MS = 60_000;

/** Lock and snapshot access for one instance. */
export class HealthBoard extends Store {
  /**
   * Takes the poll lock for `ttlMs` if nobody holds it (`SET NX PX`). The lock is never released
   * early: its expiry is what spaces the polls cluster-wide.
   *
   * @returns true when this instance may poll now.
   */
  async tryLock(instanceId: string, ttlMs: number): Promise<boolean> {
    const lock = this.keys.healthLock;
    const reply = await this.redis.send(["SET", lock, instanceId, "NX", "PX", ttlMs]);
    return reply === "OK";
  }

  /** Publishes the snapshot for every instance. */
  async publish(snapshot: HealthSnapshot): Promise<void> {
    const text = JSON.stringify(snapshot);
    await this.redis.send(["SET", this.keys.health, text, "PX", SNAPSHOT_TTL_MS]);
  }

  /** The latest snapshot, or undefined when none was published within its TTL. */
  async read(): Promise<HealthSnapshot | undefined> {
    const reply = await this.redis.send(["GET", this.keys.health]);
    return typeof reply === "string" ? JSON.parse(reply) as HealthSnapshot : undefined;
  }
}
