/**
 * A bounded FIFO channel between async tasks, modelled on Go's buffered `chan T`
 * (docs/decisions/0004-own-channel.md): `send` waits while full (backpressure), `receive` while
 * empty, `close()`, `for await`. Unlike Go, a send on a closed channel rejects instead of
 * panicking, and any wait can be cancelled by an `AbortSignal`.
 *
 * @module
 */

/** Thrown by {@linkcode Channel.trySend} and rejected by {@linkcode Channel.send} once closed. */
export class ChannelClosedError extends Error {
  override name = "ChannelClosedError";
  constructor(message = "Channel is closed", options?: ErrorOptions) {
    super(message, options);
  }
}

/** A node of an intrusive circular doubly linked list; a detached node points at itself. */
class Link {
  prev: Link = this;
  next: Link = this;

  /** Removes this node from its list in O(1); a no-op when already detached. */
  unlink(): void {
    this.prev.next = this.next;
    this.next.prev = this.prev;
    this.prev = this.next = this;
  }
}

/** A FIFO queue of waiters: O(1) push and shift; O(1) removal via {@linkcode Link.unlink}. */
class WaitQueue<W extends Link> {
  readonly #head = new Link(); // sentinel: #head.next is the oldest node, #head.prev the newest

  /** Appends `node` as the newest waiter. */
  push(node: W): void {
    node.prev = this.#head.prev;
    node.next = this.#head;
    this.#head.prev.next = node;
    this.#head.prev = node;
  }

  /** Detaches and returns the oldest waiter, or `undefined` when the queue is empty. */
  shift(): W | undefined {
    const node = this.#head.next;
    if (node === this.#head) return undefined;
    node.unlink();
    return node as W;
  }

  /** Detaches and yields every waiter, oldest first. */
  *drain(): Generator<W, void, undefined> {
    for (let node = this.shift(); node !== undefined; node = this.shift()) yield node;
  }
}

/**
 * A parked `send` (carrying its `value`) or `receive`, settled exactly once: by the channel, which
 * first shifts it off its queue, or by its signal aborting, which unlinks it. Either way its abort
 * listener is gone afterwards (it is registered `once`, and removed when the channel settles it).
 */
class Waiter<V, R> extends Link {
  readonly value: V;
  readonly promise: Promise<R>;
  readonly #resolvers: PromiseWithResolvers<R>;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => {
    this.unlink();
    this.#resolvers.reject(this.#signal?.reason);
  };

  constructor(value: V, signal: AbortSignal | undefined) {
    super();
    this.value = value;
    this.#resolvers = Promise.withResolvers<R>();
    this.promise = this.#resolvers.promise;
    this.#signal = signal;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Fulfils the waiting call with `result`. */
  resolve(result: R): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#resolvers.resolve(result);
  }

  /** Rejects the waiting call with `error`. */
  reject(error: unknown): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#resolvers.reject(error);
  }
}

/**
 * A bounded, multi-producer multi-consumer FIFO channel. Values are received in the order sent;
 * waiting senders and receivers are each served oldest first, and a value sent while a receiver
 * waits goes straight to it. Storage is a fixed ring of `capacity` slots; a parked sender's value
 * enters it only when a receive frees a slot. No timers: every wait ends by a counterpart
 * operation, {@linkcode Channel.close}, or its `AbortSignal`.
 */
export class Channel<T> implements AsyncIterable<T> {
  /** The most values the channel buffers; a send waits while this many are buffered. */
  readonly capacity: number;
  readonly #ring: (T | undefined)[];
  #head = 0; // ring index of the oldest buffered value
  #size = 0;
  #closed = false;
  // Senders wait only while the ring is full and receivers only while it is empty, so at most one
  // of these queues is non-empty at any moment.
  readonly #senders = new WaitQueue<Waiter<T, void>>();
  readonly #receivers = new WaitQueue<Waiter<undefined, IteratorResult<T, undefined>>>();

  /**
   * @param capacity How many values may be buffered: an integer >= 1 (no unbuffered channel).
   * @throws {RangeError} If `capacity` is not an integer >= 1.
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Channel capacity must be an integer >= 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#ring = new Array(capacity);
  }

  /** How many values are buffered right now (0 to {@linkcode Channel.capacity}). */
  get size(): number {
    return this.#size;
  }

  /** Whether {@linkcode Channel.close} has been called (values may still be buffered). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `value`, waiting while the buffer is full; resolves once it is buffered or handed to a
   * receiver. An abort of `signal` cancels the wait, and the value is then not enqueued.
   *
   * @throws {ChannelClosedError} (as a rejection) If the channel is closed before or while waiting.
   * @throws {unknown} (as a rejection) `signal.reason` if `signal` is or becomes aborted first; an
   * already-aborted signal wins over a closed channel.
   */
  async send(value: T, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.trySend(value)) return;
    return await this.#park(this.#senders, value, signal);
  }

  /**
   * Sends `value` if that needs no waiting: `true` if it was handed to a waiting receiver or
   * buffered, `false` if the buffer is full (nothing changes then). Throws
   * {@linkcode ChannelClosedError} if the channel is closed.
   */
  trySend(value: T): boolean {
    if (this.#closed) throw new ChannelClosedError();
    const receiver = this.#receivers.shift();
    if (receiver !== undefined) {
      receiver.resolve({ done: false, value });
      return true;
    }
    if (this.#size === this.capacity) return false;
    this.#push(value);
    return true;
  }

  /**
   * Receives the oldest value, waiting while the channel is empty: `{ done: false, value }`, or
   * `{ done: true, value: undefined }` once it is closed and drained. Rejects with `signal.reason`
   * if `signal` is or becomes aborted first; no value is consumed then.
   */
  async receive(signal?: AbortSignal): Promise<IteratorResult<T, undefined>> {
    signal?.throwIfAborted();
    if (this.#size > 0) return { done: false, value: this.#take() };
    if (this.#closed) return { done: true, value: undefined };
    return await this.#park(this.#receivers, undefined, signal);
  }

  /**
   * Waits for at least one value, then also takes whatever more is available without waiting
   * (buffered values, then values of waiting senders): 1 to `max` values, oldest first, or `[]`
   * once the channel is closed and drained. `signal` cancels only the wait for the first value.
   *
   * @throws {RangeError} (as a rejection) If `max` is not an integer >= 1.
   * @throws {unknown} (as a rejection) `signal.reason` if `signal` is or becomes aborted first.
   */
  async receiveBatch(max: number, signal?: AbortSignal): Promise<T[]> {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`Batch size must be an integer >= 1, got ${max}`);
    }
    signal?.throwIfAborted();
    const batch: T[] = [];
    if (this.#size === 0) {
      const first = await this.receive(signal);
      if (first.done) return batch;
      batch.push(first.value);
    }
    while (batch.length < max && this.#size > 0) batch.push(this.#take());
    return batch;
  }

  /**
   * Closes the channel; idempotent. Waiting and future senders reject with
   * {@linkcode ChannelClosedError} (their values are dropped); buffered values stay receivable;
   * receivers get `done` once the buffer is drained.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sender of this.#senders.drain()) sender.reject(new ChannelClosedError());
    for (const receiver of this.#receivers.drain()) {
      receiver.resolve({ done: true, value: undefined });
    }
  }

  /**
   * Iterates received values until the channel is closed and drained, like Go's `range`. Leaving
   * the loop early neither closes the channel nor consumes a value beyond those already yielded.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, undefined, undefined> {
    for (let result = await this.receive(); !result.done; result = await this.receive()) {
      yield result.value;
    }
    return undefined;
  }

  /** Appends `value` to the ring, which must not be full. */
  #push(value: T): void {
    this.#ring[(this.#head + this.#size) % this.capacity] = value;
    this.#size++;
  }

  /** Removes the oldest value from the ring, which must not be empty, and refills the freed slot
   * from the oldest waiting sender. */
  #take(): T {
    const value = this.#ring[this.#head] as T;
    this.#ring[this.#head] = undefined; // let the value be collected
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    const sender = this.#senders.shift();
    if (sender !== undefined) {
      this.#push(sender.value);
      sender.resolve();
    }
    return value;
  }

  /** Parks the caller on `queue` until the channel settles it or `signal` aborts. */
  #park<V, R>(queue: WaitQueue<Waiter<V, R>>, value: V, signal?: AbortSignal): Promise<R> {
    const waiter = new Waiter<V, R>(value, signal);
    queue.push(waiter);
    return waiter.promise;
  }
}
