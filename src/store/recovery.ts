/**
 * Crash recovery of the reliable queue (docs/DESIGN.md fetch stage: "a crash leaves them
 * recoverable"): the entries of a dead instance's processing list go back to the taking end of the
 * queue, each marked as recovered (`<id>:<cents>:?:<now ms>`, entry_codec.ts).
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
import type { Keys } from "./keys.ts";
import { type Redis, scanKeys, Script, send } from "./redis/client.ts";

// KEYS: processing list, its owner's heartbeat key, queue.
// ARGV: recovery time (epoch ms), "1" to act only while the heartbeat key is absent.
// Returns the number of entries moved, or -1 when the owner is alive (nothing moved).
// LPOP takes the newest entry first (the fetch stage pushes on the left) and RPUSH puts each at
// the taking end, so the oldest entry ends next in line. Atomic: two instances recovering the
// same list at once move each entry exactly once (the second finds the list empty).
// Lua: `entry` re-marked as recovered at `at` (`<id>:<cents>:?:<at>`).
const REMARK = `
local function remark(entry, at)
  local first = string.find(entry, ':', 1, true)
  if not first then return entry end
  local second = string.find(entry, ':', first + 1, true)
  local head = second and string.sub(entry, 1, second - 1) or entry
  return head .. ':?:' .. at
end`;
const RECOVER = new Script(`${REMARK}
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local moved = 0
while true do
  local entry = redis.call('LPOP', KEYS[1])
  if not entry then break end
  redis.call('RPUSH', KEYS[3], remark(entry, ARGV[1]))
  moved = moved + 1
end
return moved`);

// KEYS: processing list, queue. ARGV: recovery time (epoch ms), then the entries to release.
// Each entry still in the list moves to the taking end of the queue, re-marked as recovered.
// Returns the number moved.
const RELEASE = new Script(`${REMARK}
local moved = 0
for i = 2, #ARGV do
  if redis.call('LREM', KEYS[1], 1, ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[2], remark(ARGV[i], ARGV[1]))
    moved = moved + 1
  end
end
return moved`);

/** Options of {@link recoverProcessingList}. */
export interface RecoverOptions {
  /**
   * true: move the entries only if the owner's heartbeat key is absent at that instant (another
   * instance's list). false: move them unconditionally (an instance recovering its own list at
   * start-up, after a crash of its previous run with the same id).
   */
  onlyIfDead: boolean;
  /** The recovery time written into each entry, epoch ms; `Date.now()` by default. */
  nowMs?: number;
}

/**
 * Moves every entry of `instanceId`'s processing list back to the queue, next in line, marked
 * as recovered at `nowMs` — atomically, in one script.
 *
 * @returns the number of entries moved, or `"alive"` when `onlyIfDead` was set and the owner's
 *   heartbeat is present (nothing moved).
 * @throws the Redis error; then nothing was moved.
 */
export async function recoverProcessingList(
  redis: Redis,
  keys: Keys,
  instanceId: string,
  options: RecoverOptions,
): Promise<number | "alive"> {
  const reply = await RECOVER.run(
    redis,
    [keys.processing(instanceId), keys.heartbeat(instanceId), keys.queue],
    [options.nowMs ?? Date.now(), options.onlyIfDead ? "1" : "0"],
  ) as number;
  return reply < 0 ? "alive" : reply;
}

/**
 * Releases the orphans of a live instance's processing list: every entry not in `held` (what its
 * pipeline has in memory, pipeline/holdings.ts) goes back to the queue marked as recovered at
 * `nowMs`, exactly as a dead instance's entries do — its attempts are unknown (a failed hand-back
 * lost them), so the next taker looks it up on both processors first (settle.ts).
 *
 * Call it only while nothing is being taken into the list (the fetch stage, between takes): an
 * entry a take is moving right now is not held yet and would be released under the taker.
 *
 * @returns the number of entries moved.
 * @throws the Redis error; entries already moved stay moved (each move is atomic).
 */
export async function releaseOrphans(
  redis: Redis,
  processingKey: string,
  queueKey: string,
  held: ReadonlySet<string>,
  nowMs = Date.now(),
): Promise<number> {
  const listed = await send(redis, ["LRANGE", processingKey, 0, -1]) as string[];
  const orphans = listed.filter((raw) => !held.has(raw));
  if (orphans.length === 0) return 0;
  return await RELEASE.run(redis, [processingKey, queueKey], [nowMs, ...orphans]) as number;
}

/**
 * The instance ids that have a non-empty processing list now (`SCAN` over
 * `keys.processingPattern`; Redis deletes empty lists, so every id found holds entries).
 *
 * @throws the Redis error.
 */
export async function processingOwners(redis: Redis, keys: Keys): Promise<string[]> {
  const head = keys.processing("");
  const owners = new Set<string>();
  for await (const found of scanKeys(redis, keys.processingPattern)) {
    for (const key of found) owners.add(key.slice(head.length));
  }
  return [...owners];
}
