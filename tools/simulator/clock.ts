/**
 * Time source of the simulator's service-health window, injectable so tests drive time by hand
 * (tests/tools/simulator/manual_clock.ts).
 *
 * @module
 */

/** A monotonic millisecond clock with one-shot timers. */
export interface Clock {
  /** Current time in ms on a monotonic scale (only differences are meaningful). */
  now(): number;
  /**
   * Runs `callback` once, `delayMs` ms from now.
   *
   * @returns a function that cancels the timer if it has not fired yet.
   */
  setTimer(callback: () => void, delayMs: number): () => void;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(callback, delayMs) {
    const id = setTimeout(callback, Math.max(0, delayMs));
    return () => clearTimeout(id);
  },
};
