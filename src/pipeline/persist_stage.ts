/**
 * The persist stage (docs/DESIGN.md "Persist stage"): books confirmed payments in batches of
 * whatever is waiting and acknowledges them off the processing list in the same script; a failed
 * batch is retried until it lands (docs/CONTRACT.md §6.1).
 *
 * @module
 */
import { warn } from "../log.ts";
import type { Settlement } from "../domain/payment.ts";
import type { Ledger } from "../store/ledger.ts";
import type { Channel } from "./channel.ts";
import type { Holdings } from "./holdings.ts";
import { sleep } from "../util/sleep.ts";

/** Pause between retries of a failed batch, ms. */
const RETRY_PAUSE_MS = 50;

/** Options of {@link runPersistStage}. */
export interface PersistStageOptions {
  input: Channel<Settlement>;
  ledger: Ledger;
  processingKey: string;
  /** Most settlements per Redis round trip. */
  batch: number;
  /** What the pipeline holds: a booked payment leaves it. */
  holdings: Holdings;
  /** Aborting gives up retrying a failing batch (only at the shutdown deadline). */
  signal: AbortSignal;
  /** Called after each booked batch, e.g. for metrics. */
  onBooked?: (booked: number, skipped: number) => void;
}

/** Runs until the input channel is closed and drained. Never rejects. */
export async function runPersistStage(options: PersistStageOptions): Promise<void> {
  for (;;) {
    const batch = await options.input.receiveBatch(options.batch);
    if (batch.length === 0) return;
    while (true) {
      try {
        const { booked, skipped } = await options.ledger.book(options.processingKey, batch);
        for (const settlement of batch) options.holdings.delete(settlement.payment.raw);
        options.onBooked?.(booked, skipped);
        break;
      } catch (error) {
        warn("persist", String(error));
        if (options.signal.aborted) {
          warn(
            "persist",
            `gave up ${batch.length} settlements at shutdown; they stay in processing`,
          );
          break;
        }
        await sleep(RETRY_PAUSE_MS, options.signal);
      }
    }
  }
}
