/**
 * One run of the test against a running stack: set-up, the three concurrent scenarios (payments
 * load, consistency checks, fault timeline), teardown, score, then post-run analysis (share over
 * time, exactly-once audit) that is not part of the test and never enters the p99.
 *
 * Order and semantics follow rinha-final.js (docs/CONTRACT.md §3): set-up sets a new random token on both
 * processors (authenticated with the initial one), purges both, resets their faults, purges the
 * backend; teardown reads both processors' admin summaries over the last `teardownWindowMs`.
 *
 * A baseline run (`mode: "baseline"`) drives the same load and backend summary reads against a
 * no-op backend, with no processor involved, to show the latency floor of the machine.
 *
 * @module
 */

import process from "node:process";
import { analyseRun, type AuditOutcome, type SharePoint } from "./analysis.ts";
import {
  BackendClient,
  type BackendSummary,
  ProcessorAdmin,
  type ProcessorSummary,
} from "./clients.ts";
import { type ConsistencyCheck, runConsistencyChecks } from "./consistency.ts";
import { type AppliedFault, runFaultTimeline } from "./faults.ts";
import { LatencyHistogram, type LatencySummary } from "./histogram.ts";
import { runPaymentsLoad } from "./load.ts";
import { type PostCounts, round3, RunMetrics, type WindowPoint } from "./metrics.ts";
import type { ProgressLine } from "./progress.ts";
import { type Provenance, readProvenance } from "./provenance.ts";
import {
  machineCpuBetween,
  type MachineCpuTimes,
  readMachineCpu,
  type ServiceResources,
} from "./resources.ts";
import type { FaultStep, Scenario } from "./scenario.ts";
import { type OfficialResults, scoreRun } from "./score.ts";

/** Options of {@linkcode runBench}. */
interface RunOptions {
  /** Scenario, already scaled and with the fault steps to apply. */
  scenario: Scenario;
  /** "full" = the real test; "baseline" = load + backend reads only. */
  mode: "full" | "baseline";
  /** Name shown in progress and results. */
  label?: string;
  backendUrl: string;
  defaultUrl?: string;
  fallbackUrl?: string;
  /** Current admin token of both processors (docs/CONTRACT.md §2: initially "123"). */
  token?: string;
  /** Where to show progress; none when omitted. */
  progress?: ProgressLine;
  /** Most correlationIds kept for the audit. Default 5,000,000. */
  maxTrackedIds?: number;
  /** Most buckets of the per-processor share timeseries. Default 300. */
  shareBuckets?: number;
  /** Grace for iterations in progress at the end, ms (k6 `gracefulStop`). Default 30,000. */
  gracefulStopMs?: number;
  signal?: AbortSignal;
}

/** Everything one run measured. Times in ms, ISO strings for wall-clock instants. */
export interface RunResult {
  label: string;
  mode: "full" | "baseline";
  scenario: Omit<Scenario, "faults"> & { faultSteps: number };
  backendUrl: string;
  startedAt: string;
  endedAt: string;
  /** `git rev-parse --short HEAD` of the bench's checkout, or "unknown" (provenance.ts). */
  commit: string;
  /** Deno version of the load generator (`Deno.version.deno`). */
  deno: string;
  /** Wall time of the load phase (start → last iteration over), ms. */
  loadMs: number;
  /** Set when the run stopped early, with the reason. */
  aborted?: string;
  /** Official results (full runs only). */
  official?: OfficialResults;
  latency: {
    /** Every expected-status request of the test (the score's p99, unrounded). */
    expected: LatencySummary;
    /** Successful `POST /payments`. */
    posts: LatencySummary;
  };
  posts: PostCounts;
  consistency: { total: number; checks: ConsistencyCheck[] };
  faults: { planned: FaultStep[]; applied: AppliedFault[] };
  /** Processors' admin summaries at teardown (full runs). */
  processors?: { default: ProcessorSummary; fallback: ProcessorSummary };
  /** Backend's summary over the teardown window (full runs). */
  backendTotals?: BackendSummary | null;
  timeseries: {
    windows: WindowPoint[];
    backlog: { t: number; queue: number }[];
    share: SharePoint[];
  };
  audit?: AuditOutcome;
  /**
   * CPU, peak memory and run-queue wait of each service of the backend during the run (set-up,
   * load, teardown)
   * (resources.ts; set by main.ts when it started the backend, absent without /proc).
   */
  resources?: ServiceResources[];
  /**
   * The machine: its logical cores and CPU model (/proc/cpuinfo, provenance.ts), and its
   * 1/5/15-minute load averages before and after the load (noise indicator).
   */
  machine: {
    cores: number;
    cpuModel: string;
    loadavgBefore: number[];
    loadavgAfter: number[];
    /**
     * Average cores busy (every process of the machine) and stolen by the hypervisor during the
     * load, out of `cores` (resources.ts; absent without /proc).
     */
    cpu?: { cores: number; busyCores: number; stealCores: number };
  };
  /** The load generator's own cost over the load phase. */
  generator: {
    cpuUserMs: number;
    cpuSystemMs: number;
    cpuPercentOfOneCore: number;
    rssBytes: number;
    /** How late a 50 ms timer of the generator fired, ms (p99 and max over the load). */
    loopLagP99Ms: number;
    loopLagMaxMs: number;
  };
}

/** Both processors' admin clients of a full run. */
interface Processors {
  default: ProcessorAdmin;
  fallback: ProcessorAdmin;
}

/** What every phase of one run shares. */
interface RunContext {
  options: RunOptions;
  sc: Scenario;
  label: string;
  metrics: RunMetrics;
  /** Feeds the score's histogram with a request of the test. */
  record: (status: number, ms: number) => void;
  /** Stops every phase: the caller's signal, the gracefulStop deadline, a failed fault step. */
  hard: AbortController;
  /** The backend's client for the test's own calls (recorded). */
  backend: BackendClient;
  /** Full runs only. */
  processors?: Processors;
}

/** What the scenarios observed while they ran (filled in as they go). */
interface Observed {
  /** Set when the run stopped early, with the reason. */
  aborted?: string;
  checks: ConsistencyCheck[];
  applied: AppliedFault[];
  backlog: { t: number; queue: number }[];
  inconsistencies: number;
  /** correlationIds of the accepted POSTs (when the processors can be audited). */
  accepted: string[];
  /** Whether the processors list their payments, so the accepted ids are tracked. */
  trackIds: boolean;
}

/** The load phase's timing and the machine's and generator's figures around it. */
interface LoadFigures {
  loadMs: number;
  /** `Date.now()` at the start of the load. */
  loadStartWall: number;
  loadavgBefore: number[];
  loadavgAfter: number[];
  machineCpu?: { cores: number; busyCores: number; stealCores: number };
  /** The generator's CPU over the load, µs (`process.cpuUsage`). */
  cpu: { user: number; system: number };
  /** How late the generator's 50 ms timer fired, ms. */
  loopLag: LatencyHistogram;
}

/** The teardown's reads and the official score computed from them. */
interface Teardown {
  official: OfficialResults;
  processors: NonNullable<RunResult["processors"]>;
  backendTotals: BackendSummary | null;
}

/**
 * Runs the test once. Never throws for backend failures (they are measured); an admin failure
 * the official script aborts on ends the run early with `aborted` set.
 * @throws {TypeError} when a full run lacks `defaultUrl` or `fallbackUrl`
 */
export async function runBench(options: RunOptions): Promise<RunResult> {
  const ctx = createContext(options);
  const outer = options.signal;
  const onOuterAbort = () => ctx.hard.abort(outer?.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  try {
    const startedAt = new Date().toISOString();
    const provenance = await readProvenance();
    const setupWall = Date.now();
    const seen: Observed = {
      checks: [],
      applied: [],
      backlog: [],
      inconsistencies: 0,
      accepted: [],
      trackIds: false,
    };
    await setUp(ctx, seen);
    const setupFailed = seen.aborted !== undefined;
    const load = await measureLoad(ctx, seen, setupFailed);
    const teardown = ctx.processors && !setupFailed
      ? await tearDown(ctx, ctx.processors, seen, setupWall)
      : undefined;
    const analysis = ctx.processors && teardown
      ? await analyseRun({
        processors: ctx.processors,
        loadStartWall: load.loadStartWall,
        loadMs: load.loadMs,
        shareBuckets: options.shareBuckets ?? 300,
        trackIds: seen.trackIds,
        accepted: seen.accepted,
        maxIds: maxTrackedIds(options),
      })
      : undefined;
    return assembleResult(ctx, { startedAt, provenance, seen, load, teardown, analysis });
  } finally {
    outer?.removeEventListener("abort", onOuterAbort);
  }
}

function maxTrackedIds(options: RunOptions): number {
  return options.maxTrackedIds ?? 5_000_000;
}

/** The clients and collectors of one run. */
function createContext(options: RunOptions): RunContext {
  const sc = options.scenario;
  const metrics = new RunMetrics({ windowMs: Math.max(1000, Math.ceil(sc.durationMs / 1000)) });
  const record = (status: number, ms: number) => metrics.recordOther(status, ms);
  const hard = new AbortController();
  const signal = hard.signal;
  const timeoutMs = sc.requestTimeoutMs;
  let processors: Processors | undefined;
  if (options.mode === "full") {
    if (!options.defaultUrl || !options.fallbackUrl) {
      throw new TypeError("a full run needs defaultUrl and fallbackUrl");
    }
    const token = options.token ?? "123";
    const admin = (name: "default" | "fallback", url: string) =>
      new ProcessorAdmin(name, url, token, { timeoutMs, record, signal });
    processors = {
      default: admin("default", options.defaultUrl),
      fallback: admin("fallback", options.fallbackUrl),
    };
  }
  return {
    options,
    sc,
    label: options.label ?? options.mode,
    metrics,
    record,
    hard,
    backend: new BackendClient(options.backendUrl, { timeoutMs, record, signal }),
    processors,
  };
}

/**
 * rinha-final.js `setup`: a new random token on both processors (authenticated with the initial
 * one), both purged, their faults reset, the backend purged. A failure sets `seen.aborted`.
 */
async function setUp(ctx: RunContext, seen: Observed): Promise<void> {
  const p = ctx.processors;
  try {
    if (p) {
      const newToken = crypto.randomUUID();
      const initial = p.default.token;
      await p.default.setToken(newToken, initial);
      await p.fallback.setToken(newToken, initial);
      await p.default.purge();
      await p.fallback.purge();
      for (const admin of [p.default, p.fallback]) {
        await admin.setDelay(0);
        await admin.setFailure(false);
      }
      seen.trackIds = (await p.default.debugPayments(3000)) !== null;
    }
    await ctx.backend.purge();
  } catch (e) {
    seen.aborted = `set-up: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Runs the scenarios (unless `skip`) and measures the machine and the generator around them. */
async function measureLoad(ctx: RunContext, seen: Observed, skip: boolean): Promise<LoadFigures> {
  const loadavgBefore = loadavg();
  const machineCpuBefore = readMachineCpu();
  const loopLag = new LatencyHistogram({ precisionBits: 7 });
  const startedAt = performance.now();
  const loadStartWall = Date.now();
  const cpu0 = process.cpuUsage();
  const loadEnd = skip ? startedAt : await runScenarios(ctx, seen, startedAt, loopLag);
  const cpu = process.cpuUsage(cpu0);
  const loadavgAfter = loadavg();
  const machineCpu = machineCpuDuring(machineCpuBefore);
  return {
    loadMs: loadEnd - startedAt,
    loadStartWall,
    loadavgBefore,
    loadavgAfter,
    ...(machineCpu ? { machineCpu } : {}),
    cpu,
    loopLag,
  };
}

/**
 * The three concurrent scenarios (payments load, consistency checks, fault timeline) with the
 * ticker and the loop-lag probe beside them, until every scenario is over or the run is aborted.
 * @returns `performance.now()` at the end of the load
 */
async function runScenarios(
  ctx: RunContext,
  seen: Observed,
  startedAt: number,
  loopLag: LatencyHistogram,
): Promise<number> {
  const { sc, options, hard } = ctx;
  ctx.metrics.startWindows(0);
  const load = startLoad(ctx, seen, startedAt);
  const consistency = startConsistencyChecks(ctx, seen, startedAt);
  const faults = startFaults(ctx, seen, startedAt);
  const ticker = startTicker(ctx, seen, startedAt, () => load.state.activeVus);
  const stopLagProbe = startLagProbe(loopLag);
  const graceTimer = setTimeout(
    () => hard.abort(new Error("gracefulStop elapsed")),
    sc.durationMs + (options.gracefulStopMs ?? 30_000),
  );
  let loadEnd: number;
  try {
    await Promise.all([load.done, consistency, faults]);
  } finally {
    ticker.stop();
    stopLagProbe();
    clearTimeout(graceTimer);
    loadEnd = performance.now();
    ticker.tick();
    options.progress?.done();
  }
  const outer = options.signal;
  if (outer?.aborted && !seen.aborted) seen.aborted = `interrupted: ${String(outer.reason)}`;
  return loadEnd;
}

function startLoad(ctx: RunContext, seen: Observed, startedAt: number) {
  const { sc } = ctx;
  const maxIds = maxTrackedIds(ctx.options);
  return runPaymentsLoad({
    backendUrl: ctx.options.backendUrl,
    startVus: sc.startVus,
    maxVus: sc.maxVus,
    durationMs: sc.durationMs,
    amount: sc.amount,
    timeoutMs: sc.requestTimeoutMs,
    thinkTimeMs: sc.thinkTimeMs,
    startedAt,
    metrics: ctx.metrics,
    signal: ctx.hard.signal,
    onAccepted: seen.trackIds
      ? (id) => {
        if (seen.accepted.length < maxIds) seen.accepted.push(id);
      }
      : undefined,
  });
}

function startConsistencyChecks(ctx: RunContext, seen: Observed, startedAt: number) {
  const { sc, label } = ctx;
  return runConsistencyChecks({
    backend: ctx.backend,
    processors: ctx.processors,
    rule: sc.inconsistencyRule,
    fromAgoMs: sc.consistencyFromAgoMs,
    toAgoMs: sc.consistencyToAgoMs,
    intervalMs: sc.consistencyIntervalMs,
    startedAt,
    durationMs: sc.durationMs,
    signal: ctx.hard.signal,
    onCheck: (c) => {
      seen.checks.push(c);
      seen.inconsistencies += c.inconsistencies;
      if (c.inconsistencies > 0) {
        ctx.options.progress?.log(
          `[${label}] t=${(c.atMs / 1000).toFixed(1)}s inconsistency ${c.inconsistencies}: ` +
            `backend ${c.backend.default}/${c.backend.fallback} vs processors ` +
            `${c.processors.default}/${c.processors.fallback}` +
            (c.backendError ? ` (backend: ${c.backendError})` : ""),
        );
      }
    },
  });
}

/** The fault timeline; a failed step aborts the run, as the official script does. */
function startFaults(ctx: RunContext, seen: Observed, startedAt: number): Promise<void> {
  const { processors, sc, hard } = ctx;
  if (!processors || sc.faults.length === 0) return Promise.resolve();
  return runFaultTimeline(sc.faults, {
    processors,
    startedAt,
    signal: hard.signal,
    onApplied: (a) => seen.applied.push(a),
  }).catch((e) => {
    seen.aborted = `fault timeline: ${e instanceof Error ? e.message : String(e)}`;
    hard.abort(e);
  });
}

/** Every second: closes the timeseries windows, samples the backlog, updates the progress line. */
function startTicker(
  ctx: RunContext,
  seen: Observed,
  startedAt: number,
  activeVus: () => number,
): { tick(): void; stop(): void } {
  const { metrics, sc, label } = ctx;
  const backendQuiet = new BackendClient(ctx.options.backendUrl, { signal: ctx.hard.signal });
  let backlogBusy = false;
  let lastBacklog: number | null = null;
  const tick = () => {
    const t = performance.now() - startedAt;
    metrics.closeWindows(t, activeVus());
    if (!backlogBusy) {
      backlogBusy = true;
      backendQuiet.backlog().then((q) => {
        lastBacklog = q;
        if (q !== null && seen.backlog.length < 100_000) {
          seen.backlog.push({ t: Math.round(t), queue: q });
        }
      }).finally(() => backlogBusy = false);
    }
    const last = metrics.windows.at(-1);
    ctx.options.progress?.update({
      label,
      elapsedMs: t,
      durationMs: sc.durationMs,
      vus: activeVus(),
      rps: last ? Math.round(last.posts * 1000 / last.len) : 0,
      p99: metrics.expected.percentile(0.99),
      ok: metrics.counts.ok,
      fail: metrics.counts.fail,
      backlog: lastBacklog,
      inconsistencies: seen.inconsistencies,
    });
  };
  const timer = setInterval(tick, 1000);
  return { tick, stop: () => clearInterval(timer) };
}

/**
 * Event-loop lag of the generator itself: how late a 50 ms timer fires. A late loop would
 * inflate every latency measured, so it is reported next to them.
 * @returns a function that stops the probe
 */
function startLagProbe(loopLag: LatencyHistogram): () => void {
  let lagExpected = performance.now() + 50;
  const timer = setInterval(() => {
    const now = performance.now();
    loopLag.record(Math.max(0, now - lagExpected));
    lagExpected = now + 50;
  }, 50);
  return () => clearInterval(timer);
}

/**
 * rinha-final.js `teardown`: both processors' admin summaries over the last `teardownWindowMs`
 * (stretched to cover the whole run), read by fresh clients (no signal: an interrupted run still
 * reads its totals), then the official score.
 */
async function tearDown(
  ctx: RunContext,
  processors: Processors,
  seen: Observed,
  setupWall: number,
): Promise<Teardown> {
  const { sc, record } = ctx;
  const to = new Date();
  const windowMs = Math.max(sc.teardownWindowMs, to.getTime() - setupWall + 5000);
  const from = new Date(to.getTime() - windowMs).toISOString();
  const until = to.toISOString();
  // The final test never reads the backend at teardown; the preview does (rinha.js).
  const teardownBackend = new BackendClient(ctx.options.backendUrl, {
    timeoutMs: sc.requestTimeoutMs,
    record: sc.totalsSource === "backend" ? record : undefined,
  });
  const fresh = (p: ProcessorAdmin) =>
    new ProcessorAdmin(p.name, p.baseUrl, p.token, { timeoutMs: sc.requestTimeoutMs, record });
  const ds = (await fresh(processors.default).summary(from, until)).summary;
  const fs = (await fresh(processors.fallback).summary(from, until)).summary;
  const backendTotals = (await teardownBackend.summary(from, until)).summary;
  const totals = { default: ds, fallback: fs };
  return {
    official: officialScore(ctx, seen, totals, backendTotals),
    processors: totals,
    backendTotals,
  };
}

/** The score from the totals the scenario reads: the processors' (final) or the backend's. */
function officialScore(
  ctx: RunContext,
  seen: Observed,
  totals: { default: ProcessorSummary; fallback: ProcessorSummary },
  backendTotals: BackendSummary | null,
): OfficialResults {
  const { sc, metrics } = ctx;
  const none = { totalRequests: 0, totalAmount: 0 };
  const source = sc.totalsSource === "backend"
    ? { default: backendTotals?.default ?? none, fallback: backendTotals?.fallback ?? none }
    : totals;
  return scoreRun({
    successfulPosts: metrics.counts.ok,
    failedPosts: metrics.counts.fail,
    p99Ms: metrics.expected.percentile(0.99),
    inconsistencies: seen.inconsistencies,
    default: {
      totalRequests: source.default.totalRequests,
      totalAmount: source.default.totalAmount,
      feePerTransaction: totals.default.feePerTransaction,
    },
    fallback: {
      totalRequests: source.fallback.totalRequests,
      totalAmount: source.fallback.totalAmount,
      feePerTransaction: totals.fallback.feePerTransaction,
    },
    maxVus: sc.maxVus,
  });
}

/** Everything the phases produced, as {@linkcode RunResult}. */
function assembleResult(
  ctx: RunContext,
  parts: {
    startedAt: string;
    provenance: Provenance;
    seen: Observed;
    load: LoadFigures;
    teardown?: Teardown;
    analysis?: { share: SharePoint[]; audit: AuditOutcome };
  },
): RunResult {
  const { options, metrics, sc } = ctx;
  const { seen, load, teardown, analysis, provenance } = parts;
  const { faults: planned, ...scRest } = sc;
  return {
    label: ctx.label,
    mode: options.mode,
    scenario: { ...scRest, faultSteps: planned.length },
    backendUrl: options.backendUrl,
    startedAt: parts.startedAt,
    endedAt: new Date().toISOString(),
    commit: provenance.commit,
    deno: provenance.deno,
    loadMs: Math.round(load.loadMs),
    ...(seen.aborted ? { aborted: seen.aborted } : {}),
    ...(teardown ? { official: teardown.official } : {}),
    latency: {
      expected: roundSummary(metrics.expected.summary()),
      posts: roundSummary(metrics.posts.summary()),
    },
    posts: metrics.counts,
    consistency: { total: seen.inconsistencies, checks: seen.checks },
    faults: { planned, applied: seen.applied },
    ...(teardown ? { processors: teardown.processors, backendTotals: teardown.backendTotals } : {}),
    timeseries: { windows: metrics.windows, backlog: seen.backlog, share: analysis?.share ?? [] },
    ...(analysis ? { audit: analysis.audit } : {}),
    machine: {
      cores: provenance.cores,
      cpuModel: provenance.cpuModel,
      loadavgBefore: load.loadavgBefore,
      loadavgAfter: load.loadavgAfter,
      ...(load.machineCpu ? { cpu: load.machineCpu } : {}),
    },
    generator: generatorCost(load),
  };
}

/** The load generator's own cost over the load phase. */
function generatorCost(load: LoadFigures): RunResult["generator"] {
  const { cpu, loadMs, loopLag } = load;
  return {
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSystemMs: Math.round(cpu.system / 1000),
    cpuPercentOfOneCore: loadMs > 0 ? round3(((cpu.user + cpu.system) / 1000 / loadMs) * 100) : 0,
    rssBytes: process.memoryUsage().rss,
    loopLagP99Ms: round3(loopLag.percentile(0.99)),
    loopLagMaxMs: round3(loopLag.max),
  };
}

function machineCpuDuring(before: MachineCpuTimes | undefined) {
  const after = readMachineCpu();
  if (!before || !after) return undefined;
  return machineCpuBetween(before, after);
}

function loadavg(): number[] {
  try {
    return Deno.loadavg().map((x) => Math.round(x * 100) / 100);
  } catch {
    return []; // no --allow-sys
  }
}

function roundSummary(s: LatencySummary): LatencySummary {
  return {
    count: s.count,
    min: round3(s.min),
    mean: round3(s.mean),
    p50: round3(s.p50),
    p90: round3(s.p90),
    p99: round3(s.p99),
    max: round3(s.max),
  };
}
