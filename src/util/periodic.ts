/**
 * The skeleton shared by the background loops (docs/DESIGN.md "Background loops"): run one round,
 * pause, run the next, until stopped; a failed round is reported and the next one runs anyway.
 *
 * @module
 */
import { sleep } from "./sleep.ts";

/** Options of {@link runEvery}. */
interface EveryOptions {
  /** Pause between the end of one round and the start of the next, ms. */
  intervalMs: number;
  signal: AbortSignal;
  /** One round, given `signal`; its rejection goes to `onError`, which must not throw. */
  round: (signal: AbortSignal) => Promise<void>;
  onError: (error: unknown) => void;
  /** Runs the first round at once instead of after one pause; false by default. */
  firstRunImmediately?: boolean;
}

/**
 * Runs `round` every `intervalMs` until `signal` aborts (no round starts after it, a pause ends at
 * once); resolves once the round in progress, if any, has ended. Rejects only if `onError` throws.
 */
export async function runEvery(options: EveryOptions): Promise<void> {
  const { signal } = options;
  let pause = !options.firstRunImmediately;
  while (!signal.aborted) {
    if (pause) {
      await sleep(options.intervalMs, signal);
      if (signal.aborted) return;
    }
    pause = true;
    try {
      await options.round(signal);
    } catch (error) {
      options.onError(error);
    }
  }
}
