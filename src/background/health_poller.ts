/**
 * The health poller of every instance (docs/DESIGN.md "Background loops"): each round it tries the
 * cluster-wide lock, and only the holder calls both processors' service-health and publishes the
 * result, so the lock's expiry spaces the calls (docs/CONTRACT.md §2); then it reads the published
 * snapshot into its own gate.
 *
 * @module
 */
import { warn } from "../log.ts";
import type { HealthBoard } from "../store/health_board.ts";
import type { ProcessorClient } from "../processors/client.ts";
import type { HealthGate } from "../processors/health_gate.ts";
import type { HealthSnapshot } from "../domain/processor.ts";
import { runEvery } from "../util/periodic.ts";

/** How often each instance reads the shared snapshot into its gate, ms: one cheap Redis read. */
export const HEALTH_READ_EVERY_MS = 500;

/** Options of {@link runHealthPoller}; times in ms. */
interface HealthPollerOptions {
  board: HealthBoard;
  clients: readonly ProcessorClient[];
  gate: HealthGate;
  instanceId: string;
  /** Lock time-to-live = least spacing of polls cluster-wide; ≥ 5000 (docs/CONTRACT.md §2). */
  intervalMs: number;
  /** Client timeout of one service-health call. */
  timeoutMs: number;
  /** {@link HEALTH_READ_EVERY_MS} by default. */
  readEveryMs?: number;
  signal: AbortSignal;
}

/**
 * Runs a round at once, then every `readEveryMs`, until `signal` aborts; never rejects (faults
 * are logged and retried next round).
 */
export function runHealthPoller(options: HealthPollerOptions): Promise<void> {
  return runEvery({
    intervalMs: options.readEveryMs ?? HEALTH_READ_EVERY_MS,
    signal: options.signal,
    firstRunImmediately: true,
    round: (signal) => pollRound(options, signal),
    onError: (error) => warn("health-board", String(error)),
  });
}

/** One round: poll both processors if this instance wins the lock, then read the snapshot. */
async function pollRound(options: HealthPollerOptions, signal: AbortSignal): Promise<void> {
  const { board, clients } = options;
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
  options.gate.report(await board.read());
}
