/**
 * The two external Payment Processors (docs/CONTRACT.md §2): their names, a helper for values
 * kept per processor, and their health as `GET /payments/service-health` reports it.
 *
 * @module
 */

/** The two processors: default is cheaper, fallback dearer (docs/CONTRACT.md §2). */
export type ProcessorName = "default" | "fallback";

/** Both processor names, default first: the order of preference (docs/CONTRACT.md §6.6). */
export const PROCESSOR_NAMES: readonly ProcessorName[] = ["default", "fallback"];

/** One value per processor: `make` is called once for each, default first. */
export function perProcessor<T>(make: (name: ProcessorName) => T): Record<ProcessorName, T> {
  return { default: make("default"), fallback: make("fallback") };
}

/** One processor's reported health (docs/CONTRACT.md §2). */
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
