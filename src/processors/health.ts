/**
 * Health of the processors as reported by `GET /payments/service-health` (RINHA.md §2).
 *
 * @module
 */
import type { ProcessorName } from "../payments/payment.ts";

/** One processor's reported health. */
export interface ProcessorHealth {
  /** The processor's failure switch is on: payments answer 500. */
  failing: boolean;
  /** The processor's configured delay, ms: no payment answers sooner. */
  minResponseTime: number;
  /** When it was read, epoch ms. */
  checkedAt: number;
}

/** The latest health of each processor that could be read. */
export type HealthSnapshot = Partial<Record<ProcessorName, ProcessorHealth>>;
