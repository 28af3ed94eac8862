/**
 * Keeps this instance's heartbeat key alive (store/heartbeat.ts) until stopped, so other
 * instances never recover the processing list of a live instance (recovery_loop.ts).
 *
 * Rule (docs/GUARANTEES.md): refresh every `intervalMs` (1000 ms in app.ts) a key that lives
 * `ttlMs` (3000 ms): two refreshes may fail or run late before the key lapses.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { warn } from "../log.ts";
import type { Heartbeat } from "../store/heartbeat.ts";

/** Options of {@link runHeartbeatLoop}; times in ms. */
export interface HeartbeatLoopOptions {
  heartbeat: Heartbeat;
  /** Spacing of refreshes; well under the key's time-to-live. */
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
export async function runHeartbeatLoop(options: HeartbeatLoopOptions): Promise<void> {
  const { heartbeat, signal } = options;
  while (!signal.aborted) {
    await sleep(options.intervalMs, undefined, { signal }).catch(() => {});
    if (signal.aborted) return;
    try {
      const inTime = await heartbeat.beat();
      if (!inTime) {
        warn("heartbeat", `${heartbeat.key} had lapsed; it is set again`);
        options.onLapse?.();
      }
    } catch (error) {
      warn("heartbeat", String(error));
    }
  }
}
