/**
 * A background loop of one instance (background/*.ts) with its own stop switch, so shutdown can
 * stop each one at its own step (shutdown.ts) and await it at another.
 *
 * @module
 */

/** A started loop: {@link abort} asks it to stop, {@link done} settles once it has. */
export class BackgroundTask {
  /** Settles when the loop has returned (the loops never reject). */
  readonly done: Promise<void>;
  readonly #stop = new AbortController();

  /** Starts `run` with a signal that {@link abort} aborts. */
  constructor(run: (signal: AbortSignal) => Promise<void>) {
    this.done = run(this.#stop.signal);
  }

  /** Asks the loop to stop; it ends its round in progress first. Idempotent. */
  abort(): void {
    this.#stop.abort();
  }
}
