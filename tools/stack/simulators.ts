/**
 * The stack's two Payment Processors: a URL given by the caller, or else a simulator
 * (tools/simulator/) started as a child process with the final test's fee (docs/CONTRACT.md §2).
 *
 * @module
 */

import { perProcessor, type ProcessorName } from "../../src/domain/processor.ts";
import { DEFAULT_TOKEN } from "../simulator/processor_state.ts";
import type { StackChildren } from "./children.ts";
import { LOCALHOST, REPO_ROOT } from "./locations.ts";
import type { StackOptions } from "./options.ts";
import { checkPort } from "./ports.ts";
import { ManagedProcess, type OutputMode } from "./processes.ts";
import { simulatorAnswers, type WaitLimits, waitUntil } from "./readiness.ts";

/** As the `processor` task: a request's signal aborts only when its client leaves, not on success. */
const SIMULATOR_FLAGS = ["--allow-net", "--unstable-no-legacy-abort"];
const DEFAULTS = {
  default: { port: 8001, fee: 0.07 },
  fallback: { port: 8002, fee: 0.10 },
} as const;

/** One processor of the stack. */
interface StackProcessor {
  /** Base URL without a trailing slash. */
  url: string;
  /** How it came to be, for the description: `given` or `simulator, fee 0.07`. */
  note: string;
  /** The simulator the stack started for it, with its port; absent for a given URL. */
  simulator?: { name: string; port: number };
}

/**
 * Each processor's given URL, or else a simulator started on its port (0: a free one) with its
 * fee and the stack's token. Processors are handled default first; a bad option of the fallback
 * throws after the default simulator has started (the caller stops what `children` holds).
 *
 * @throws {TypeError} on a given URL that is not http(s).
 * @throws {RangeError} on a bad port or a fee outside [0, 1).
 */
export function startProcessors(
  options: StackOptions,
  children: StackChildren,
  output: OutputMode,
): Record<ProcessorName, StackProcessor> {
  return perProcessor((kind) => {
    const given = kind === "default" ? options.defaultUrl : options.fallbackUrl;
    if (given) return { url: checkUrl(`${kind}Url`, given), note: "given" };
    const port = checkPort(
      `${kind}Port`,
      (kind === "default" ? options.defaultPort : options.fallbackPort) ?? DEFAULTS[kind].port,
    );
    const fee = (kind === "default" ? options.defaultFee : options.fallbackFee) ??
      DEFAULTS[kind].fee;
    if (!(fee >= 0 && fee < 1)) throw new RangeError(`${kind}Fee must be in [0, 1), got ${fee}`);
    const name = `pp-${kind}`;
    children.add(spawnSimulator(name, port, fee, options.token, output), "processor");
    return {
      url: `http://${LOCALHOST}:${port}`,
      note: `simulator, fee ${fee}`,
      simulator: { name, port },
    };
  });
}

/**
 * Resolves once every simulator among `processors` answers its admin summary.
 *
 * @throws see {@linkcode waitUntil}.
 */
export async function waitForSimulators(
  processors: Record<ProcessorName, StackProcessor>,
  token: string | undefined,
  limits: WaitLimits,
): Promise<void> {
  const simulators = Object.values(processors).flatMap((p) => p.simulator ? [p.simulator] : []);
  await Promise.all(simulators.map((sim) =>
    waitUntil(
      `${sim.name} on :${sim.port}`,
      () => simulatorAnswers(sim.port, token ?? DEFAULT_TOKEN),
      limits,
    )
  ));
}

function spawnSimulator(
  name: string,
  port: number,
  fee: number,
  token: string | undefined,
  output: OutputMode,
): ManagedProcess {
  const args = [
    "run",
    ...SIMULATOR_FLAGS,
    `${REPO_ROOT}/tools/simulator/main.ts`,
    "--port",
    String(port),
    "--hostname",
    LOCALHOST,
    "--fee",
    String(fee),
  ];
  if (token !== undefined) args.push("--token", token);
  return new ManagedProcess({ name, command: Deno.execPath(), args, cwd: REPO_ROOT, output });
}

function checkUrl(name: string, value: string): string {
  const url = new URL(value);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`${name} must be an http(s) URL, got ${value}`);
  }
  return value.replace(/\/+$/, "");
}
