/**
 * Keeps this instance's heartbeat key alive (store/heartbeat.ts) until stopped, so peers never
 * recover a live instance's processing list (docs/DESIGN.md "Background loops").
 *
 * @module
 */
import { warn } from "../log.ts";
import type { Heartbeat } from "../store/heartbeat.ts";
import { runEvery } from "../util/periodic.ts";

/** Life of the heartbeat key without a refresh, ms: two refreshes may be missed before it ends. */
export const HEARTBEAT_TTL_MS = 3_000;
/** Spacing of heartbeat refreshes, ms: a third of {@link HEARTBEAT_TTL_MS}. */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/** Options of {@link runHeartbeatLoop}; times in ms. */
interface HeartbeatLoopOptions {
  heartbeat: Pick<Heartbeat, "beat" | "key">;
  /** {@link HEARTBEAT_INTERVAL_MS} by default. */
  intervalMs?: number;
  /** Stops the loop (the key is left to the caller: `heartbeat.clear()` or its expiry). */
  signal: AbortSignal;
  /** Told when a refresh finds the key had lapsed: peers may have recovered what it holds. */
  onLapse?: () => void;
}

/**
 * Refreshes the heartbeat every `intervalMs` until `signal` aborts. The caller makes the first
 * beat before starting the pipeline. Never rejects: a failed refresh is logged and retried.
 */
export function runHeartbeatLoop(options: HeartbeatLoopOptions): Promise<void> {
  const { heartbeat } = options;
  return runEvery({
    intervalMs: options.intervalMs ?? HEARTBEAT_INTERVAL_MS,
    signal: options.signal,
    round: async () => {
      if (await heartbeat.beat()) return;
      warn("heartbeat", `${heartbeat.key} had lapsed; it is set again`);
      options.onLapse?.();
    },
    onError: (error) => warn("heartbeat", String(error)),
  });
}
