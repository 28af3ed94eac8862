/**
 * The concurrency limiter in front of `POST /payments` and `GET /payments/{id}` (Endpoints.cs:
 * `AddConcurrencyLimiter("concurrency")`, 800 permits, queue of 500, oldest first), with the
 * semantics of .NET's `System.Threading.RateLimiting.ConcurrencyLimiter`.
 *
 * @module
 */

/** Options of {@linkcode ConcurrencyLimiter}. */
interface ConcurrencyLimiterOptions {
  /** Requests allowed in progress at once (Endpoints.cs: 800). */
  readonly permitLimit: number;
  /** Requests allowed to wait for a permit (Endpoints.cs: 500). */
  readonly queueLimit: number;
}

interface Waiter {
  resolve(granted: boolean): void;
  detach(): void;
}

/**
 * A permit is held from grant until {@linkcode release}, i.e. for the whole request, the delay
 * included, even when the client has gone (the delay is not cancelled). A request is granted at
 * once only if a permit is free and nobody is queued; otherwise it queues if the queue has room,
 * else it is rejected (the caller answers 429). Released permits go to the oldest waiter first. A
 * waiter whose signal aborts leaves the queue.
 */
export class ConcurrencyLimiter {
  #available: number;
  readonly #options: ConcurrencyLimiterOptions;
  readonly #queue = new Set<Waiter>();

  /**
   * @throws {RangeError} if `permitLimit` is not a positive integer or `queueLimit` not a
   *   non-negative integer.
   */
  constructor(options: ConcurrencyLimiterOptions) {
    if (!Number.isInteger(options.permitLimit) || options.permitLimit < 1) {
      throw new RangeError(`permitLimit must be a positive integer, got ${options.permitLimit}`);
    }
    if (!Number.isInteger(options.queueLimit) || options.queueLimit < 0) {
      throw new RangeError(`queueLimit must be a non-negative integer, got ${options.queueLimit}`);
    }
    this.#options = { ...options };
    this.#available = options.permitLimit;
  }

  /** Permits currently held. */
  get inUse(): number {
    return this.#options.permitLimit - this.#available;
  }

  /** Requests currently waiting. */
  get queued(): number {
    return this.#queue.size;
  }

  /**
   * Takes a permit only if one is free and nobody is queued (.NET `AttemptAcquire`, which the
   * ASP.NET middleware tries before queuing). Lets callers skip touching a request's signal on
   * the fast path (reading `request.signal` makes Deno warn when it later aborts on success).
   *
   * @returns `true` if granted (call {@linkcode release} exactly once later).
   */
  tryAcquire(): boolean {
    if (this.#available === 0 || this.#queue.size > 0) return false;
    this.#available--;
    return true;
  }

  /** Whether a request that cannot be granted now would be queued rather than rejected. */
  get canQueue(): boolean {
    return this.#queue.size < this.#options.queueLimit;
  }

  /**
   * Asks for a permit. The decision to grant, queue or reject is taken synchronously, so calls
   * made in a row are served in that order.
   *
   * @returns `true` once granted (call {@linkcode release} exactly once later), `false` if
   *   rejected because the queue is full.
   * @throws the signal's reason (rejection) if `signal` aborts while waiting in the queue.
   */
  acquire(signal?: AbortSignal): Promise<boolean> {
    if (this.tryAcquire()) return Promise.resolve(true);
    if (!this.canQueue) return Promise.resolve(false);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#queue.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.add(waiter);
    });
  }

  /**
   * Returns a permit and hands free permits to the oldest waiters.
   *
   * @throws {RangeError} if no permit is held.
   */
  release(): void {
    if (this.#available >= this.#options.permitLimit) {
      throw new RangeError("release without a held permit");
    }
    this.#available++;
    for (const waiter of this.#queue) {
      if (this.#available === 0) break;
      this.#queue.delete(waiter);
      this.#available--;
      waiter.detach();
      waiter.resolve(true);
    }
  }
}
