/**
 * The `payments_consistency` scenario (rinha-final.js `checkPaymentsConsistency`, docs/CONTRACT.md §3):
 * one VU that, every iteration, reads in parallel the backend's `/payments-summary` and both
 * processors' `/admin/payments-summary` for the window `[now − 15 s, now − 2 s]`, adds the count
 * mismatch to the inconsistency counter, then sleeps 10 s. A backend failure reads as zeros for
 * both processors (so it is an inconsistency whenever the processors hold payments in the window).
 *
 * @module
 */

import type { BackendClient, ProcessorAdmin } from "./clients.ts";
import { sleep } from "./http.ts";
import type { InconsistencyRule } from "./scenario.ts";

/** One consistency check, as logged in the results. */
export interface ConsistencyCheck {
  /** Offset of the check from the start of the load, ms. */
  atMs: number;
  /** Window bounds sent (ISO). */
  from: string;
  to: string;
  /** Backend's counts (zeros when it failed). */
  backend: { default: number; fallback: number };
  /** Why the backend read failed, when it did. */
  backendError?: string;
  /** Processors' counts (zeros when they failed). */
  processors: { default: number; fallback: number };
  /** Whether each processor answered. */
  processorsOk: { default: boolean; fallback: boolean };
  /** Count added to the inconsistency counter. */
  inconsistencies: number;
  /** Duration of the slowest of the three reads, ms. */
  ms: number;
}

/**
 * Count of one check. `sum-of-abs` (final): `|bd − pd| + |bf − pf|`; `abs-of-sum` (preview
 * rinha.js): `|(bd − pd) + (bf − pf)|`.
 */
export function countInconsistencies(
  rule: InconsistencyRule,
  backend: { default: number; fallback: number },
  processors: { default: number; fallback: number },
): number {
  const dd = backend.default - processors.default;
  const df = backend.fallback - processors.fallback;
  return rule === "sum-of-abs" ? Math.abs(dd) + Math.abs(df) : Math.abs(dd + df);
}

/** Options of {@linkcode runConsistencyChecks}. */
interface ConsistencyOptions {
  backend: BackendClient;
  /** Omitted in a baseline run: only the backend is read and nothing is compared. */
  processors?: { default: ProcessorAdmin; fallback: ProcessorAdmin };
  rule: InconsistencyRule;
  /** Window start, ms before now. */
  fromAgoMs: number;
  /** Window end, ms before now. */
  toAgoMs: number;
  /** Sleep after each check, ms. */
  intervalMs: number;
  /** `performance.now()` of the start of the load. */
  startedAt: number;
  /** No check starts after `startedAt + durationMs`. */
  durationMs: number;
  /** Called after each check. */
  onCheck: (check: ConsistencyCheck) => void;
  signal: AbortSignal;
}

/**
 * Runs checks until the scenario's duration is over (an iteration already started finishes,
 * sleep included, like k6's `gracefulStop`) or `signal` aborts.
 */
export async function runConsistencyChecks(options: ConsistencyOptions): Promise<void> {
  const endAt = options.startedAt + options.durationMs;
  while (!options.signal.aborted && performance.now() < endAt) {
    const t0 = performance.now();
    const now = Date.now();
    const from = new Date(now - options.fromAgoMs).toISOString();
    const to = new Date(now - options.toAgoMs).toISOString();
    const zero = { ok: false, summary: { totalRequests: 0 } };
    const [b, d, f] = await Promise.all([
      options.backend.summary(from, to),
      options.processors?.default.summary(from, to) ?? zero,
      options.processors?.fallback.summary(from, to) ?? zero,
    ]);
    const backend = {
      default: b.summary?.default.totalRequests ?? 0,
      fallback: b.summary?.fallback.totalRequests ?? 0,
    };
    const processors = { default: d.summary.totalRequests, fallback: f.summary.totalRequests };
    const check: ConsistencyCheck = {
      atMs: Math.round(t0 - options.startedAt),
      from,
      to,
      backend,
      processors,
      processorsOk: { default: d.ok, fallback: f.ok },
      inconsistencies: options.processors
        ? countInconsistencies(options.rule, backend, processors)
        : 0,
      ms: Math.round((performance.now() - t0) * 1000) / 1000,
    };
    if (!b.summary) check.backendError = b.error ?? "failed";
    options.onCheck(check);
    if (!(await sleep(options.intervalMs, options.signal))) break;
  }
}
