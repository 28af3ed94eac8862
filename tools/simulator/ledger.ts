/**
 * The processor's stored payments: the in-memory stand-in for its PostgreSQL table
 * `payments(correlationId UUID PRIMARY KEY, amount DECIMAL, requested_at TIMESTAMP)` (init.sql)
 * and the summary query of `GET /admin/payments-summary` (Endpoints.cs).
 *
 * @module
 */

import { compareInstants, type Instant } from "./date_time.ts";
import type { Decimal } from "./decimal.ts";

/** One stored payment. */
export interface StoredPayment {
  /** Lowercase canonical GUID. */
  readonly correlationId: string;
  /** Amount in integer cents, already rounded half-to-even to 2 places (Endpoints.cs). */
  readonly amountCents: number;
  /** Decimal places the processor keeps and echoes (0–2: `20` vs `20.0` vs `20.00`). */
  readonly amountScale: number;
  /** `requestedAt` exactly as stored (UTC, µs precision). */
  readonly requestedAt: Instant;
}

/** A stored amount as the decimal the processor echoes (`20.05`, `20.1`, `20`). */
export function amountOf(payment: StoredPayment): Decimal {
  return {
    mantissa: BigInt(payment.amountCents) / 10n ** BigInt(2 - payment.amountScale),
    scale: payment.amountScale,
  };
}

/** Result of {@linkcode Ledger.summarize}. */
interface LedgerSummary {
  /** Number of matching payments. */
  readonly totalRequests: number;
  /** Sum of their amounts in cents (a bigint: the sum may exceed 2^53). */
  readonly totalCents: bigint;
  /** Scale of the SQL `SUM`: the largest amount scale among them, 0 when there are none. */
  readonly scale: number;
}

/** Options of {@linkcode Ledger}. */
interface LedgerOptions {
  /** Most payments kept before inserts fail (a bound the real database does not have). */
  readonly maxPayments?: number;
}

/** Default of {@linkcode LedgerOptions.maxPayments}: ten final-test runs' worth. */
const DEFAULT_MAX_PAYMENTS = 1_000_000;

/** Thrown by {@linkcode Ledger.insert} when the ledger holds `maxPayments` payments. */
export class LedgerFullError extends Error {
  /** @param max the bound that was reached. */
  constructor(max: number) {
    super(`ledger full: ${max} payments stored`);
    this.name = "LedgerFullError";
  }
}

/** Payments by correlationId, in insertion order. */
export class Ledger {
  readonly #payments = new Map<string, StoredPayment>();
  readonly #max: number;

  /** @throws {RangeError} if `maxPayments` is not a positive integer. */
  constructor(options: LedgerOptions = {}) {
    this.#max = options.maxPayments ?? DEFAULT_MAX_PAYMENTS;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(`maxPayments must be a positive integer, got ${this.#max}`);
    }
  }

  /** Number of stored payments. */
  get size(): number {
    return this.#payments.size;
  }

  /**
   * Stores `payment` unless its correlationId exists (the primary key).
   *
   * @returns `true` if stored, `false` on a duplicate (the processor's 422).
   * @throws {LedgerFullError} if `maxPayments` payments are stored.
   */
  insert(payment: StoredPayment): boolean {
    if (this.#payments.has(payment.correlationId)) return false;
    if (this.#payments.size >= this.#max) throw new LedgerFullError(this.#max);
    this.#payments.set(payment.correlationId, payment);
    return true;
  }

  /** The payment with this lowercase correlationId, if stored. */
  get(correlationId: string): StoredPayment | undefined {
    return this.#payments.get(correlationId);
  }

  /**
   * Count and sum of payments with `from ≤ requestedAt ≤ to` (SQL `BETWEEN`, inclusive at both
   * ends, `from > to` matches nothing); **no filter at all when either bound is `null`**
   * (Endpoints.cs: `… OR @from IS NULL OR @to IS NULL`).
   */
  summarize(from: Instant | null, to: Instant | null): LedgerSummary {
    const filtered = from !== null && to !== null;
    let totalRequests = 0;
    let totalCents = 0n;
    let scale = 0;
    for (const payment of this.#payments.values()) {
      if (
        filtered && (compareInstants(payment.requestedAt, from) < 0 ||
          compareInstants(payment.requestedAt, to) > 0)
      ) {
        continue;
      }
      totalRequests++;
      totalCents += BigInt(payment.amountCents);
      scale = Math.max(scale, payment.amountScale);
    }
    return { totalRequests, totalCents, scale };
  }

  /** Removes every payment (`TRUNCATE TABLE payments`). */
  purge(): void {
    this.#payments.clear();
  }

  /** Every stored payment, in insertion order. */
  values(): IterableIterator<StoredPayment> {
    return this.#payments.values();
  }
}
