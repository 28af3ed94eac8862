/**
 * The payment as it travels through the product: validated, queued, settled.
 *
 * @module
 */
import type { ProcessorName } from "./processor.ts";

/** A validated payment accepted by `POST /payments`. */
export interface Payment {
  /** UUID, lower-case, unique per payment (docs/CONTRACT.md §1). */
  correlationId: string;
  /** Amount in integer cents, > 0. */
  amountCents: number;
}

/**
 * What is known of earlier attempts of a payment taken from the queue:
 * - `none`: never sent to a processor;
 * - `sent`: sent to `processor` with `requestedAt` and the outcome is unknown (ambiguous);
 * - `unknown`: recovered at `since` (epoch ms) from a dead instance; it may have been sent to
 *   either processor, and such a send may still be held in that processor's delay.
 */
export type AttemptState =
  | { kind: "none" }
  | { kind: "sent"; processor: ProcessorName; requestedAt: number }
  | { kind: "unknown"; since: number };

/** A payment taken from the queue, with its raw queue entry (needed to acknowledge it). */
export interface QueuedPayment extends Payment {
  /** The exact string held in the queue and in this instance's processing list. */
  raw: string;
  attempt: AttemptState;
}

/** A payment confirmed by a processor, ready to be booked (docs/CONTRACT.md §6.1). */
export interface Settlement {
  payment: QueuedPayment;
  processor: ProcessorName;
  /** The requestedAt the processor stored, epoch ms. */
  requestedAt: number;
}
