/**
 * One instance's liveness and recovery beside its pipeline (docs/DESIGN.md "Background loops"):
 * {@link comeAlive} before the pipeline takes anything, then the three background loops at the
 * spacing their modules set, each with its own stop switch ({@link background}), because shutdown
 * stops and awaits them at different steps (shutdown.ts).
 *
 * @module
 */
import { runHealthPoller } from "../background/health_poller.ts";
import { HEARTBEAT_TTL_MS, runHeartbeatLoop } from "../background/heartbeat_loop.ts";
import { runRecoveryLoop } from "../background/recovery_loop.ts";
import type { Config } from "../config.ts";
import type { ProcessorName } from "../domain/processor.ts";
import { info } from "../log.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { ProcessorClient } from "../processors/client.ts";
import type { HealthGate } from "../processors/health_gate.ts";
import { HealthBoard } from "../store/health_board.ts";
import { Recovery } from "../store/recovery.ts";
import { Heartbeat } from "../store/heartbeat.ts";
import type { Keys } from "../store/keys.ts";
import type { Redis } from "../store/redis/client.ts";
import type { PipelineSupervisor } from "./supervisor.ts";

/** The supervisor as /healthcheck and /metrics see it from the bind to the pipeline's start. */
export const BEFORE_PIPELINE = {
  accepting: true,
  pipeline: {
    running: false,
    buffered: { fetched: 0, settled: 0 },
    counters: { booked: 0, skipped: 0 },
  },
};

/** A start step's rejection handler: `undo` closes what was opened, then the error goes on. */
export const undoing = (undo: () => Promise<unknown>) => (error: unknown) =>
  undo().then(() => Promise.reject(error));

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

/**
 * Starts the loop `run` with a stop switch of its own: `abort()` asks it to stop (it ends its round
 * in progress first; idempotent), `done` settles once it has returned (the loops never reject).
 */
export function background(run: (signal: AbortSignal) => Promise<void>) {
  const stop = new AbortController();
  return { abort: () => stop.abort(), done: run(stop.signal) };
}

/** What the loops work on. */
interface BackgroundDeps {
  /** The shared command connection. */
  redis: Redis;
  keys: Keys;
  config: Pick<Config, "instanceId" | "healthIntervalMs" | "healthTimeoutMs">;
  /** This instance's heartbeat, already beaten once. */
  heartbeat: Heartbeat;
  /** Told when a refresh found the heartbeat had lapsed. */
  supervisor: Pick<PipelineSupervisor<Pipeline>, "onLapse">;
  clients: Record<ProcessorName, ProcessorClient>;
  gate: HealthGate;
}

/** Starts the heartbeat, recovery and health-poller loops, named as shutdown.ts takes them. */
export function startBackgroundLoops(deps: BackgroundDeps) {
  const { redis, keys, heartbeat, gate, supervisor } = deps;
  const { instanceId } = deps.config;
  const onLapse = () => supervisor.onLapse();
  return {
    heartbeatLoop: background((signal) => runHeartbeatLoop({ heartbeat, signal, onLapse })),
    recovery: background((signal) =>
      runRecoveryLoop({
        recovery: new Recovery(redis, keys),
        instanceId,
        signal,
      })
    ),
    poller: background((signal) =>
      runHealthPoller({
        board: new HealthBoard(redis, keys),
        clients: Object.values(deps.clients),
        gate,
        instanceId,
        intervalMs: deps.config.healthIntervalMs,
        timeoutMs: deps.config.healthTimeoutMs,
        signal,
      })
    ),
  };
}
