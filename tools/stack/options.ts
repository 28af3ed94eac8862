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
  /** Number of API instances; 2 by default (with nginx: the number of upstreams in nginx.conf). */
  instances?: number;
  /** URL of a running default processor; when absent a simulator is started. */
  defaultUrl?: string;
  /** URL of a running fallback processor; when absent a simulator is started. */
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
}
