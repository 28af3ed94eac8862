/**
 * The one abortable pause of the product: every wait that shutdown must be able to cut short
 * (back-offs, holds, the background loops' spacing) goes through {@link sleep}.
 *
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";

/**
 * Waits `ms` milliseconds, or less: it resolves as soon as `signal` aborts (at once when it
 * already has), and the timer is then cleared. Unlike `node:timers/promises` it never rejects on
 * abort, so a caller just checks `signal.aborted` afterwards.
 */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    if (!signal.aborted) throw error; // not an abort: a bug, let it show
  }
}
