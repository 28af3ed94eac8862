/**
 * Starts one instance's three background loops (docs/DESIGN.md "Background loops") with their
 * production spacing: the heartbeat (background/heartbeat_loop.ts), crash recovery
 * (background/recovery_loop.ts) and the health poller (background/health_poller.ts). Each gets its
 * own stop switch, because shutdown stops them at different steps (shutdown.ts).
 *
 * @module
 */
import { HEALTH_READ_EVERY_MS, runHealthPoller } from "../background/health_poller.ts";
import { HEARTBEAT_INTERVAL_MS, runHeartbeatLoop } from "../background/heartbeat_loop.ts";
import { RECOVERY_GRACE_MS, RECOVERY_INTERVAL_MS } from "../background/recovery_loop.ts";
import { runRecoveryLoop } from "../background/recovery_loop.ts";
import type { Config } from "../config.ts";
import type { ProcessorName } from "../domain/processor.ts";
import type { ProcessorClient } from "../processors/client.ts";
import type { HealthGate } from "../processors/health_gate.ts";
import { HealthBoard } from "../store/health_board.ts";
import { Recovery } from "../store/recovery.ts";
import type { Heartbeat } from "../store/heartbeat.ts";
import type { Keys } from "../store/keys.ts";
import type { Redis } from "../store/redis/client.ts";
import { BackgroundTask } from "./background_task.ts";

/** What the loops work on; times in ms. */
interface BackgroundDeps {
  /** The shared command connection. */
  redis: Redis;
  keys: Keys;
  /** This instance's id, the spacing of service-health calls cluster-wide and their timeout. */
  config: Pick<Config, "instanceId" | "healthIntervalMs" | "healthTimeoutMs">;
  /** This instance's heartbeat, already beaten once. */
  heartbeat: Heartbeat;
  /** Told when a refresh found the heartbeat had lapsed (supervisor.ts). */
  supervisor: { onLapse(): void };
  clients: Record<ProcessorName, ProcessorClient>;
  gate: HealthGate;
}

/** The started loops, named as shutdown.ts takes them. */
interface BackgroundLoops {
  heartbeatLoop: BackgroundTask;
  recovery: BackgroundTask;
  poller: BackgroundTask;
}

/** Starts the heartbeat, recovery and health-poller loops. */
export function startBackgroundLoops(deps: BackgroundDeps): BackgroundLoops {
  const { redis, keys, heartbeat, gate, supervisor } = deps;
  const { instanceId } = deps.config;
  const onLapse = () => supervisor.onLapse();
  return {
    heartbeatLoop: new BackgroundTask((signal) =>
      runHeartbeatLoop({ heartbeat, intervalMs: HEARTBEAT_INTERVAL_MS, signal, onLapse })
    ),
    recovery: new BackgroundTask((signal) =>
      runRecoveryLoop({
        recovery: new Recovery(redis, keys),
        instanceId,
        intervalMs: RECOVERY_INTERVAL_MS,
        graceMs: RECOVERY_GRACE_MS,
        signal,
      })
    ),
    poller: new BackgroundTask((signal) =>
      runHealthPoller({
        board: new HealthBoard(redis, keys),
        clients: Object.values(deps.clients),
        gate,
        instanceId,
        intervalMs: deps.config.healthIntervalMs,
        timeoutMs: deps.config.healthTimeoutMs,
        readEveryMs: HEALTH_READ_EVERY_MS,
        signal,
      })
    ),
  };
}
