/**
 * Crash recovery of the reliable queue (docs/DESIGN.md "Fetch stage": "a crash leaves them
 * recoverable"): which instances hold processing lists, whether they are alive, and the move of a
 * dead instance's list back to the taking end of the queue, each entry marked as recovered
 * (`<id>:<cents>:?:<now ms>`, entry_codec.ts). A live instance's own orphans: queue.ts
 * `releaseOrphans`.
 *
 * Every recovered entry is re-marked `?` with the recovery time, whatever marker it carried:
 * the dead instance may have done anything with it after taking it — sent it, or released an
 * ambiguous attempt after its horizon and sent it to the OTHER processor — and its last send may
 * still sit in a processor's delay. A kept `:d:`/`:f:` marker would make the next taker retry on
 * that processor alone (a double store if the dead instance had moved it elsewhere), and a kept
 * `?` time would let the horizon lapse too early. `?:<now>` makes the next taker look the payment
 * up on both processors and wait the ambiguity horizon from now before sending it anywhere
 * (settle.ts; docs/CONTRACT.md §6.2).
 *
 * @module
 */
import { REMARK_LUA } from "./entry_codec.ts";
import type { Keys } from "./keys.ts";
import type { Redis } from "./redis/client.ts";
import { Script } from "./redis/script.ts";

// KEYS: processing list, its owner's heartbeat key, queue.
// ARGV: recovery time (epoch ms), "1" to act only while the heartbeat key is absent.
// Returns the number of entries moved, or -1 when the owner is alive (nothing moved).
// LPOP takes the newest entry first (the fetch stage pushes on the left) and RPUSH puts each at
// the taking end, so the oldest entry ends next in line. Atomic: two instances recovering the
// same list at once move each entry exactly once (the second finds the list empty).
const RECOVER = new Script(`${REMARK_LUA}
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local moved = 0
while true do
  local entry = redis.call('LPOP', KEYS[1])
  if not entry then break end
  redis.call('RPUSH', KEYS[3], remark(entry, ARGV[1]))
  moved = moved + 1
end
return moved`);

/** Options of {@link Recovery.recover}. */
interface RecoverOptions {
  /**
   * true: move the entries only if the owner's heartbeat key is absent at that instant (another
   * instance's list). false: move them unconditionally (an instance recovering its own list at
   * start-up, after a crash of its previous run with the same id).
   */
  onlyIfDead: boolean;
  /** The recovery time written into each entry, epoch ms; `Date.now()` by default. */
  nowMs?: number;
}

/** The processing lists of every instance, as seen by whoever recovers them. */
export class Recovery {
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
   * The instance ids that have a non-empty processing list now (`SCAN` over
   * `keys.processingPattern`; Redis deletes empty lists, so every id found holds entries).
   *
   * @throws the Redis error.
   */
  async owners(): Promise<string[]> {
    const owners = new Set<string>();
    for await (const found of this.#redis.scan(this.#keys.processingPattern)) {
      for (const key of found) owners.add(this.#keys.ownerOf(key));
    }
    return [...owners];
  }

  /**
   * Whether the heartbeat key of `owner` (heartbeat.ts) is present now.
   *
   * @throws the Redis error.
   */
  async isAlive(owner: string): Promise<boolean> {
    return await this.#redis.send(["EXISTS", this.#keys.heartbeat(owner)]) === 1;
  }

  /**
   * Moves every entry of `owner`'s processing list back to the queue, next in line, marked as
   * recovered at `nowMs` — atomically, in one script.
   *
   * @returns the number of entries moved, or `"alive"` when `onlyIfDead` was set and the owner's
   *   heartbeat is present (nothing moved).
   * @throws the Redis error; then nothing was moved.
   */
  async recover(owner: string, options: RecoverOptions): Promise<number | "alive"> {
    const keys = this.#keys;
    const reply = await RECOVER.run(
      this.#redis,
      [keys.processing(owner), keys.heartbeat(owner), keys.queue],
      [options.nowMs ?? Date.now(), options.onlyIfDead ? "1" : "0"],
    ) as number;
    return reply < 0 ? "alive" : reply;
  }
}
