/**
 * A {@linkcode Clock} for tests of the simulator's service-health window: time moves only when a
 * test says so.
 *
 * @module
 */

import type { Clock } from "../../../tools/simulator/clock.ts";

/**
 * A clock that moves only when told to; timers fire synchronously inside {@linkcode advance},
 * in deadline order (ties in scheduling order), each seeing `now()` equal to its deadline.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, { at: number; callback: () => void }>();

  /** @param startMs the initial reading of {@linkcode now} (ms). */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  /** Current time in ms. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback` at `now() + delayMs`; returns its cancel function. */
  setTimer(callback: () => void, delayMs: number): () => void {
    const id = this.#seq++;
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), callback });
    return () => this.#timers.delete(id);
  }

  /** Number of timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (including timers
   * scheduled by those callbacks).
   *
   * @throws {RangeError} if `ms` is negative or not finite.
   */
  advance(ms: number): void {
    if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`cannot advance by ${ms} ms`);
    const target = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].callback();
    }
    this.#now = target;
  }
}
