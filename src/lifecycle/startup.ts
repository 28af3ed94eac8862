/**
 * What an instance does before its pipeline takes anything (docs/GUARANTEES.md, crash recovery):
 * take back what a crashed earlier run with this id held, then show this instance alive.
 *
 * @module
 */
import { HEARTBEAT_TTL_MS } from "../background/heartbeat_loop.ts";
import { info } from "../log.ts";
import { Heartbeat } from "../store/heartbeat.ts";
import type { Keys } from "../store/keys.ts";
import { Recovery } from "../store/recovery.ts";
import type { Redis } from "../store/redis/client.ts";

/**
 * Moves what an earlier run with `instanceId` left in its processing list back to the queue (its
 * previous holder is presumed dead, so no heartbeat is checked), then beats this instance's
 * heartbeat once ({@link HEARTBEAT_TTL_MS}).
 *
 * @returns the heartbeat, for the heartbeat loop and the fence (supervisor.ts).
 * @throws the Redis error of either step.
 */
export async function comeAlive(redis: Redis, keys: Keys, instanceId: string): Promise<Heartbeat> {
  const moved = await new Recovery(redis, keys).recover(instanceId, { onlyIfDead: false });
  if (moved) info(`${instanceId} recovered ${moved} payments of its last run`);
  const heartbeat = new Heartbeat(redis, keys, instanceId, HEARTBEAT_TTL_MS);
  await heartbeat.beat();
  return heartbeat;
}
