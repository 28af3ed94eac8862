/**
 * The command line of `deno task bench` (main.ts): its usage text and its parsing into a ready
 * scenario (docs/CONTRACT.md §3).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { randomFaultSchedule } from "./random_faults.ts";
import { scaleScenario, type Scenario, scenarioByName } from "./scenario.ts";

/** The usage text printed by `--help` and after a bad option. */
export const USAGE = `usage: deno task bench [options]
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
  --stack                      start the local stack (tools/stack) on free ports and stop it after
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
