/**
 * The stack's API instances: `src/main.ts` as child processes configured by environment variables,
 * as docker-compose.yml configures them, each listening where the load balancer expects it.
 *
 * @module
 */

import type { ProcessorName } from "../../src/domain/processor.ts";
import type { StackChildren } from "./children.ts";
import type { Upstream } from "./load_balancer.ts";
import { REPO_ROOT } from "./locations.ts";
import { fileAccessFlags, ManagedProcess, type OutputMode } from "./processes.ts";
import { optionError } from "./options.ts";
import type { ComposeLimiter } from "./service_limits.ts";

/**
 * The V8 flags of an instance, as in the Dockerfile and the `start` task: they bound the heap
 * (without them an instance reached 152 MB RSS under the final test's peak load, with them 81 MB,
 * docs/BENCHMARKS.md). The bench's baseline servers run with them too, so memory compares.
 */
export const INSTANCE_V8_FLAGS = "--v8-flags=--max-semi-space-size=2,--max-old-space-size=64";
/** Flags of an instance; the filesystem is limited to the run directory (the sockets). */
const INSTANCE_FLAGS = ["--allow-net", "--allow-env", "--allow-sys=hostname", INSTANCE_V8_FLAGS];

/** Most instances a stack runs (each a Deno process with its own heap and Redis connections). */
const MAX_INSTANCES = 16;

/**
 * The number of instances asked for, 2 (as docker-compose.yml) when none was.
 *
 * @throws {RangeError} (options.ts wording) unless it is an integer in [1, 16].
 */
export function instanceCount(asked: number | undefined): number {
  const instances = asked ?? 2;
  if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES) {
    throw optionError("instances", instances, `must be an integer in [1, ${MAX_INSTANCES}]`);
  }
  return instances;
}

/** What every instance of one stack shares. */
export interface InstanceSetup {
  /** The stack's run directory (the instances' only file access, with `redisSocket`). */
  runDir: string;
  /** The load balancer's port: the instances share it when they have no socket. */
  port: number;
  redisUrl: string;
  redisPrefix: string;
  /** The unix socket Redis listens on, when it does (the instances need access to it). */
  redisSocket?: string;
  /** Base URL of each processor. */
  processorUrls: Record<ProcessorName, string>;
  /** Extra environment variables (src/config.ts), overridden by the ones above. */
  extraEnv?: Record<string, string>;
  output: OutputMode;
}

/** Starts one instance per upstream ({@linkcode startInstance}). */
export function startInstances(
  upstreams: readonly Upstream[],
  setup: InstanceSetup,
  children: StackChildren,
  limiter: ComposeLimiter,
): void {
  for (const upstream of upstreams) children.add(startInstance(upstream, setup, limiter), "api");
}

/**
 * Starts the instance of `upstream` (at the start, or again after it exited) and puts it under its
 * compose limits (when asked) right after its start, before it charges memory elsewhere
 * (cgroups.ts).
 */
export function startInstance(
  upstream: Upstream,
  setup: InstanceSetup,
  limiter: ComposeLimiter,
): ManagedProcess {
  const instance = spawnInstance(upstream, setup);
  limiter.apply(upstream.id, instance.pid);
  return instance;
}

function spawnInstance(upstream: Upstream, setup: InstanceSetup): ManagedProcess {
  const { socketPath } = upstream;
  const listenEnv: Record<string, string> = socketPath !== undefined
    ? { SOCKET_PATH: socketPath, PORT: "", REUSE_PORT: "" }
    : { SOCKET_PATH: "", PORT: String(setup.port), REUSE_PORT: "true", HOSTNAME_BIND: "0.0.0.0" };
  return new ManagedProcess({
    name: upstream.id,
    command: Deno.execPath(),
    args: [
      "run",
      ...INSTANCE_FLAGS,
      // Deno 2.9: `Deno.serve({ reusePort: true })` is still behind this flag.
      ...(socketPath !== undefined ? [] : ["--unstable-net"]),
      // An instance reaching Redis over a unix socket needs read/write permission on its path.
      ...fileAccessFlags([setup.runDir, ...(setup.redisSocket ? [setup.redisSocket] : [])]),
      `${REPO_ROOT}/src/main.ts`,
    ],
    cwd: REPO_ROOT,
    env: {
      ...setup.extraEnv,
      ...listenEnv,
      INSTANCE_ID: upstream.id,
      REDIS_URL: setup.redisUrl,
      REDIS_PREFIX: setup.redisPrefix,
      PROCESSOR_DEFAULT_URL: setup.processorUrls.default,
      PROCESSOR_FALLBACK_URL: setup.processorUrls.fallback,
    },
    output: setup.output,
  });
}
