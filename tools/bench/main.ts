/**
 * `deno task bench`: reproduces the official final test locally (docs/CONTRACT.md §3, rinha-final.js)
 * and computes its score (docs/CONTRACT.md §4).
 *
 * ```sh
 * deno task bench [--scenario final|preview] [--duration S] [--vus N] [--amount X]
 *                 [--faults official|random|none] [--seed N]
 *                 [--backend URL] [--pp-default URL] [--pp-fallback URL] [--token T]
 *                 [--stack [--redis-url URL]] [--baseline | --baseline-only] [--floor noop|intake]
 *                 [--out results.json] [--report report.html] [--quiet]
 * ```
 *
 * @module
 */

import { type BaselineStack, startBaselineStack } from "./baseline.ts";
import { type BenchCliOptions, parseBenchArgs, USAGE } from "./cli.ts";
import { ProgressLine } from "./progress.ts";
import { renderReport } from "./report.ts";
import { formatMB, ResourceSampler, type ServiceProcess } from "./resources.ts";
import { runBench, type RunResult } from "./run.ts";
import type { ManagedProcess } from "../stack/processes.ts";
import { type Stack, startStack } from "../stack/stack.ts";
import { keysFor } from "../../src/store/keys.ts";
import { Redis } from "../../src/store/redis/client.ts";
import { parseRedisUrl } from "../../src/store/redis/url.ts";

function say(message: string): void {
  console.error(message);
}

function describe(r: RunResult): string {
  const p = r.latency.posts;
  const lines = [
    `${r.label}: ${r.posts.total} POSTs (${r.posts.ok} ok, ${r.posts.fail} failed, ${r.posts.timeouts} timeouts) in ${
      (r.loadMs / 1000).toFixed(1)
    } s`,
    `  POST p50 ${p.p50} / p90 ${p.p90} / p99 ${p.p99} / max ${p.max} ms; p99 of all expected ${r.latency.expected.p99} ms`,
    `  machine load average before/after ${r.machine.loadavgBefore[0] ?? "?"}/${
      r.machine.loadavgAfter[0] ?? "?"
    }${
      r.machine.cpu
        ? `, CPU ${r.machine.cpu.busyCores} of ${r.machine.cpu.cores} cores busy (${r.machine.cpu.stealCores} stolen)`
        : ""
    }; ` +
    `generator CPU ${r.generator.cpuPercentOfOneCore} % of one core, RSS ${
      (r.generator.rssBytes / 2 ** 20).toFixed(0)
    } MiB, event-loop lag p99 ${r.generator.loopLagP99Ms} / max ${r.generator.loopLagMaxMs} ms`,
  ];
  if (r.official) {
    const o = r.official;
    lines.push(
      `  score ${o.total_liquido} (gross ${o.total_bruto}, fees ${o.total_taxas}, p99 ${o.p99.valor}, bonus ${o.p99.bonus}, ` +
        `fine ${o.multa.porcentagem}, inconsistencies ${o.multa.composicao.num_inconsistencias}, lag ${o.lag.lag}; ` +
        `default ${o.pagamentos_realizados_default.num_pagamentos} / fallback ${o.pagamentos_realizados_fallback.num_pagamentos})`,
    );
  }
  if (r.audit && !("available" in r.audit)) {
    const a = r.audit;
    lines.push(
      `  audit: by both ${a.storedByBoth}, twice ${a.storedTwice}, accepted never stored ${a.acceptedNeverStored}, stored not accepted ${a.storedNotAccepted}`,
    );
  }
  for (const s of r.resources ?? []) {
    lines.push(
      `  ${s.service}: CPU ${s.cpuSeconds.toFixed(1)} s, run-queue wait ${
        s.runQueueWaitSeconds.toFixed(1)
      } s, peak RSS ${formatMB(s.peakRssBytes)} (anon ${formatMB(s.peakAnonBytes)}, file ${
        formatMB(s.peakFileBytes)
      })`,
    );
  }
  if (r.aborted) lines.push(`  ABORTED: ${r.aborted}`);
  return lines.join("\n");
}

/** What the phases of one invocation share. */
interface Session {
  opts: BenchCliOptions;
  args: string[];
  /** Aborted by SIGINT/SIGTERM. */
  signal: AbortSignal;
  progress?: ProgressLine;
}

/** One phase's run (absent when it failed before a result) and whether the phase failed. */
interface PhaseOutcome {
  result?: RunResult;
  failed: boolean;
}

/** A stack the main run drives: started here (`--stack`) or given by URLs. */
interface BenchTarget {
  urls: { backend: string; def: string; fb: string };
  /** Set when this invocation started the stack (and must stop it). */
  started?: StartedStack;
}

/** A stack started with `--stack`, with the Redis prefix of its keys (deleted after the run). */
type StartedStack = Stack & { prefix: string };

/** Runs the CLI; returns the process exit code (0, 1 when a run failed, 2 on bad options). */
export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let opts: BenchCliOptions;
  try {
    opts = parseBenchArgs(args);
  } catch (e) {
    say(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const ac = new AbortController();
  const onSignal = () => ac.abort(new Error("SIGINT/SIGTERM"));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const progress = opts.quiet ? undefined : new ProgressLine();
    const session: Session = { opts, args, signal: ac.signal, progress };
    say(announcement(opts));
    const baseline = opts.baseline !== "no" ? await runBaseline(session) : { failed: false };
    const backend = opts.baseline !== "only" && !ac.signal.aborted
      ? await runAgainstBackend(session, baseline.failed)
      : { failed: false };
    await writeOutputs(session, backend.result, baseline.result);
    return baseline.failed || backend.failed ? 1 : 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

/** The first line: scenario, length, VUs, amount, faults and checks. */
function announcement(opts: BenchCliOptions): string {
  const sc = opts.scenario;
  const seed = opts.seed !== undefined ? ` (seed ${opts.seed})` : "";
  return `bench: ${sc.name} scenario, ${
    sc.durationMs / 1000
  } s, VUs ${sc.startVus}→${sc.maxVus}, ` +
    `amount ${sc.amount}, faults ${opts.faults}${seed} (${sc.faults.length} steps), ` +
    `checks every ${sc.consistencyIntervalMs / 1000} s`;
}

/** The same load against the baseline stack (baseline.ts), started and stopped here. */
async function runBaseline(session: Session): Promise<PhaseOutcome> {
  const { opts } = session;
  const floorPrefix = opts.floor === "intake"
    ? `bench:floor:${crypto.randomUUID().slice(0, 8)}:`
    : undefined;
  let bstack: BaselineStack | undefined;
  try {
    bstack = await startBaselineStack(
      floorPrefix ? { intake: { redisUrl: opts.redisUrl, prefix: floorPrefix } } : {},
    );
    say(bstack.description);
    const backendUrl = bstack.url;
    const services = await serviceProcesses(
      bstack.processes,
      floorPrefix ? opts.redisUrl : undefined,
    );
    const result = await withResources(services, () =>
      runBench({
        scenario: { ...opts.scenario, faults: [] },
        mode: "baseline",
        label: floorPrefix ? "baseline (intake floor)" : "baseline",
        backendUrl,
        progress: session.progress,
        signal: session.signal,
      }));
    say(describe(result));
    return { result, failed: false };
  } catch (e) {
    say(`baseline failed: ${(e as Error).message}`);
    return { failed: true };
  } finally {
    await bstack?.stop();
    if (floorPrefix) await cleanUpPrefix(opts.redisUrl, floorPrefix, "the floor's");
  }
}

/**
 * The real test against the backend: the stack started here with `--stack`, else the URLs given.
 * @param failedSoFar whether an earlier phase failed (the stack's logs are then printed too)
 */
async function runAgainstBackend(session: Session, failedSoFar: boolean): Promise<PhaseOutcome> {
  const { opts } = session;
  let target: BenchTarget | undefined;
  let outcome: PhaseOutcome = { failed: true };
  try {
    target = await benchTarget(session);
    const stack = target.started;
    const services = stack ? await serviceProcesses(stack.processes, opts.redisUrl) : () => [];
    const result = await withResources(services, () =>
      runBench({
        scenario: opts.scenario,
        mode: "full",
        label: "backend",
        backendUrl: target!.urls.backend,
        defaultUrl: target!.urls.def,
        fallbackUrl: target!.urls.fb,
        token: opts.token,
        progress: session.progress,
        signal: session.signal,
      }));
    say(describe(result));
    outcome = { result, failed: result.aborted !== undefined };
  } catch (e) {
    say(`run failed: ${(e as Error).message}`);
  } finally {
    const stack = target?.started;
    if (stack) {
      if (failedSoFar || outcome.failed) say(stack.logs());
      await stack.stop();
      await cleanUpPrefix(opts.redisUrl, stack.prefix, "the stack's");
    }
  }
  return outcome;
}

/** The URLs given, or those of a local stack started on free ports (`--stack`). */
async function benchTarget(session: Session): Promise<BenchTarget> {
  const { opts } = session;
  if (!opts.stack) {
    return { urls: { backend: opts.backend, def: opts.ppDefault, fb: opts.ppFallback } };
  }
  const prefix = `bench:${crypto.randomUUID().slice(0, 8)}:`;
  const stack = await startStack({
    port: 0,
    defaultPort: 0,
    fallbackPort: 0,
    defaultFee: opts.scenario.fees.default,
    fallbackFee: opts.scenario.fees.fallback,
    token: opts.token,
    redisUrl: opts.redisUrl,
    redisPrefix: prefix,
    output: "quiet",
    signal: session.signal,
  });
  say(stack.description);
  return {
    urls: { backend: stack.url, def: stack.defaultUrl, fb: stack.fallbackUrl },
    started: Object.assign(stack, { prefix }),
  };
}

/**
 * The p99 ratio to the baseline, the results JSON (`--out`), the HTML report (`--report`) and,
 * on stdout, the official figures of the main run.
 */
async function writeOutputs(
  session: Session,
  mainRun: RunResult | undefined,
  baseline: RunResult | undefined,
): Promise<void> {
  const { opts, args } = session;
  if (baseline && mainRun && baseline.latency.expected.p99 > 0) {
    const [ours, floor] = [mainRun.latency.expected.p99, baseline.latency.expected.p99];
    say(`p99 ours / ${baseline.label}: ${ours} / ${floor} ms = ×${(ours / floor).toFixed(2)}`);
  }
  if (opts.out && (mainRun || baseline)) {
    const { official, ...details } = mainRun ?? ({} as Partial<RunResult>);
    const doc = {
      ...(official ?? {}),
      bench: mainRun ? details : undefined,
      baseline,
      options: { faults: opts.faults, seed: opts.seed, floor: opts.floor, args },
    };
    await Deno.writeTextFile(opts.out, JSON.stringify(doc, null, 2));
    say(`results written to ${opts.out}`);
  }
  if (opts.report && (mainRun || baseline)) {
    await Deno.writeTextFile(
      opts.report,
      renderReport({ main: mainRun, baseline, command: `deno task bench ${args.join(" ")}` }),
    );
    say(`report written to ${opts.report}`);
  }
  const official = mainRun?.official;
  if (official) {
    console.log(JSON.stringify({
      total_liquido: official.total_liquido,
      p99: official.p99.valor,
      multa: official.multa.porcentagem,
      lag: official.lag.lag,
    }));
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * The processes to sample: the children a stack started (by name: api1, nginx, pp-default…) and,
 * when `redisUrl` is given and local (unix socket or loopback), the Redis server found by its
 * `INFO server` process_id — on a shared server its figures include the other clients' work.
 */
async function serviceProcesses(
  children: readonly ManagedProcess[],
  redisUrl?: string,
): Promise<() => ServiceProcess[]> {
  let redisPid: number | undefined;
  const endpoint = redisUrl ? parseRedisUrl(redisUrl).connect : undefined;
  const local = endpoint?.transport === "unix" ||
    ["127.0.0.1", "localhost", "::1", "[::1]"].includes(
      (endpoint as Deno.ConnectOptions | undefined)?.hostname ?? "",
    );
  if (redisUrl && local) {
    const redis = await Redis.connect(redisUrl, { name: "bench-resources" });
    try {
      const info = String(await redis.send(["INFO", "server"]));
      redisPid = Number(info.match(/^process_id:(\d+)/m)?.[1]) || undefined;
    } finally {
      await redis.close();
    }
  }
  return () => [
    ...children.filter((p) => !p.exited).map((p) => ({ service: p.name, pid: p.pid })),
    ...(redisPid ? [{ service: "redis", pid: redisPid }] : []),
  ];
}

/** Runs `run` while sampling `processes` (resources.ts) and attaches the figures to its result. */
async function withResources(
  processes: () => readonly ServiceProcess[],
  run: () => Promise<RunResult>,
): Promise<RunResult> {
  const sampler = new ResourceSampler({ processes });
  if (Deno.build.os === "linux" && !ResourceSampler.available()) {
    // Deno 2.9 reads /proc only with --allow-all (the bench task has it).
    say("resources not sampled: /proc is not readable (run the bench with -A)");
  }
  sampler.start();
  try {
    const result = await run();
    const resources = sampler.stop();
    if (resources.length) result.resources = resources;
    if (sampler.error) say(`resource sampling stopped: ${sampler.error}`);
    return result;
  } finally {
    sampler.stop();
  }
}

/** Deletes the keys under `prefix`, saying so when it cannot (`whose`: "the stack's"…). */
async function cleanUpPrefix(redisUrl: string, prefix: string, whose: string): Promise<void> {
  await deletePrefix(redisUrl, prefix).catch((e) =>
    say(`could not delete ${whose} Redis keys ${prefix}*: ${(e as Error).message}`)
  );
}

/** Deletes the keys a `--stack` run left under its own prefix. */
async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = await Redis.connect(redisUrl, { name: "bench-cleanup" });
  try {
    for await (const found of redis.scan(keysFor(prefix).allPattern)) {
      await redis.send(["UNLINK", ...found]);
    }
  } finally {
    await redis.close();
  }
}
