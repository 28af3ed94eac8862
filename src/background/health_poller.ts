/**
 * The cluster-wide health poller (docs/DESIGN.md health gate). Every instance runs one; each round it
 * tries the Redis lock, and only the holder calls both processors' service-health and publishes
 * the result. The lock's expiry spaces the calls, so the processors see at most one call per
 * `intervalMs` (≥ 5 s) from the whole cluster (docs/CONTRACT.md §2). Every instance then reads the
 * published snapshot into its own gate.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { warn } from "../log.ts";
import type { HealthBoard } from "../store/health_board.ts";
import type { ProcessorClient } from "../processors/client.ts";
import type { HealthGate } from "../processors/health_gate.ts";
import type { HealthSnapshot } from "../domain/processor.ts";

/** Options of {@link runHealthPoller}; times in ms. */
export interface HealthPollerOptions {
  board: HealthBoard;
  clients: readonly ProcessorClient[];
  gate: HealthGate;
  instanceId: string;
  /** Lock time-to-live = least spacing of polls cluster-wide; ≥ 5000 (docs/CONTRACT.md §2). */
  intervalMs: number;
  /** Client timeout of one service-health call. */
  timeoutMs: number;
  /** How often the shared snapshot is read into the gate. */
  readEveryMs: number;
  signal: AbortSignal;
}

/**
 * Runs until `signal` aborts; never throws (faults are logged and retried next round).
 */
export async function runHealthPoller(options: HealthPollerOptions): Promise<void> {
  const { board, clients, gate, signal } = options;
  while (!signal.aborted) {
    try {
      if (await board.tryLock(options.instanceId, options.intervalMs)) {
        const snapshot: HealthSnapshot = { ...await board.read() };
        const results = await Promise.allSettled(
          clients.map((client) => client.health(options.timeoutMs, signal)),
        );
        results.forEach((result, i) => {
          if (result.status === "fulfilled") snapshot[clients[i].name] = result.value;
          else warn(`health-${clients[i].name}`, String(result.reason));
        });
        await board.publish(snapshot);
      }
      gate.report(await board.read());
    } catch (error) {
      warn("health-board", String(error));
    }
    await sleep(options.readEveryMs, undefined, { signal }).catch(() => {});
  }
}
