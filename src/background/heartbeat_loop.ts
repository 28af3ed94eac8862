/**
 * Keeps this instance's heartbeat key alive (store/heartbeat.ts) until stopped, so other
 * instances never recover the processing list of a live instance (recovery_loop.ts).
 *
 * Rule (docs/GUARANTEES.md): refresh every {@link HEARTBEAT_INTERVAL_MS} a key that lives
 * {@link HEARTBEAT_TTL_MS}: two refreshes may fail or run late before the key lapses.
 *
 * @module
 */
import { warn } from "../log.ts";
import type { Heartbeat } from "../store/heartbeat.ts";
import { runEvery } from "../util/periodic.ts";

/** Life of the heartbeat key without a refresh, ms (docs/GUARANTEES.md: two refreshes may be missed). */
export const HEARTBEAT_TTL_MS = 3_000;
/** Spacing of heartbeat refreshes, ms: a third of {@link HEARTBEAT_TTL_MS}. */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/** Options of {@link runHeartbeatLoop}; times in ms. */
interface HeartbeatLoopOptions {
  heartbeat: Pick<Heartbeat, "beat" | "key">;
  /** Spacing of refreshes; well under the key's time-to-live ({@link HEARTBEAT_INTERVAL_MS}). */
  intervalMs: number;
  /** Stops the loop (the key is left to the caller: `heartbeat.clear()` or its expiry). */
  signal: AbortSignal;
  /**
   * Called when a refresh finds the key had expired since the last good refresh (Redis was away
   * or this process stalled past the time-to-live): another instance may have recovered the
   * payments this instance holds. Those were re-marked as recovered, so their next taker looks
   * them up on both processors and waits the ambiguity horizon before sending them (recovery.ts).
   */
  onLapse?: () => void;
}

/**
 * Refreshes the heartbeat every `intervalMs` until `signal` aborts. The caller makes the first
 * beat before starting the pipeline. Never rejects: a failed refresh is logged and retried.
 */
export function runHeartbeatLoop(options: HeartbeatLoopOptions): Promise<void> {
  const { heartbeat } = options;
  return runEvery({
    intervalMs: options.intervalMs,
    signal: options.signal,
    round: async () => {
      if (await heartbeat.beat()) return;
      warn("heartbeat", `${heartbeat.key} had lapsed; it is set again`);
      options.onLapse?.();
    },
    onError: (error) => warn("heartbeat", String(error)),
  });
}
