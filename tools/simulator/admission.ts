/**
 * The simulator's two rate limiters as ASP.NET's rate-limiting middleware applies them
 * (Endpoints.cs): the concurrency limiter in front of the payment routes (limiter.ts) and the
 * shared fixed window in front of `GET /payments/service-health` (health_window.ts). A rejection
 * is 429 with `Retry-After: <rate-limit seconds>` (the body text is ours).
 *
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";
import { HealthWindow } from "./health_window.ts";
import { ConcurrencyLimiter } from "./limiter.ts";
import { empty } from "./responses.ts";

/** Default health window and `Retry-After`, in seconds (Endpoints.cs `RATE_LIMIT_SECONDS`). */
const DEFAULT_RATE_LIMIT_SECONDS = 5;
/** Default concurrent payment requests (Endpoints.cs concurrency limiter). */
const DEFAULT_CONCURRENCY_LIMIT = 800;
/** Default payment requests waiting for the concurrency limiter (Endpoints.cs). */
const DEFAULT_CONCURRENCY_QUEUE_LIMIT = 500;

/** Limits of an {@linkcode Admission}. */
export interface AdmissionOptions {
  /** Health window length and `Retry-After` value, in whole seconds. Default 5. */
  readonly rateLimitSeconds?: number;
  /** Payment requests in progress at once. Default 800. */
  readonly concurrencyLimit?: number;
  /** Payment requests waiting beyond that. Default 500. */
  readonly concurrencyQueueLimit?: number;
  /** Time source of the health window (not of the payment delay, which uses real timers). */
  readonly clock?: Clock;
  /** Aborting it ends every limiter wait at once: those requests answer 503. */
  readonly signal?: AbortSignal;
}

/** What {@linkcode ConcurrencyLimiter} and {@linkcode HealthWindow} share. */
type Gate = Pick<ConcurrencyLimiter, "tryAcquire" | "canQueue" | "acquire">;

/**
 * Admits requests through the limiters. Decisions are taken synchronously when called, so
 * requests issued in a row are admitted in that order.
 */
export class Admission {
  readonly #rateLimitSeconds: number;
  readonly #limiter: ConcurrencyLimiter;
  readonly #health: HealthWindow;
  readonly #signal: AbortSignal | undefined;

  /** @throws {RangeError} if a limit is not a positive integer (the queue limit may be 0). */
  constructor(options: AdmissionOptions) {
    this.#rateLimitSeconds = options.rateLimitSeconds ?? DEFAULT_RATE_LIMIT_SECONDS;
    if (!Number.isInteger(this.#rateLimitSeconds) || this.#rateLimitSeconds < 1) {
      throw new RangeError(
        `rateLimitSeconds must be a positive integer, got ${this.#rateLimitSeconds}`,
      );
    }
    this.#limiter = new ConcurrencyLimiter({
      permitLimit: options.concurrencyLimit ?? DEFAULT_CONCURRENCY_LIMIT,
      queueLimit: options.concurrencyQueueLimit ?? DEFAULT_CONCURRENCY_QUEUE_LIMIT,
    });
    this.#health = new HealthWindow({
      windowMs: this.#rateLimitSeconds * 1000,
      clock: options.clock ?? systemClock,
    });
    this.#signal = options.signal;
  }

  /**
   * Runs `serve` holding a concurrency permit (Endpoints.cs `RequireRateLimiting("concurrency")`);
   * without one, answers 429, 503 or 499 as `#admit` says.
   */
  async limited(request: Request, serve: () => Promise<Response>): Promise<Response> {
    const granted = await this.#admit(this.#limiter, request);
    if (granted !== true) return granted;
    try {
      return await serve();
    } finally {
      this.#limiter.release();
    }
  }

  /** Passes the service-health window: `true`, or the response to send (see `#admit`). */
  healthWindow(request: Request): Promise<true | Response> {
    return this.#admit(this.#health, request);
  }

  /**
   * The ASP.NET rate-limiting middleware's order: grant at once, else queue, else 429. Touches
   * `request.signal` only to queue (Deno warns about signals read by requests that succeed).
   *
   * @returns `true` once granted, else the response to send: 429; 503 if shutting down; 499
   *   (read by nobody) if the client left while queued.
   */
  async #admit(gate: Gate, request: Request): Promise<true | Response> {
    if (gate.tryAcquire()) return true;
    if (!gate.canQueue) return this.#tooMany();
    const signal = this.#signal ? AbortSignal.any([request.signal, this.#signal]) : request.signal;
    try {
      return await gate.acquire(signal) || this.#tooMany();
    } catch {
      return empty(this.#signal?.aborted ? 503 : 499);
    }
  }

  #tooMany(): Response {
    return new Response("Too many requests. Try again later.", {
      status: 429,
      headers: { "retry-after": String(this.#rateLimitSeconds) },
    });
  }
}
