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

import {
  machineCpuBetween,
  type MachineCpuTimes,
  readMachineCpu,
  type ServiceResources,
} from "./resources.ts";
import process from "node:process";
import { auditExactlyOnce, type AuditResult } from "./audit.ts";
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
import type { FaultStep, Scenario } from "./scenario.ts";
import { type OfficialResults, scoreRun } from "./score.ts";

/** Options of {@linkcode runBench}. */
export interface RunOptions {
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

/** Processors' counts over one bucket of the run (post-run analysis). */
export interface SharePoint {
  /** Bucket start, ms from the start of the load. */
  t: number;
  len: number;
  default: number;
  fallback: number;
}

/** Everything one run measured. Times in ms, ISO strings for wall-clock instants. */
export interface RunResult {
  label: string;
  mode: "full" | "baseline";
  scenario: Omit<Scenario, "faults"> & { faultSteps: number };
  backendUrl: string;
  startedAt: string;
  endedAt: string;
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
  audit?: AuditResult | { available: false; reason: string };
  /**
   * CPU, peak memory and run-queue wait of each service of the backend during the run (set-up,
   * load, teardown)
   * (resources.ts; set by main.ts when it started the backend, absent without /proc).
   */
  resources?: ServiceResources[];
  /** 1/5/15-minute load averages of the machine before and after the load (noise indicator). */
  machine: {
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

/**
 * Runs the test once. Never throws for backend failures (they are measured); an admin failure
 * the official script aborts on ends the run early with `aborted` set.
 */
export async function runBench(options: RunOptions): Promise<RunResult> {
  const sc = options.scenario;
  const label = options.label ?? options.mode;
  const metrics = new RunMetrics({ windowMs: Math.max(1000, Math.ceil(sc.durationMs / 1000)) });
  const record = (status: number, ms: number) => metrics.recordOther(status, ms);
  const hard = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => hard.abort(outer?.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = hard.signal;
  const full = options.mode === "full";

  const backend = new BackendClient(options.backendUrl, {
    timeoutMs: sc.requestTimeoutMs,
    record,
    signal,
  });
  const backendQuiet = new BackendClient(options.backendUrl, { signal });
  let processors: { default: ProcessorAdmin; fallback: ProcessorAdmin } | undefined;
  if (full) {
    if (!options.defaultUrl || !options.fallbackUrl) {
      throw new TypeError("a full run needs defaultUrl and fallbackUrl");
    }
    const token = options.token ?? "123";
    const mk = (name: "default" | "fallback", url: string) =>
      new ProcessorAdmin(name, url, token, { timeoutMs: sc.requestTimeoutMs, record, signal });
    processors = {
      default: mk("default", options.defaultUrl),
      fallback: mk("fallback", options.fallbackUrl),
    };
  }

  let aborted: string | undefined;
  const checks: ConsistencyCheck[] = [];
  const applied: AppliedFault[] = [];
  const backlog: { t: number; queue: number }[] = [];
  let inconsistencies = 0;
  const accepted: string[] = [];
  let trackIds = false;
  const maxIds = options.maxTrackedIds ?? 5_000_000;
  const startedAtIso = new Date().toISOString();
  const setupWall = Date.now();

  // ---- set-up (rinha-final.js `setup`)
  try {
    if (processors) {
      const newToken = crypto.randomUUID();
      const initial = processors.default.token;
      await processors.default.setToken(newToken, initial);
      await processors.fallback.setToken(newToken, initial);
      await processors.default.purge();
      await processors.fallback.purge();
      for (const p of [processors.default, processors.fallback]) {
        await p.setDelay(0);
        await p.setFailure(false);
      }
      trackIds = (await processors.default.debugPayments(3000)) !== null;
    }
    await backend.purge();
  } catch (e) {
    aborted = `set-up: ${e instanceof Error ? e.message : String(e)}`;
  }
  const setupFailed = aborted !== undefined;

  // ---- the scenarios
  const loadavgBefore = loadavg();
  const machineCpuBefore = readMachineCpu();
  const loopLag = new LatencyHistogram({ precisionBits: 7 });
  const startedAt = performance.now();
  const loadStartWall = Date.now();
  const cpu0 = process.cpuUsage();
  let loadEnd = startedAt;
  if (!aborted) {
    metrics.startWindows(0);
    const load = runPaymentsLoad({
      backendUrl: options.backendUrl,
      startVus: sc.startVus,
      maxVus: sc.maxVus,
      durationMs: sc.durationMs,
      amount: sc.amount,
      timeoutMs: sc.requestTimeoutMs,
      thinkTimeMs: sc.thinkTimeMs,
      startedAt,
      metrics,
      signal,
      onAccepted: trackIds
        ? (id) => {
          if (accepted.length < maxIds) accepted.push(id);
        }
        : undefined,
    });
    const consistency = runConsistencyChecks({
      backend,
      processors,
      rule: sc.inconsistencyRule,
      fromAgoMs: sc.consistencyFromAgoMs,
      toAgoMs: sc.consistencyToAgoMs,
      intervalMs: sc.consistencyIntervalMs,
      startedAt,
      durationMs: sc.durationMs,
      signal,
      onCheck: (c) => {
        checks.push(c);
        inconsistencies += c.inconsistencies;
        if (c.inconsistencies > 0) {
          options.progress?.log(
            `[${label}] t=${(c.atMs / 1000).toFixed(1)}s inconsistency ${c.inconsistencies}: ` +
              `backend ${c.backend.default}/${c.backend.fallback} vs processors ` +
              `${c.processors.default}/${c.processors.fallback}` +
              (c.backendError ? ` (backend: ${c.backendError})` : ""),
          );
        }
      },
    });
    const faults = processors && sc.faults.length > 0
      ? runFaultTimeline(sc.faults, {
        processors,
        startedAt,
        signal,
        onApplied: (a) => applied.push(a),
      })
      : Promise.resolve();

    // Ticker: timeseries windows, backlog, progress.
    let backlogBusy = false;
    let lastBacklog: number | null = null;
    const tick = () => {
      const t = performance.now() - startedAt;
      metrics.closeWindows(t, load.state.activeVus);
      if (!backlogBusy) {
        backlogBusy = true;
        backendQuiet.backlog().then((q) => {
          lastBacklog = q;
          if (q !== null && backlog.length < 100_000) backlog.push({ t: Math.round(t), queue: q });
        }).finally(() => backlogBusy = false);
      }
      const last = metrics.windows.at(-1);
      options.progress?.update({
        label,
        elapsedMs: t,
        durationMs: sc.durationMs,
        vus: load.state.activeVus,
        rps: last ? Math.round(last.posts * 1000 / last.len) : 0,
        p99: metrics.expected.percentile(0.99),
        ok: metrics.counts.ok,
        fail: metrics.counts.fail,
        backlog: lastBacklog,
        inconsistencies,
      });
    };
    const ticker = setInterval(tick, 1000);
    // Event-loop lag of the generator itself: how late a 50 ms timer fires. A late loop would
    // inflate every latency measured, so it is reported next to them.
    let lagExpected = performance.now() + 50;
    const lagTimer = setInterval(() => {
      const now = performance.now();
      loopLag.record(Math.max(0, now - lagExpected));
      lagExpected = now + 50;
    }, 50);
    const graceTimer = setTimeout(
      () => hard.abort(new Error("gracefulStop elapsed")),
      sc.durationMs + (options.gracefulStopMs ?? 30_000),
    );
    const faultsDone = faults.catch((e) => {
      aborted = `fault timeline: ${e instanceof Error ? e.message : String(e)}`;
      hard.abort(e);
    });
    try {
      await Promise.all([load.done, consistency, faultsDone]);
    } finally {
      clearInterval(ticker);
      clearInterval(lagTimer);
      clearTimeout(graceTimer);
      loadEnd = performance.now();
      tick();
      options.progress?.done();
    }
    if (outer?.aborted && !aborted) aborted = `interrupted: ${String(outer.reason)}`;
  }
  const cpu = process.cpuUsage(cpu0);
  const loadavgAfter = loadavg();
  const machineCpu = machineCpuDuring(machineCpuBefore);
  const loadMs = loadEnd - startedAt;

  // ---- teardown (rinha-final.js `teardown`)
  let official: OfficialResults | undefined;
  let totals: RunResult["processors"];
  let backendTotals: BackendSummary | null | undefined;
  let teardownFrom = "";
  let teardownTo = "";
  if (processors && !setupFailed) {
    const to = new Date();
    const windowMs = Math.max(sc.teardownWindowMs, to.getTime() - setupWall + 5000);
    teardownFrom = new Date(to.getTime() - windowMs).toISOString();
    teardownTo = to.toISOString();
    // The final test never reads the backend at teardown; the preview does (rinha.js).
    const teardownBackend = new BackendClient(options.backendUrl, {
      timeoutMs: sc.requestTimeoutMs,
      record: sc.totalsSource === "backend" ? record : undefined,
    });
    const fresh = (p: ProcessorAdmin) =>
      new ProcessorAdmin(p.name, p.baseUrl, p.token, { timeoutMs: sc.requestTimeoutMs, record });
    const [d, f] = [fresh(processors.default), fresh(processors.fallback)];
    const [ds, fs] = [
      await d.summary(teardownFrom, teardownTo),
      await f.summary(teardownFrom, teardownTo),
    ];
    totals = { default: ds.summary, fallback: fs.summary };
    backendTotals = (await teardownBackend.summary(teardownFrom, teardownTo)).summary;
    const source = sc.totalsSource === "backend"
      ? {
        default: backendTotals?.default ?? { totalRequests: 0, totalAmount: 0 },
        fallback: backendTotals?.fallback ?? { totalRequests: 0, totalAmount: 0 },
      }
      : totals;
    official = scoreRun({
      successfulPosts: metrics.counts.ok,
      failedPosts: metrics.counts.fail,
      p99Ms: metrics.expected.percentile(0.99),
      inconsistencies,
      default: {
        totalRequests: source.default.totalRequests,
        totalAmount: source.default.totalAmount,
        feePerTransaction: ds.summary.feePerTransaction,
      },
      fallback: {
        totalRequests: source.fallback.totalRequests,
        totalAmount: source.fallback.totalAmount,
        feePerTransaction: fs.summary.feePerTransaction,
      },
      maxVus: sc.maxVus,
    });
  }

  // ---- post-run analysis (not part of the test: never recorded)
  const share: SharePoint[] = [];
  let audit: RunResult["audit"];
  if (processors && teardownTo) {
    const quiet = (p: ProcessorAdmin) => new ProcessorAdmin(p.name, p.baseUrl, p.token);
    const [d, f] = [quiet(processors.default), quiet(processors.fallback)];
    await collectShare(
      d,
      f,
      loadStartWall,
      Math.max(loadMs, 1000),
      options.shareBuckets ?? 300,
      share,
    );
    if (trackIds) {
      const [ld, lf] = await Promise.all([d.debugPayments(), f.debugPayments()]);
      audit = ld && lf
        ? auditExactlyOnce(accepted, ld.map((p) => p.correlationId), lf.map((p) => p.correlationId))
        : { available: false, reason: "GET /admin/debug/payments failed after the run" };
      if (accepted.length >= maxIds) {
        audit = { available: false, reason: `more than ${maxIds} accepted ids: not tracked` };
      }
    } else {
      audit = { available: false, reason: "processors have no GET /admin/debug/payments" };
    }
  }

  outer?.removeEventListener("abort", onOuterAbort);
  const { faults: planned, ...scRest } = sc;
  return {
    label,
    mode: options.mode,
    scenario: { ...scRest, faultSteps: planned.length },
    backendUrl: options.backendUrl,
    startedAt: startedAtIso,
    endedAt: new Date().toISOString(),
    loadMs: Math.round(loadMs),
    ...(aborted ? { aborted } : {}),
    ...(official ? { official } : {}),
    latency: {
      expected: roundSummary(metrics.expected.summary()),
      posts: roundSummary(metrics.posts.summary()),
    },
    posts: metrics.counts,
    consistency: { total: inconsistencies, checks },
    faults: { planned, applied },
    ...(totals ? { processors: totals, backendTotals } : {}),
    timeseries: { windows: metrics.windows, backlog, share },
    ...(audit ? { audit } : {}),
    machine: { loadavgBefore, loadavgAfter, ...(machineCpu ? { cpu: machineCpu } : {}) },
    generator: {
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      cpuPercentOfOneCore: loadMs > 0 ? round3(((cpu.user + cpu.system) / 1000 / loadMs) * 100) : 0,
      rssBytes: process.memoryUsage().rss,
      loopLagP99Ms: round3(loopLag.percentile(0.99)),
      loopLagMaxMs: round3(loopLag.max),
    },
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

/**
 * Reads both processors' admin summaries bucket by bucket over the run (inclusive bounds, so a
 * bucket ends 1 ms before the next starts), 8 requests at a time.
 */
async function collectShare(
  d: ProcessorAdmin,
  f: ProcessorAdmin,
  loadStartWall: number,
  loadMs: number,
  maxBuckets: number,
  out: SharePoint[],
): Promise<void> {
  const len = Math.max(1000, Math.ceil(loadMs / maxBuckets / 1000) * 1000);
  const n = Math.ceil(loadMs / len);
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < n; i++) {
    const from = new Date(loadStartWall + i * len).toISOString();
    const to = new Date(loadStartWall + (i + 1) * len - 1).toISOString();
    const point: SharePoint = { t: i * len, len, default: 0, fallback: 0 };
    out.push(point);
    jobs.push(async () => {
      const [a, b] = await Promise.all([d.summary(from, to, false), f.summary(from, to, false)]);
      point.default = a.summary.totalRequests;
      point.fallback = b.summary.totalRequests;
    });
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
}
