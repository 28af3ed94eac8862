/**
 * What a caller of `startStack` (stack.ts) may choose: every field has a default fit
 * for a developer machine.
 *
 * @module
 */

import type { OutputMode } from "./processes.ts";

/** How the stack spreads requests over the instances. `auto`: nginx when installed. */
export type LoadBalancerChoice = "auto" | "nginx" | "reuseport";

/** Options of `startStack` (stack.ts). */
export interface StackOptions {
  /** Load balancer; `auto` (default) uses nginx when it is installed, else SO_REUSEPORT. */
  lb?: LoadBalancerChoice;
  /** Port of the load balancer; 9999 by default (docs/CONTRACT.md §1); 0 picks a free port. */
  port?: number;
  /**
   * Number of API instances, in [1, 16]; 2 by default (as docker-compose.yml). With nginx the
   * stack's copy of nginx.conf balances that many upstream sockets (nginx.ts).
   */
  instances?: number;
  /** URL of a running default processor; with `fallbackUrl` or not at all (then simulators run). */
  defaultUrl?: string;
  /** URL of a running fallback processor; with `defaultUrl` or not at all (then simulators run). */
  fallbackUrl?: string;
  /** Port of the default simulator; 8001 by default; 0 picks a free port. */
  defaultPort?: number;
  /** Port of the fallback simulator; 8002 by default; 0 picks a free port. */
  fallbackPort?: number;
  /** Fee of the default simulator, a fraction; 0.07 by default (docs/CONTRACT.md §2, final test). */
  defaultFee?: number;
  /** Fee of the fallback simulator, a fraction; 0.10 by default (docs/CONTRACT.md §2, final test). */
  fallbackFee?: number;
  /** Admin token of the simulators (`X-Rinha-Token`); the simulator's default (123) when absent. */
  token?: string;
  /** Redis the instances use; `redis://127.0.0.1:6379` by default. */
  redisUrl?: string;
  /** Prefix of the instances' Redis keys; `rinha:` by default. Tests use `test:<uuid>:`. */
  redisPrefix?: string;
  /** Extra environment variables for every instance (e.g. `WORKERS`), see src/config.ts. */
  instanceEnv?: Record<string, string>;
  /** Child output: `prefix` (default) prints `[name] line` on stderr; `quiet` only keeps tails. */
  output?: OutputMode;
  /** How long the whole start may take before it fails, in ms; 60 s by default. */
  readyTimeoutMs?: number;
  /** Aborts the start: what was started is stopped and the promise rejects with the reason. */
  signal?: AbortSignal;
  /**
   * Run nginx and the instances under docker-compose.yml's CPU/memory limits, in cgroups
   * (cgroups.ts). Where the machine does not allow it, the stack runs without and says so in its
   * description. Off by default.
   */
  limits?: boolean;
  /**
   * Fail fast: any child's exit after the start settles `Stack.failed` (and
   * `deno task stack` stops everything). Off by default: an instance that exits is restarted with
   * a back-off (healer.ts), as compose's restart policy does; nginx's or a simulator's exit still
   * settles `Stack.failed`.
   */
  failFast?: boolean;
  /**
   * Told each line the running stack has to say of itself (e.g. `api1 exited with code 137
   * (SIGKILL) after 12.3 s; restarting it in 0.1 s`, `api1 is back (pid 4242)`), but not what
   * `Stack.failed` resolves with; `Stack.logs()` keeps the last 50 either way.
   */
  onNote?: (line: string) => void;
}

/** The command-line flag of each option that has one (main.ts). */
const FLAGS: Partial<Record<keyof StackOptions, string>> = {
  lb: "--lb",
  port: "--port",
  instances: "--instances",
  defaultUrl: "--pp-default",
  fallbackUrl: "--pp-fallback",
  redisUrl: "--redis-url",
  redisPrefix: "--prefix",
};

/** An option as its user wrote it: its flag (`--port`), or its field when it has no flag. */
export function optionName(option: keyof StackOptions): string {
  return FLAGS[option] ?? option;
}

/**
 * The one wording of every error about an option: `<option> <value>: <problem>`, e.g.
 * `--instances 0: must be an integer in [1, 16]` (a `RangeError`), or, with `type` StackError,
 * `--port 9999: in use (…); choose another --port` (the value is fine, the machine is not).
 */
export function optionError(
  option: keyof StackOptions,
  value: unknown,
  problem: string,
  type: new (message: string) => Error = RangeError,
): Error {
  return new type(`${optionName(option)} ${String(value)}: ${problem}`);
}
