/**
 * One pipeline: fetch → route → persist joined by bounded channels (docs/DESIGN.md "Shape"),
 * stopped in the order of docs/DESIGN.md "Graceful shutdown" (step 4).
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { QueuedPayment, Settlement } from "../domain/payment.ts";
import type { BookResult, Ledger } from "../store/ledger.ts";
import type { PaymentQueue } from "../store/queue.ts";
import type { Redis } from "../store/redis/client.ts";
import { Channel } from "./channel.ts";
import { runFetchStage } from "./fetch_stage.ts";
import { runPersistStage } from "./persist_stage.ts";
import { Holdings } from "./holdings.ts";
import { handBack, runRouteStage } from "./route_stage.ts";
import type { Settler } from "./settle.ts";

type Sizes = Pick<
  Config,
  "workers" | "fetchBatch" | "fetchPauseMs" | "persistBatch" | "channelCapacity"
>;

/** Options of {@link Pipeline}: its parts, and its sizes from the configuration. */
interface PipelineOptions extends Sizes {
  queue: PaymentQueue;
  ledger: Ledger;
  settler: Settler;
  /** Dedicated connection for the fetch stage's blocking wait. */
  blocking: Redis;
}

/** Counters of the pipeline, for /healthcheck and /metrics: its bookings' results, summed. */
export type PipelineCounters = BookResult;

/** The running pipeline of one instance. */
export class Pipeline {
  readonly counters: PipelineCounters = { booked: 0, skipped: 0 };
  readonly #fetched: Channel<QueuedPayment>;
  readonly #settled: Channel<Settlement>;
  readonly #stopFetch = new AbortController();
  readonly #interrupt = new AbortController();
  readonly #done: Promise<void>;
  #running = true;

  /** Starts the three stages. */
  constructor(options: PipelineOptions) {
    const holdings = new Holdings();
    this.#fetched = new Channel(options.channelCapacity);
    this.#settled = new Channel(options.channelCapacity);
    const fetch = runFetchStage({
      queue: options.queue,
      blocking: options.blocking,
      out: this.#fetched,
      batch: options.fetchBatch,
      pauseMs: options.fetchPauseMs,
      holdings,
      signal: this.#stopFetch.signal,
    }).then(async (undelivered) => {
      this.#fetched.close();
      // Nothing a worker has not started is kept: hand it back untouched.
      const unstarted = [
        ...undelivered,
        ...await this.#fetched.receiveBatch(Number.MAX_SAFE_INTEGER),
      ];
      for (const payment of unstarted) {
        await handBack(options.queue, holdings, payment, payment.attempt);
      }
    });
    const route = runRouteStage({
      input: this.#fetched,
      out: this.#settled,
      settler: options.settler,
      queue: options.queue,
      workers: options.workers,
      holdings,
      signal: this.#interrupt.signal,
    }).then(() => this.#settled.close());
    const persist = runPersistStage({
      input: this.#settled,
      ledger: options.ledger,
      processingKey: options.queue.processingKey,
      batch: options.persistBatch,
      holdings,
      signal: this.#interrupt.signal,
      onBooked: (booked, skipped) => {
        this.counters.booked += booked;
        this.counters.skipped += skipped;
      },
    });
    this.#done = Promise.all([fetch, route, persist]).then(() => {
      this.#running = false;
    });
  }

  /** True until every stage has stopped. */
  get running(): boolean {
    return this.#running;
  }

  /** Payments buffered between stages now. */
  get buffered(): { fetched: number; settled: number } {
    return { fetched: this.#fetched.size, settled: this.#settled.size };
  }

  /**
   * Stops the pipeline: no more fetching at once, workers interrupted at `deadlineMs` from now.
   * Resolves when every stage has stopped.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.#stopFetch.abort();
    const timer = setTimeout(() => this.#interrupt.abort(), deadlineMs);
    try {
      await this.#done;
    } finally {
      clearTimeout(timer);
    }
  }
}
