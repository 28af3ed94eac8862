/**
 * Crash recovery of the reliable queue (docs/DESIGN.md "Background loops"): which instances hold
 * processing lists, whether they are alive, and the move of a dead instance's list back to the
 * taking end of the queue, every entry re-marked `?:<now ms>` whatever it carried (entry_codec.ts;
 * why: the same section). A live instance's own orphans: queue.ts `releaseOrphans`.
 *
 * @module
 */
import { REMARK_LUA } from "./entry_codec.ts";
import { Script } from "./redis/client.ts";
import { Store } from "./store.ts";

// KEYS: processing list, its owner's heartbeat key, queue.
// ARGV: recovery time (epoch ms), "1" to act only while the heartbeat key is absent.
// Returns the number of entries moved, or -1 when the owner is alive (nothing moved).
// LPOP takes the newest entry first and RPUSH puts each at the taking end, so the oldest ends next
// in line. Atomic: two instances recovering the same list move each entry exactly once.
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
  /** Move only if the owner's heartbeat is absent then (false: its own list, at start-up). */
  onlyIfDead: boolean;
  /** The recovery time written into each entry, epoch ms; `Date.now()` by default. */
  nowMs?: number;
}

/** The processing lists of every instance, as seen by whoever recovers them. */
export class Recovery extends Store {
  /**
   * The instance ids that have a non-empty processing list now (`SCAN`; Redis deletes empty lists).
   *
   * @throws the Redis error.
   */
  async owners(): Promise<string[]> {
    const owners = new Set<string>();
    for await (const found of this.redis.scan(this.keys.processingPattern)) {
      for (const key of found) owners.add(this.keys.ownerOf(key));
    }
    return [...owners];
  }

  /** Whether the heartbeat key of `owner` (heartbeat.ts) is present now; throws the Redis error. */
  async isAlive(owner: string): Promise<boolean> {
    return await this.redis.send(["EXISTS", this.keys.heartbeat(owner)]) === 1;
  }

  /**
   * Moves every entry of `owner`'s processing list back to the queue, next in line, marked as
   * recovered at `nowMs`, in one script: the number moved, or `"alive"` (nothing moved) when
   * `onlyIfDead` was set and the owner's heartbeat is present.
   *
   * @throws the Redis error; then nothing was moved.
   */
  async recover(owner: string, options: RecoverOptions): Promise<number | "alive"> {
    const keys = this.keys;
    const reply = await RECOVER.run(
      this.redis,
      [keys.processing(owner), keys.heartbeat(owner), keys.queue],
      [options.nowMs ?? Date.now(), options.onlyIfDead ? "1" : "0"],
    ) as number;
    return reply < 0 ? "alive" : reply;
  }
}
