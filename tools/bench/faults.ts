/**
 * Applies a fault timeline through the processors' admin endpoints at its offsets
 * (rinha-final.js `define_stage`: delay of default, delay of fallback, failure of default,
 * failure of fallback, in that order; an unexpected answer aborts the test).
 *
 * @module
 */

import type { ProcessorAdmin } from "./clients.ts";
import { sleep } from "./http.ts";
import type { FaultStep } from "./scenario.ts";

/** A step as it was applied. */
export interface AppliedFault {
  /** Planned offset, ms from the start of the load. */
  atMs: number;
  /** Offset when the last admin call of the step returned, ms. */
  appliedAtMs: number;
  default?: FaultStep["default"];
  fallback?: FaultStep["fallback"];
}

/** Options of {@linkcode runFaultTimeline}. */
interface FaultTimelineOptions {
  processors: { default: ProcessorAdmin; fallback: ProcessorAdmin };
  /** `performance.now()` of the start of the load. */
  startedAt: number;
  onApplied?: (applied: AppliedFault) => void;
  signal: AbortSignal;
}

/**
 * Applies `steps` (sorted by `atMs`) one after the other, each no earlier than its offset.
 * @throws {BenchAbortError} when an admin call fails (the official script aborts the test)
 */
export async function runFaultTimeline(
  steps: readonly FaultStep[],
  options: FaultTimelineOptions,
): Promise<void> {
  const { processors: p, startedAt, signal } = options;
  for (const step of [...steps].sort((a, b) => a.atMs - b.atMs)) {
    const wait = startedAt + step.atMs - performance.now();
    if (wait > 0 && !(await sleep(wait, signal))) return;
    if (signal.aborted) return;
    if (step.default) await p.default.setDelay(step.default.delayMs);
    if (step.fallback) await p.fallback.setDelay(step.fallback.delayMs);
    if (step.default) await p.default.setFailure(step.default.failing);
    if (step.fallback) await p.fallback.setFailure(step.fallback.failing);
    options.onApplied?.({
      atMs: step.atMs,
      appliedAtMs: Math.round(performance.now() - startedAt),
      ...(step.default ? { default: step.default } : {}),
      ...(step.fallback ? { fallback: step.fallback } : {}),
    });
  }
}

/**
 * The fault state of each processor over time, as contiguous phases (for charts and logs).
 * @param endMs end of the last phase, ms
 */
export function faultPhases(
  steps: readonly FaultStep[],
  endMs: number,
): {
  processor: "default" | "fallback";
  fromMs: number;
  toMs: number;
  delayMs: number;
  failing: boolean;
}[] {
  const out: ReturnType<typeof faultPhases> = [];
  for (const name of ["default", "fallback"] as const) {
    const own = steps.filter((s) => s[name]).sort((a, b) => a.atMs - b.atMs);
    own.forEach((s, i) => {
      const toMs = i + 1 < own.length ? own[i + 1].atMs : endMs;
      const st = s[name]!;
      if (toMs > s.atMs) {
        out.push({
          processor: name,
          fromMs: s.atMs,
          toMs,
          delayMs: st.delayMs,
          failing: st.failing,
        });
      }
    });
  }
  return out;
}
