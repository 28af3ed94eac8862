/**
 * Fetch stage (docs/DESIGN.md): moves payments from the shared Redis queue into this instance's
 * processing list and sends them down the channel. A full channel blocks the send, so no more is
 * taken from Redis: backpressure reaches the queue, and at most `capacity + batch` payments sit
 * in this instance's memory.
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
  /** A dedicated connection for the blocking wait (docs/DESIGN.md). */
  blocking: Redis;
  out: Channel<QueuedPayment>;
  /** Most payments taken per round trip. */
  batch: number;
  /**
   * Pause after a take that returned payments but fewer than it asked for, ms; 0 = none. Payments
   * arriving meanwhile are taken together, and their calls and bookings go out together: each
   * wake-up of an instance costs ~200 µs of CPU on a loaded machine whatever it does
   * (docs/BENCHMARKS.md), so fewer, fuller ones leave more CPU to the intake. Settlement is
   * delayed by at most this, far inside the consistency checks' 2 s margin (docs/CONTRACT.md §3).
   */
  pauseMs: number;
  /** What the pipeline holds; taken entries are added here. */
  holdings: Holdings;
  signal: AbortSignal;
}

/**
 * Runs until `signal` aborts. Payments taken but not yet sent when it stops are returned, so the
 * caller can hand them back to the queue untouched.
 *
 * After a Redis error, and when the pipeline starts, it first releases the orphans of this
 * instance's processing list (holdings.ts): a take whose reply was lost may have moved entries
 * there that nobody holds. Only here, between takes, is that safe.
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
