/**
 * The route stage (docs/DESIGN.md "Route stage"): `workers` concurrent loops, each settling a
 * payment (settle.ts) and sending the settlement on to the persist stage.
 *
 * @module
 */
import { warn } from "../log.ts";
import type { AttemptState, QueuedPayment, Settlement } from "../domain/payment.ts";
import type { PaymentQueue } from "../store/queue.ts";
import type { Channel } from "./channel.ts";
import type { Holdings } from "./holdings.ts";
import type { Settler } from "./settle.ts";

/** Options of {@link runRouteStage}. */
export interface RouteStageOptions {
  input: Channel<QueuedPayment>;
  out: Channel<Settlement>;
  settler: Settler;
  queue: PaymentQueue;
  workers: number;
  /** What the pipeline holds: a handed-back payment leaves it. */
  holdings: Holdings;
  /** Aborting interrupts settlements in progress; they are handed back to the queue. */
  signal: AbortSignal;
}

/**
 * Returns `payment` to the queue with `attempt` and forgets it. If that fails, the entry stays in
 * the processing list unheld, and the fetch stage is asked to release it as an orphan.
 */
export async function handBack(
  queue: PaymentQueue,
  holdings: Holdings,
  payment: QueuedPayment,
  attempt: AttemptState,
): Promise<void> {
  try {
    await queue.handBack(payment, attempt);
  } catch (error) {
    warn("hand-back", `${payment.correlationId} stays in the processing list: ${error}`);
    holdings.requestResync();
  } finally {
    holdings.delete(payment.raw);
  }
}

/**
 * Runs until the input channel is closed and drained, or `signal` aborts. Resolves when every
 * worker has stopped; never rejects.
 */
export async function runRouteStage(options: RouteStageOptions): Promise<void> {
  const worker = async () => {
    for await (const payment of options.input) {
      const result = await options.settler.settle(payment, options.signal);
      if (result.kind === "settled") {
        await options.out.send(result.settlement);
        continue;
      }
      await handBack(options.queue, options.holdings, payment, result.attempt);
      if (options.signal.aborted) return;
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
}
