/**
 * The stack's two Payment Processors: URLs given by the caller (both or neither), or else
 * simulators (tools/simulator/) started as child processes with the final test's fees
 * (docs/CONTRACT.md §2).
 *
 * @module
 */

import { perProcessor, type ProcessorName } from "../../src/domain/processor.ts";
import { DEFAULT_TOKEN } from "../simulator/processor_state.ts";
import type { StackChildren } from "./children.ts";
import { LOCALHOST, REPO_ROOT } from "./locations.ts";
import { optionError, optionName, type StackOptions } from "./options.ts";
import { checkPort, portInUse } from "./ports.ts";
import { ManagedProcess, type OutputMode } from "./processes.ts";
import { simulatorAnswers, type WaitLimits, waitUntil } from "./readiness.ts";
import { StackError } from "./stack_error.ts";

/** As the `processor` task: a request's signal aborts only when its client leaves, not on success. */
const SIMULATOR_FLAGS = ["--allow-net", "--unstable-no-legacy-abort"];
const DEFAULTS = {
  default: { port: 8001, fee: 0.07 },
  fallback: { port: 8002, fee: 0.10 },
} as const;
/** The options naming each processor's URL, port and fee. */
const OPTIONS = {
  default: { url: "defaultUrl", port: "defaultPort", fee: "defaultFee" },
  fallback: { url: "fallbackUrl", port: "fallbackPort", fee: "fallbackFee" },
} as const;

/** One processor of the stack. */
export interface StackProcessor {
  /** Base URL without a trailing slash. */
  url: string;
  /** How it came to be, for the description: `given` or `simulator, fee 0.07`. */
  note: string;
  /** The simulator the stack starts for it; absent for a given URL. */
  simulator?: { name: string; port: number; fee: number };
}

/**
 * Each processor's given URL, or else the simulator to start on its port (0: a free one) with
 * its fee; starts nothing.
 *
 * @throws {RangeError} (options.ts wording) when only one URL is given, on a URL that is not
 *   http(s), a bad port or a fee outside [0, 1).
 * @throws {StackError} naming the simulator when its port is in use.
 */
export function planProcessors(options: StackOptions): Record<ProcessorName, StackProcessor> {
  const { defaultUrl, fallbackUrl } = options;
  if (defaultUrl === undefined !== (fallbackUrl === undefined)) {
    const [given, missing] = defaultUrl !== undefined
      ? ["defaultUrl", "fallbackUrl"] as const
      : ["fallbackUrl", "defaultUrl"] as const;
    throw optionError(
      given,
      options[given],
      `given without ${optionName(missing)}; give both (running processors) or neither ` +
        `(the stack starts two simulators)`,
    );
  }
  return perProcessor((kind) => {
    const given = options[OPTIONS[kind].url];
    if (given !== undefined) return { url: checkUrl(OPTIONS[kind].url, given), note: "given" };
    const port = checkPort(OPTIONS[kind].port, options[OPTIONS[kind].port] ?? DEFAULTS[kind].port);
    const fee = options[OPTIONS[kind].fee] ?? DEFAULTS[kind].fee;
    if (!(fee >= 0 && fee < 1)) throw optionError(OPTIONS[kind].fee, fee, "must be in [0, 1)");
    const name = `pp-${kind}`;
    const busy = portInUse(port);
    if (busy !== undefined) {
      throw new StackError(
        `${name}'s port ${port} is in use (${busy}); stop what listens there, or give ` +
          `${optionName("defaultUrl")} URL ${optionName("fallbackUrl")} URL of running processors`,
      );
    }
    const url = `http://${LOCALHOST}:${port}`;
    return { url, note: `simulator, fee ${fee}`, simulator: { name, port, fee } };
  });
}

/** Starts the simulator of every processor that has one, with the stack's admin `token`. */
export function startSimulators(
  processors: Record<ProcessorName, StackProcessor>,
  token: string | undefined,
  children: StackChildren,
  output: OutputMode,
): void {
  for (const { simulator } of Object.values(processors)) {
    if (simulator) children.add(spawnSimulator(simulator, token, output), "processor");
  }
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
  simulator: { name: string; port: number; fee: number },
  token: string | undefined,
  output: OutputMode,
): ManagedProcess {
  const args = [
    "run",
    ...SIMULATOR_FLAGS,
    `${REPO_ROOT}/tools/simulator/main.ts`,
    "--port",
    String(simulator.port),
    "--hostname",
    LOCALHOST,
    "--fee",
    String(simulator.fee),
  ];
  if (token !== undefined) args.push("--token", token);
  const name = simulator.name;
  return new ManagedProcess({ name, command: Deno.execPath(), args, cwd: REPO_ROOT, output });
}

/** `value` without trailing slashes. @throws {RangeError} unless it is an http(s) URL. */
function checkUrl(option: "defaultUrl" | "fallbackUrl", value: string): string {
  const protocol = URL.parse(value)?.protocol;
  if (protocol !== "http:" && protocol !== "https:") {
    throw optionError(option, value, "must be an http(s) URL");
  }
  return value.replace(/\/+$/, "");
}
