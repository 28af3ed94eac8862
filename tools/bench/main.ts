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

import { parseArgs } from "node:util";
import { type BaselineStack, startBaselineStack } from "./baseline.ts";
import { ProgressLine } from "./progress.ts";
import { randomFaultSchedule } from "./random_faults.ts";
import { renderReport } from "./report.ts";
import { formatMB, ResourceSampler, type ServiceProcess } from "./resources.ts";
import { runBench, type RunResult } from "./run.ts";
import { scaleScenario, type Scenario, scenarioByName } from "./scenario.ts";
import type { ManagedProcess } from "../stack/processes.ts";
import { keysFor } from "../../src/store/keys.ts";
import { Redis } from "../../src/store/redis/client.ts";
import { parseRedisUrl } from "../../src/store/redis/url.ts";

const USAGE = `usage: deno task bench [options]
  --scenario final|preview     which official test                                [final]
  --duration S                 length of the load; the whole timeline scales        [300 / 60]
  --vus N                      peak virtual users                                  [603 / 550]
  --amount X                   amount of every payment                          [20.05 / 19.9]
  --faults official|random|none  fault timeline                                    [official]
  --seed N                     seed of --faults random                               [random]
  --backend URL                backend under test                   [http://127.0.0.1:9999]
  --pp-default URL             default processor               [http://127.0.0.1:8001]
  --pp-fallback URL            fallback processor              [http://127.0.0.1:8002]
  --token T                    current admin token of the processors                   [123]
  --stack                      start the local stack (src/stack) on free ports and stop it after
  --redis-url URL              Redis of that stack                 [redis://127.0.0.1:6379]
  --baseline                   also run the same load against a no-op backend first
  --baseline-only              only the no-op baseline (no backend, no processors)
  --floor noop|intake          what the baseline's backends do: noop = 202 at once; intake = the
                               product's POST /payments into --redis-url, nothing behind it  [noop]
  --out FILE                   results JSON (official keys + details)
  --report FILE                self-contained HTML report
  --quiet                      no progress line`;

/** Parsed command line. */
export interface BenchCliOptions {
  scenario: Scenario;
  faults: "official" | "random" | "none";
  seed?: number;
  backend: string;
  ppDefault: string;
  ppFallback: string;
  token: string;
  stack: boolean;
  redisUrl: string;
  baseline: "no" | "also" | "only";
  /** What the baseline's backends do (baseline.ts): 202 at once, or the product's intake. */
  floor: "noop" | "intake";
  out?: string;
  report?: string;
  quiet: boolean;
}

function num(
  name: string,
  raw: string | undefined,
  check: (n: number) => boolean,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new RangeError(`--${name}: bad value ${raw}`);
  return n;
}

/**
 * Parses the command line into a ready scenario (scaled, VUs/amount overridden, fault steps
 * chosen). @throws {RangeError|TypeError} on bad options
 */
export function parseBenchArgs(args: string[]): BenchCliOptions {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: "string", default: "final" },
      duration: { type: "string" },
      vus: { type: "string" },
      amount: { type: "string" },
      faults: { type: "string", default: "official" },
      seed: { type: "string" },
      backend: { type: "string", default: "http://127.0.0.1:9999" },
      "pp-default": { type: "string", default: "http://127.0.0.1:8001" },
      "pp-fallback": { type: "string", default: "http://127.0.0.1:8002" },
      token: { type: "string", default: "123" },
      stack: { type: "boolean", default: false },
      "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
      baseline: { type: "boolean", default: false },
      "baseline-only": { type: "boolean", default: false },
      floor: { type: "string", default: "noop" },
      out: { type: "string" },
      report: { type: "string" },
      quiet: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  let scenario = scenarioByName(values.scenario!);
  const duration = num("duration", values.duration, (n) => n > 0);
  if (duration !== undefined) scenario = scaleScenario(scenario, Math.round(duration * 1000));
  const vus = num("vus", values.vus, (n) => Number.isInteger(n) && n >= 1 && n <= 20_000);
  if (vus !== undefined) scenario.maxVus = vus;
  const amount = num("amount", values.amount, (n) => n > 0);
  if (amount !== undefined) scenario.amount = amount;
  const faults = values.faults as BenchCliOptions["faults"];
  if (!["official", "random", "none"].includes(faults)) {
    throw new RangeError(`--faults must be official, random or none, got ${faults}`);
  }
  let seed = num("seed", values.seed, (n) => Number.isInteger(n));
  if (faults === "random") {
    seed ??= Math.floor(Math.random() * 2 ** 31);
    scenario.faults = randomFaultSchedule({ seed, durationMs: scenario.durationMs });
  } else if (faults === "none") {
    scenario.faults = [];
  }
  const floor = values.floor as BenchCliOptions["floor"];
  if (floor !== "noop" && floor !== "intake") {
    throw new RangeError(`--floor must be noop or intake, got ${floor}`);
  }
  if (floor === "intake" && !values.baseline && !values["baseline-only"]) {
    throw new RangeError(`--floor intake needs --baseline or --baseline-only`);
  }
  for (const u of [values.backend!, values["pp-default"]!, values["pp-fallback"]!]) new URL(u);
  if (new URL(values.backend!).protocol !== "http:") {
    throw new TypeError(`--backend must be an http:// URL (the load generator speaks HTTP/1.1)`);
  }
  return {
    scenario,
    faults,
    seed,
    backend: values.backend!,
    ppDefault: values["pp-default"]!,
    ppFallback: values["pp-fallback"]!,
    token: values.token!,
    stack: values.stack!,
    redisUrl: values["redis-url"]!,
    baseline: values["baseline-only"] ? "only" : values.baseline ? "also" : "no",
    floor,
    out: values.out,
    report: values.report,
    quiet: values.quiet!,
  };
}

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

/** Runs the CLI; returns the process exit code. */
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
  const progress = opts.quiet ? undefined : new ProgressLine();
  const sc = opts.scenario;
  say(
    `bench: ${sc.name} scenario, ${
      sc.durationMs / 1000
    } s, VUs ${sc.startVus}→${sc.maxVus}, amount ${sc.amount}, ` +
      `faults ${opts.faults}${
        opts.seed !== undefined ? ` (seed ${opts.seed})` : ""
      } (${sc.faults.length} steps), ` +
      `checks every ${sc.consistencyIntervalMs / 1000} s`,
  );

  let baseline: RunResult | undefined;
  let mainRun: RunResult | undefined;
  let code = 0;
  if (opts.baseline !== "no") {
    let bstack: BaselineStack | undefined;
    const floorPrefix = opts.floor === "intake"
      ? `bench:floor:${crypto.randomUUID().slice(0, 8)}:`
      : undefined;
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
      baseline = await withResources(services, () =>
        runBench({
          scenario: { ...sc, faults: [] },
          mode: "baseline",
          label: floorPrefix ? "baseline (intake floor)" : "baseline",
          backendUrl,
          progress,
          signal: ac.signal,
        }));
      say(describe(baseline));
    } catch (e) {
      say(`baseline failed: ${(e as Error).message}`);
      code = 1;
    } finally {
      await bstack?.stop();
      if (floorPrefix) {
        await deletePrefix(opts.redisUrl, floorPrefix).catch((e) =>
          say(`could not delete the floor's Redis keys ${floorPrefix}*: ${(e as Error).message}`)
        );
      }
    }
  }

  if (opts.baseline !== "only" && !ac.signal.aborted) {
    let stack: {
      url: string;
      defaultUrl: string;
      fallbackUrl: string;
      stop(): Promise<void>;
      logs?(): string;
      processes?: readonly ManagedProcess[];
    } | undefined;
    let stackPrefix: string | undefined;
    try {
      let urls = { backend: opts.backend, def: opts.ppDefault, fb: opts.ppFallback };
      if (opts.stack) {
        const { startStack } = await import("../stack/stack.ts");
        stackPrefix = `bench:${crypto.randomUUID().slice(0, 8)}:`;
        const started = await startStack({
          port: 0,
          defaultPort: 0,
          fallbackPort: 0,
          defaultFee: sc.fees.default,
          fallbackFee: sc.fees.fallback,
          token: opts.token,
          redisUrl: opts.redisUrl,
          redisPrefix: stackPrefix,
          output: "quiet",
          signal: ac.signal,
        });
        stack = started;
        say(started.description);
        urls = { backend: started.url, def: started.defaultUrl, fb: started.fallbackUrl };
      }
      const services = stack?.processes
        ? await serviceProcesses(stack.processes, opts.redisUrl)
        : () => [];
      mainRun = await withResources(services, () =>
        runBench({
          scenario: sc,
          mode: "full",
          label: "backend",
          backendUrl: urls.backend,
          defaultUrl: urls.def,
          fallbackUrl: urls.fb,
          token: opts.token,
          progress,
          signal: ac.signal,
        }));
      say(describe(mainRun));
      if (mainRun.aborted) code = 1;
    } catch (e) {
      say(`run failed: ${(e as Error).message}`);
      code = 1;
    } finally {
      if (stack) {
        if (code !== 0 && stack.logs) say(stack.logs());
        await stack.stop();
        await deletePrefix(opts.redisUrl, stackPrefix!).catch((e) =>
          say(`could not delete the stack's Redis keys ${stackPrefix}*: ${(e as Error).message}`)
        );
      }
    }
  }

  if (baseline && mainRun && baseline.latency.expected.p99 > 0) {
    say(
      `p99 ours / ${baseline.label}: ${mainRun.latency.expected.p99} / ${baseline.latency.expected.p99} ms = ×${
        (mainRun.latency.expected.p99 / baseline.latency.expected.p99).toFixed(2)
      }`,
    );
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
  if (mainRun?.official) {
    console.log(
      JSON.stringify({
        total_liquido: mainRun.official.total_liquido,
        p99: mainRun.official.p99.valor,
        multa: mainRun.official.multa.porcentagem,
        lag: mainRun.official.lag.lag,
      }),
    );
  }
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  return code;
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
