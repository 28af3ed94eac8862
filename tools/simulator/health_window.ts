/**
 * The fixed-window rate limit on `GET /payments/service-health`, shared by every caller
 * (Endpoints.cs: `AddFixedWindowLimiter("service-health")`, 1 permit per `RATE_LIMIT_SECONDS`
 * window, queue of 2, oldest first), reproducing how ASP.NET runs it:
 *
 * - The limiter is created by the first call (`RateLimitPartition.GetFixedWindowLimiter`), so the
 *   first window starts at that call, not at a multiple of the window.
 * - Windows are not renewed by their own timer: one shared heartbeat, every 100 ms since the server
 *   started (`DefaultPartitionedRateLimiter`), renews a window once ≥ `window` has passed since the
 *   last renewal. So renewals fall on heartbeats and windows last `window` rounded up to 100 ms.
 *   A renewal also happens (and re-anchors) when the permit was not used.
 * - On renewal the permit goes to the oldest queued caller, if any (`FixedWindowRateLimiter`).
 * - A limiter idle for more than 10 s (permit unused since the renewal that restored it) is
 *   dropped at a heartbeat; the next call creates a fresh one, anchored at that call.
 * - A call is granted at once only if the permit is free and nobody is queued; else it queues if
 *   fewer than `queueLimit` wait; else it is rejected (the caller answers 429).
 *
 * Heartbeats are computed, not ticked: the state is brought up to date on each call, and a timer
 * runs only while someone is queued.
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";

/** Options of {@linkcode HealthWindow}. */
interface HealthWindowOptions {
  /** Window length in ms (Endpoints.cs: `RATE_LIMIT_SECONDS`, 5 s). */
  readonly windowMs: number;
  /** Calls granted per window (Endpoints.cs: 1). */
  readonly permitLimit?: number;
  /** Calls allowed to wait for the next window (Endpoints.cs: 2). */
  readonly queueLimit?: number;
  /** Heartbeat period in ms (DefaultPartitionedRateLimiter.cs: 100). */
  readonly heartbeatMs?: number;
  /** Idle ms after which the limiter is dropped (DefaultPartitionedRateLimiter.cs: 10 s). */
  readonly idleLimitMs?: number;
  /** Time source; {@linkcode systemClock} by default. */
  readonly clock?: Clock;
}

interface Waiter {
  resolve(granted: boolean): void;
  detach(): void;
}

interface Window {
  permits: number;
  lastRenewal: number;
  idleSince: number | null;
  readonly queue: Set<Waiter>;
}

/** A shared fixed-window limiter; see the module documentation for the exact rules. */
export class HealthWindow {
  readonly #windowMs: number;
  readonly #permitLimit: number;
  readonly #queueLimit: number;
  readonly #heartbeatMs: number;
  readonly #idleLimitMs: number;
  readonly #clock: Clock;
  readonly #origin: number;
  #window: Window | undefined;
  #cancelTimer: (() => void) | undefined;

  /** @throws {RangeError} if a duration or limit is not a positive number (queueLimit may be 0). */
  constructor(options: HealthWindowOptions) {
    this.#windowMs = options.windowMs;
    this.#permitLimit = options.permitLimit ?? 1;
    this.#queueLimit = options.queueLimit ?? 2;
    this.#heartbeatMs = options.heartbeatMs ?? 100;
    this.#idleLimitMs = options.idleLimitMs ?? 10_000;
    const durations = [this.#windowMs, this.#permitLimit, this.#heartbeatMs, this.#idleLimitMs];
    if (!durations.every((value) => value > 0 && Number.isFinite(value))) {
      throw new RangeError("windowMs, permitLimit, heartbeatMs and idleLimitMs must be > 0");
    }
    if (!(Number.isInteger(this.#queueLimit) && this.#queueLimit >= 0)) {
      throw new RangeError("queueLimit must be a non-negative integer");
    }
    this.#clock = options.clock ?? systemClock;
    this.#origin = this.#clock.now();
  }

  /**
   * Takes the window's permit only if it is free and nobody is queued (.NET `AttemptAcquire`,
   * tried by the ASP.NET middleware before queuing); never queues.
   *
   * @returns `true` if granted.
   */
  tryAcquire(): boolean {
    const window = this.#current();
    if (window.permits === 0 || window.queue.size > 0) return false;
    window.permits--;
    window.idleSince = null;
    return true;
  }

  /** Whether a call that cannot be granted now would be queued rather than rejected. */
  get canQueue(): boolean {
    return this.#current().queue.size < this.#queueLimit;
  }

  /** The window as of now, created (anchored now) if there is none. */
  #current(): Window {
    const now = this.#clock.now();
    this.#catchUp(now);
    return this.#window ??= {
      permits: this.#permitLimit,
      lastRenewal: now,
      idleSince: now,
      queue: new Set(),
    };
  }

  /**
   * Asks for a call in the current window. The decision is taken synchronously.
   *
   * @returns `true` when granted (at once, or at a later renewal), `false` if rejected.
   * @throws the signal's reason (rejection) if `signal` aborts while queued.
   */
  acquire(signal?: AbortSignal): Promise<boolean> {
    if (this.tryAcquire()) return Promise.resolve(true);
    const window = this.#current();
    if (window.queue.size >= this.#queueLimit) return Promise.resolve(false);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        window.queue.delete(waiter);
        if (window.queue.size === 0) this.#stopTimer();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      window.queue.add(waiter);
      this.#startTimer();
    });
  }

  /** First heartbeat at or after `time` (strictly after it when `strict`). */
  #heartbeatFrom(time: number, strict: boolean): number {
    const beats = (time - this.#origin) / this.#heartbeatMs;
    const index = strict ? Math.floor(beats) + 1 : Math.ceil(beats);
    return this.#origin + Math.max(1, index) * this.#heartbeatMs;
  }

  /** Applies every heartbeat up to `now` that drops or renews the window. */
  #catchUp(now: number): void {
    for (let window = this.#window; window; window = this.#window) {
      const dropAt = window.idleSince === null
        ? Infinity
        : this.#heartbeatFrom(window.idleSince + this.#idleLimitMs, true);
      const renewAt = this.#heartbeatFrom(window.lastRenewal + this.#windowMs, false);
      if (Math.min(dropAt, renewAt) > now) return;
      if (dropAt <= renewAt) { // the idle check runs before the renewal in one heartbeat
        this.#window = undefined;
        return;
      }
      window.lastRenewal = renewAt;
      if (window.permits >= this.#permitLimit) continue;
      window.permits = this.#permitLimit;
      for (const waiter of window.queue) {
        if (window.permits === 0) break;
        window.queue.delete(waiter);
        window.permits--;
        waiter.detach();
        waiter.resolve(true);
      }
      if (window.permits === this.#permitLimit) window.idleSince = renewAt;
    }
  }

  #startTimer(): void {
    const window = this.#window;
    if (this.#cancelTimer || !window || window.queue.size === 0) return;
    const renewAt = this.#heartbeatFrom(window.lastRenewal + this.#windowMs, false);
    this.#cancelTimer = this.#clock.setTimer(() => {
      this.#cancelTimer = undefined;
      this.#catchUp(this.#clock.now());
      this.#startTimer();
    }, renewAt - this.#clock.now());
  }

  #stopTimer(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }
}
