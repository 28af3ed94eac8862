/**
 * The routing policy: a pure function from what is known of both processors to a decision for
 * the next payment — the default when usable (cheaper, docs/CONTRACT.md §6.6), else the fallback,
 * else one probe to a failing or tripped processor whose reported delay fits the budget, else hold
 * (no hot loop, §6.4). The rules and the decision table: docs/DESIGN.md "Health gate" (one test
 * per row, tests/processors/policy_test.ts); the budget and the suspicion margin:
 * docs/decisions/0005-routing-budget.md.
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
 * report since: a payment sent there would stay bound to it (docs/CONTRACT.md §6.2), so none goes,
 * not even a probe, until a report (which binds nothing) shows it answering again.
 */
function droppingCalls(view: ProcessorView): boolean {
  return view.lastAmbiguousAt > Math.max(view.lastSuccessAt, view.reported?.checkedAt ?? 0);
}

/**
 * Least slack past the expected latency before a call in flight makes its processor suspect, ms
 * (docs/decisions/0005-routing-budget.md).
 */
export const SUSPECT_MARGIN_MS = 25;

/** Tunables of {@link decide}, all in ms. */
export interface PolicyOptions {
  /** Most expected latency for regular traffic: the 2 s settlement deadline minus a margin. */
  budgetMs: number;
  /** Least spacing of probes to a processor that is down. */
  probeIntervalMs: number;
  /** Longest wait before asking again when nothing is usable. */
  maxHoldMs: number;
}

/**
 * The tunables production runs with (app.ts); tests pass their own. Budget 1,200 ms
 * (docs/decisions/0005-routing-budget.md); a probe a second sees a recovery well before the next
 * health report (every ≥ 5 s); a hold of ≤ 250 ms sees a fresh report (read every 500 ms) soon.
 */
export const PRODUCTION_POLICY: PolicyOptions = {
  budgetMs: 1_200,
  probeIntervalMs: 1_000,
  maxHoldMs: 250,
};

/** The policy's decision for one payment. */
export type Decision =
  | { kind: "send"; processor: ProcessorName; probe: boolean }
  | { kind: "hold"; ms: number };

/** Every verdict, in the order /metrics lists them. */
export const VERDICTS = ["ok", "failing", "tripped", "slow", "suspect", "probing"] as const;

/** Why a processor is not usable for regular traffic, or `ok`. */
export type Verdict = typeof VERDICTS[number];

/**
 * The latency the next call to `view` is expected to take, ms: the reported delay when the report
 * is newer than the last answered call (else a processor we no longer call would keep its old
 * latency forever), else the observed moving average.
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
  // A call past its expected latency: the processor may have slowed down (seen by the poller up
  // to 5 s late), and every payment sent meanwhile could settle late.
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
