/**
 * Test support for the ledger, summary and purge tests: settlements of made-up payments.
 *
 * @module
 */
import type { QueuedPayment, Settlement } from "../../src/domain/payment.ts";
import type { ProcessorName } from "../../src/domain/processor.ts";

/** A requestedAt with a millisecond part, epoch ms. */
export const T = Date.UTC(2025, 7, 21, 0, 40, 25, 70);

/** The n-th made-up correlationId (a UUID). */
export const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** Payment `id(n)` of `amountCents`, never attempted before, settled at `processor`. */
export function settlement(
  n: number,
  processor: ProcessorName,
  requestedAt: number,
  amountCents = 2005,
): Settlement {
  const payment: QueuedPayment = {
    correlationId: id(n),
    amountCents,
    raw: `${id(n)}:${amountCents}`,
    attempt: { kind: "none" },
  };
  return { payment, processor, requestedAt };
}
