/**
 * The official test scenarios as data: load ramp, consistency checks, fault timeline, teardown.
 *
 * Sources: docs/CONTRACT.md §3, `rinha-test/rinha-final.js` (final) and `rinha-test/rinha.js` run with
 * `MAX_REQUESTS=550` by `run-tests.sh` (preview). All times are ms from the start of the load.
 *
 * @module
 */

/** Fault state of one Payment Processor (its admin `delay` and `failure` settings). */
export interface ProcessorFault {
  /** `PUT /admin/configurations/delay` value, ms. */
  delayMs: number;
  /** `PUT /admin/configurations/failure` value. */
  failing: boolean;
}

/**
 * One step of a fault timeline. The official scripts set both processors in every step (delay of
 * default, delay of fallback, failure of default, failure of fallback, in that order); a random
 * schedule may set only the processor that changes.
 */
export interface FaultStep {
  /** Offset from the start of the load, ms. */
  atMs: number;
  default?: ProcessorFault;
  fallback?: ProcessorFault;
}

/** How one consistency check turns the three summaries into a count. */
export type InconsistencyRule =
  /** `|Δdefault| + |Δfallback|` — rinha-final.js. */
  | "sum-of-abs"
  /** `|Δdefault + Δfallback|` — rinha.js (preview). */
  | "abs-of-sum";

/** Where the teardown reads the totals the score is computed on. */
type TotalsSource =
  /** The processors' admin summaries (rinha-final.js). */
  | "processors"
  /** The backend's own `/payments-summary`, fees from the processors (rinha.js). */
  | "backend";

/** A complete test scenario. */
export interface Scenario {
  name: "final" | "preview";
  /** Length of the load ramp, ms (k6 stage duration). */
  durationMs: number;
  /** VUs at t = 0 (k6 `startVUs`). */
  startVus: number;
  /** VUs at the end of the ramp (k6 stage `target`, the script's `MAX_REQUESTS`). */
  maxVus: number;
  /** Amount of every payment. */
  amount: number;
  /** Client timeout of every request of the test, ms (requests.js Httpx `timeout`). */
  requestTimeoutMs: number;
  /** Pause at the end of each payments iteration, ms (`sleep(1)`). */
  thinkTimeMs: number;
  /** Pause at the end of each consistency iteration, ms (`sleep(10)`). */
  consistencyIntervalMs: number;
  /** Consistency window start, ms before now (`now − 15 s`). */
  consistencyFromAgoMs: number;
  /** Consistency window end, ms before now (final `now − 2 s`, preview `now − 1.5 s`). */
  consistencyToAgoMs: number;
  inconsistencyRule: InconsistencyRule;
  /** Teardown summary window, ms before the teardown (final 360 s, preview 70 s). */
  teardownWindowMs: number;
  totalsSource: TotalsSource;
  /** Fee ratios of the processors in that test (set by the processors, only reported here). */
  fees: { default: number; fallback: number };
  faults: FaultStep[];
}

const both = (
  atS: number,
  dDelay: number,
  dFail: boolean,
  fDelay: number,
  fFail: boolean,
): FaultStep => ({
  atMs: atS * 1000,
  default: { delayMs: dDelay, failing: dFail },
  fallback: { delayMs: fDelay, failing: fFail },
});

/** The final test (rinha-final.js, docs/CONTRACT.md §3). stage_00 runs at 1 s, the others every 30 s. */
const FINAL_SCENARIO: Readonly<Scenario> = Object.freeze({
  name: "final",
  durationMs: 300_000,
  startVus: 1,
  maxVus: 603,
  amount: 20.05,
  requestTimeoutMs: 1500,
  thinkTimeMs: 1000,
  consistencyIntervalMs: 10_000,
  consistencyFromAgoMs: 15_000,
  consistencyToAgoMs: 2000,
  inconsistencyRule: "sum-of-abs",
  teardownWindowMs: 360_000,
  totalsSource: "processors",
  fees: { default: 0.07, fallback: 0.1 },
  faults: [
    both(1, 0, false, 0, false),
    both(30, 1000, false, 0, false),
    both(60, 500, false, 0, false),
    both(90, 2000, true, 1000, false),
    both(120, 5000, true, 5, false),
    both(150, 0, false, 5, true),
    both(180, 100, false, 5, false),
    both(210, 50, false, 0, false),
    both(240, 103, false, 10, false),
    both(270, 2000, false, 0, false),
  ],
}) as Scenario;

/** The preview test of the event (rinha.js with MAX_REQUESTS=550, docs/CONTRACT.md §3). */
const PREVIEW_SCENARIO: Readonly<Scenario> = Object.freeze({
  name: "preview",
  durationMs: 60_000,
  startVus: 1,
  maxVus: 550,
  amount: 19.9,
  requestTimeoutMs: 1500,
  thinkTimeMs: 1000,
  consistencyIntervalMs: 10_000,
  consistencyFromAgoMs: 15_000,
  consistencyToAgoMs: 1500,
  inconsistencyRule: "abs-of-sum",
  teardownWindowMs: 70_000,
  totalsSource: "backend",
  fees: { default: 0.05, fallback: 0.15 },
  faults: [
    both(1, 0, false, 0, false),
    both(10, 100, false, 0, false),
    both(20, 100, true, 0, false),
    both(30, 2000, true, 1000, true),
    both(40, 20, false, 20, false),
    both(50, 0, false, 5000, false),
  ],
}) as Scenario;

/** Looks a scenario up by name. @throws {RangeError} on an unknown name. */
export function scenarioByName(name: string): Scenario {
  if (name === "final") return structuredClone(FINAL_SCENARIO) as Scenario;
  if (name === "preview") return structuredClone(PREVIEW_SCENARIO) as Scenario;
  throw new RangeError(`unknown scenario ${JSON.stringify(name)} (final|preview)`);
}

/**
 * Compresses or stretches a scenario to `durationMs`: the ramp, the fault offsets, the
 * consistency interval and the teardown window scale by `durationMs / scenario.durationMs`
 * (the interval never below 1 s); the consistency window offsets do not (they measure how fast
 * the backend settles a payment, which does not change with the run length). The teardown
 * window is kept at least `durationMs + 10 s` so it always covers the whole run (the runner
 * widens it further if the run overran).
 * @throws {RangeError} when durationMs is not positive.
 */
export function scaleScenario(scenario: Scenario, durationMs: number): Scenario {
  if (!(durationMs > 0)) throw new RangeError(`duration must be > 0 ms, got ${durationMs}`);
  const k = durationMs / scenario.durationMs;
  return {
    ...scenario,
    durationMs,
    consistencyIntervalMs: Math.max(1000, Math.round(scenario.consistencyIntervalMs * k)),
    teardownWindowMs: Math.max(Math.round(scenario.teardownWindowMs * k), durationMs + 10_000),
    fees: { ...scenario.fees },
    faults: scenario.faults.map((s) => ({
      atMs: Math.round(s.atMs * k),
      ...(s.default ? { default: { ...s.default } } : {}),
      ...(s.fallback ? { fallback: { ...s.fallback } } : {}),
    })),
  };
}

/**
 * k6 `ramping-vus` start offsets (ms) of each VU for one linear stage from `startVus` to
 * `targetVus` over `durationMs`: the first `startVus` start at 0, VU number k (1-based, k >
 * startVus) at `D − D·(target − k)/(target − start)`, i.e. `D·(k − start)/(target − start)` (k6
 * `getRawExecutionSteps`). The last VU starts exactly at the end of the stage, so it never runs
 * an iteration — as in k6.
 * @throws {RangeError} on negative or inverted counts.
 */
export function vuStartOffsets(startVus: number, targetVus: number, durationMs: number): number[] {
  if (!(startVus >= 0 && targetVus >= startVus && Number.isInteger(startVus + targetVus))) {
    throw new RangeError(`bad VU ramp ${startVus} → ${targetVus}`);
  }
  const out: number[] = [];
  for (let k = 1; k <= startVus; k++) out.push(0);
  const diff = targetVus - startVus;
  for (let k = startVus + 1; k <= targetVus; k++) {
    out.push(Math.floor((durationMs * (k - startVus)) / diff));
  }
  return out;
}
