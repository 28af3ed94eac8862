/**
 * The routing policy: a pure function from what is known of both processors to a decision for
 * the next payment. The README's "Routing policy" section restates it as a decision table, and
 * tests/processors/policy_test.ts checks each row.
 *
 * Rules and their sources:
 * - The default is cheaper, so it is preferred whenever it is usable (docs/CONTRACT.md §2, §6.6).
 * - A processor is usable when it is not reported failing (unless a success came after the
 *   report), not tripped by recent failures, not suspected slow, and its expected latency fits
 *   the settlement budget: a payment must be stored and booked within ~2 s of its requestedAt or
 *   a consistency check may see it on one side only (docs/CONTRACT.md §6.3).
 * - A processor that is failing or tripped gets one probe at a time, at most every
 *   `probeIntervalMs`, so a recovery is seen before the next health report — but only if its
 *   last reported delay fits the budget. A probe to a slow processor is booked late, with a
 *   requestedAt already inside the check window, and a check whose reads straddle that booking
 *   counts it on one side only (seen: 1 inconsistency with 1 probe/s to a 4.7 s processor).
 * - Neither usable nor probeable: hold and ask again later — no hot loop (docs/CONTRACT.md §6.4).
 *
 * @module
 */
import { perProcessor, PROCESSOR_NAMES, type ProcessorName } from "../domain/processor.ts";
import type { ProcessorHealth } from "../domain/processor.ts";

/** What the gate knows of one processor, as the policy reads it. Times are epoch ms. */
export interface ProcessorView {
  /** Latest health report, if any is fresh. */
  reported?: ProcessorHealth;
  /** Smoothed latency of recent answered calls, ms; undefined before the first. */
  latencyMs?: number;
  /** When the latest latency sample was taken, epoch ms; 0 before the first. */
  latencyAt: number;
  /** When the last call was confirmed; 0 if never. */
  lastSuccessAt: number;
  /** Definite failures (500, 429, unreachable) since the last success. */
  consecutiveFailures: number;
  /** No regular traffic before this time (back-off after failures). */
  trippedUntil: number;
  /** Calls in flight now. */
  inFlight: number;
  /** Start of the oldest call in flight; undefined when none. */
  oldestInFlightAt?: number;
  /** When the last probe was sent; 0 if never. */
  lastProbeAt: number;
  /** When the last call ended ambiguous (timeout, reset, unreadable answer); 0 if never. */
  lastAmbiguousAt: number;
}

/**
 * Whether the last word from a processor is an ambiguous call, with no success and no health
 * report since. Every payment sent there would stay bound to it until it answers (docs/CONTRACT.md §6.2),
 * so none goes — not even a probe — until a health report (the poller's, which binds nothing)
 * shows it answering again.
 */
function droppingCalls(view: ProcessorView): boolean {
  return view.lastAmbiguousAt > Math.max(view.lastSuccessAt, view.reported?.checkedAt ?? 0);
}

/**
 * Least slack, ms, past the expected latency before a call in flight makes its processor
 * suspect. Every payment sent to a processor that just jumped to a 2 s delay settles late, and a
 * consistency check that reads while those settle may count one on one side only (docs/CONTRACT.md §6.3):
 * a margin of 100 ms let ~60 payments an instance through at the final test's 2,000 ms stage and a
 * check 2.17 s after it counted 1–3 (docs/BENCHMARKS.md). A false suspicion (an event-loop stall
 * longer than this) costs a few payments sent to the fallback.
 */
export const SUSPECT_MARGIN_MS = 25;

/**
 * Most expected latency for regular traffic in production, ms: the 2 s settlement deadline of
 * docs/CONTRACT.md §6.3 minus room for the delay to rise before the rise is noticed (a random-fault
 * run with a processor at 1.45 s that jumped to 3.7 s booked 6 payments late: 1 inconsistency).
 */
const SETTLE_BUDGET_MS = 1_200;
/**
 * Least spacing of probes to a processor that is down in production, ms: a recovery is seen within
 * a second, well before the next health report (every ≥ 5 s, docs/CONTRACT.md §2).
 */
const PROBE_INTERVAL_MS = 1_000;
/**
 * Longest hold in production, ms: a held payment asks again at least this often, so it sees a
 * fresh health report (read every 500 ms) soon, without a hot loop (docs/CONTRACT.md §6.4).
 */
const MAX_HOLD_MS = 250;

/** The tunables production runs with (app.ts); tests pass their own. */
export const PRODUCTION_POLICY: PolicyOptions = {
  budgetMs: SETTLE_BUDGET_MS,
  probeIntervalMs: PROBE_INTERVAL_MS,
  maxHoldMs: MAX_HOLD_MS,
};

/** Tunables of {@link decide}, all in ms. */
export interface PolicyOptions {
  /** Most expected latency for regular traffic: the settlement deadline minus a margin. */
  budgetMs: number;
  /** Least spacing of probes to a processor that is down. */
  probeIntervalMs: number;
  /** Longest wait before asking again when nothing is usable. */
  maxHoldMs: number;
}

/** The policy's decision for one payment. */
export type Decision =
  | { kind: "send"; processor: ProcessorName; probe: boolean }
  | { kind: "hold"; ms: number };

/** Why a processor is not usable for regular traffic, or `ok`. */
export type Verdict = "ok" | "failing" | "tripped" | "slow" | "suspect" | "probing";

/**
 * The latency the next call to `view` is expected to take, ms: the newer of the two sources —
 * the reported delay when the report came after the last answered call (the delay may have
 * changed since, and a processor we no longer call would otherwise keep its old latency
 * forever), else the observed moving average.
 */
export function expectedLatency(view: ProcessorView): number {
  const reported = view.reported;
  if (reported && reported.checkedAt >= view.latencyAt) return reported.minResponseTime;
  return view.latencyMs ?? 0;
}

/** Judges one processor for regular traffic at time `now`. */
export function judge(view: ProcessorView, now: number, options: PolicyOptions): Verdict {
  const reported = view.reported;
  if (reported?.failing && view.lastSuccessAt <= reported.checkedAt) return "failing";
  if (now < view.trippedUntil || droppingCalls(view)) return "tripped";
  const expected = expectedLatency(view);
  if (expected > options.budgetMs) return "slow";
  const age = view.oldestInFlightAt === undefined ? 0 : now - view.oldestInFlightAt;
  // A call past its expected latency: the processor may have slowed down (a delay change is seen
  // by the poller up to 5 s late). Every payment sent meanwhile could settle late.
  if (age > expected + Math.max(SUSPECT_MARGIN_MS, expected / 4)) return "suspect";
  if (view.consecutiveFailures > 0 && view.inFlight > 0) return "probing";
  return "ok";
}

/** Whether a processor that is down may receive a probe now. */
function probeable(view: ProcessorView, verdict: Verdict, now: number, options: PolicyOptions) {
  return (verdict === "failing" || verdict === "tripped") &&
    !droppingCalls(view) &&
    (view.reported?.minResponseTime ?? 0) <= options.budgetMs &&
    view.inFlight === 0 &&
    now - view.lastProbeAt >= options.probeIntervalMs;
}

/** Decides where the next payment goes, or how long to hold it. */
export function decide(
  views: Record<ProcessorName, ProcessorView>,
  now: number,
  options: PolicyOptions,
): Decision {
  const verdicts = perProcessor((name) => judge(views[name], now, options));
  for (const processor of PROCESSOR_NAMES) {
    if (verdicts[processor] === "ok") {
      return { kind: "send", processor, probe: false };
    }
  }
  for (const processor of PROCESSOR_NAMES) {
    if (probeable(views[processor], verdicts[processor], now, options)) {
      return { kind: "send", processor, probe: true };
    }
  }
  const waits = [views.default, views.fallback].flatMap((view) => [
    view.trippedUntil - now,
    view.lastProbeAt + options.probeIntervalMs - now,
  ]).filter((ms) => ms > 0);
  return { kind: "hold", ms: Math.max(10, Math.min(options.maxHoldMs, ...waits)) };
}
