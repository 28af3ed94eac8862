/**
 * The fetch stage (docs/DESIGN.md "Fetch stage"): moves payments from the shared queue into this
 * instance's processing list and down the channel, whose backpressure bounds what is taken.
 *
 * @module
 */
import { info, warn } from "../log.ts";
import type { QueuedPayment } from "../domain/payment.ts";
import type { PaymentQueue } from "../store/queue.ts";
import type { Redis } from "../store/redis/client.ts";
import type { Channel } from "./channel.ts";
import type { Holdings } from "./holdings.ts";
import { sleep } from "../util/sleep.ts";

/** How long one blocking wait for the queue lasts, seconds: bounds the shutdown delay. */
const WAIT_SECONDS = 0.5;
/** Pause after a Redis error, ms. */
const ERROR_PAUSE_MS = 100;

/** Options of {@link runFetchStage}. */
export interface FetchStageOptions {
  queue: PaymentQueue;
  /** A dedicated connection for the blocking wait. */
  blocking: Redis;
  out: Channel<QueuedPayment>;
  /** Most payments taken per round trip. */
  batch: number;
  /** Pause after a take that got some payments but fewer than asked, ms; 0 = none. */
  pauseMs: number;
  /** What the pipeline holds; taken entries are added here. */
  holdings: Holdings;
  signal: AbortSignal;
}

/**
 * Runs until `signal` aborts; returns the payments taken but not yet sent, to be handed back
 * untouched. When the holdings want a resync (at start, after a Redis error), it first releases
 * the processing list's orphans — only here, between takes, is that safe.
 */
export async function runFetchStage(options: FetchStageOptions): Promise<QueuedPayment[]> {
  const { queue, out, signal, holdings } = options;
  while (!signal.aborted) {
    let taken: QueuedPayment[];
    let wanted: number;
    try {
      if (holdings.resyncWanted) {
        const released = await queue.releaseOrphans(holdings.raws);
        holdings.resynced();
        if (released) info(`fetch: ${released} orphaned payments sent back to the queue`);
      }
      const room = Math.max(1, out.capacity - out.size);
      wanted = Math.min(options.batch, room);
      taken = await queue.take(wanted);
      if (taken.length === 0) {
        const one = await queue.waitTake(options.blocking, WAIT_SECONDS);
        taken = one ? [one] : [];
      }
    } catch (error) {
      warn("fetch", String(error));
      holdings.requestResync(); // the reply may be lost after Redis moved entries
      await sleep(ERROR_PAUSE_MS, signal);
      continue;
    }
    for (const payment of taken) holdings.add(payment.raw);
    for (let i = 0; i < taken.length; i++) {
      try {
        await out.send(taken[i], signal);
      } catch {
        return taken.slice(i); // aborted (or closed): these never reached a worker
      }
    }
    // Fewer than asked: the queue ran empty. A take cut short by a nearly full channel got what it
    // asked for, so it does not pause: the channel's backpressure paces it.
    if (taken.length > 0 && taken.length < wanted && options.pauseMs > 0) {
      await sleep(options.pauseMs, signal);
    }
  }
  return [];
}
