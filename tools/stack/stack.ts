/**
 * The local stack without Docker: two Payment Processor simulators (unless real processor URLs
 * are given, simulators.ts), N API instances (`src/main.ts` as child processes configured by
 * environment variables, as in docker-compose.yml, instances.ts) and a load balancer on one port:
 * the repository's nginx.conf when nginx is installed, or else the instances themselves sharing
 * the port with SO_REUSEPORT (load_balancer.ts). Redis is not started: it must already answer at
 * `redisUrl` (redis_check.ts).
 *
 * Used by `deno task stack` (tools/stack/main.ts), the end-to-end tests and the benchmark runner.
 *
 * @module
 */

import type { ProcessorName } from "../../src/domain/processor.ts";
import type { RedisEndpoint } from "../../src/store/redis/url.ts";
import { StackChildren } from "./children.ts";
import { startInstances } from "./instances.ts";
import {
  type BalancerPlan,
  describeBalancer,
  instanceCount,
  planBalancer,
  startBalancer,
  type Upstream,
  upstreams,
} from "./load_balancer.ts";
import { LOCALHOST } from "./locations.ts";
import type { StackOptions } from "./options.ts";
import { checkPort, ensurePortFree } from "./ports.ts";
import type { ManagedProcess, OutputMode } from "./processes.ts";
import type { WaitLimits } from "./readiness.ts";
import { checkRedis } from "./redis_check.ts";
import { ComposeLimiter } from "./service_limits.ts";
import { startProcessors, waitForSimulators } from "./simulators.ts";
import { StackError } from "./stack_error.ts";

/** A running stack. */
export interface Stack {
  /** Base URL of the load balancer, e.g. `http://127.0.0.1:9999`. */
  url: string;
  /** Base URL of the default processor (simulator or given). */
  defaultUrl: string;
  /** Base URL of the fallback processor (simulator or given). */
  fallbackUrl: string;
  /** The load balancer in use. */
  lb: "nginx" | "reuseport";
  /** The temporary directory holding sockets and the generated nginx.conf; removed by stop. */
  runDir: string;
  /** Every process this stack started. */
  processes: readonly ManagedProcess[];
  /** One line saying what runs where. */
  description: string;
  /** The last lines of every process's output, for diagnostics. */
  logs(): string;
  /**
   * Stops exactly the processes this stack started (load balancer, then instances, then
   * simulators) and removes the run directory. Safe to call more than once.
   */
  stop(): Promise<void>;
}

/** The options checked and their defaults applied, before anything starts. */
interface StackPlan {
  balancer: BalancerPlan;
  instances: number;
  port: number;
  redisUrl: string;
  redisPrefix: string;
  redisEndpoint: RedisEndpoint["connect"];
}

/** One start in progress: what every phase of it uses. */
interface StackRun {
  options: StackOptions;
  plan: StackPlan;
  output: OutputMode;
  runDir: string;
  children: StackChildren;
  limiter: ComposeLimiter;
  /** The start's deadline and abort signal; the children are watched. */
  limits: WaitLimits;
}

/** What the start produced besides the processes. */
interface StartedServices {
  processors: Record<ProcessorName, { url: string; note: string }>;
  upstreams: readonly Upstream[];
}

/**
 * Starts the stack and resolves once the load balancer answers `GET /healthcheck` with 200 and
 * every instance was seen healthy.
 *
 * @throws {RangeError|TypeError} on invalid options.
 * @throws {StackError} when Redis does not answer, nginx is required but missing, nginx.conf and
 *   the instance count disagree, or a process exits or stays unhealthy past the deadline; every
 *   process started so far is stopped first.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  options.signal?.throwIfAborted();
  const output = options.output ?? "prefix";
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const plan = await planStack(options);
  const runDir = await makeRunDir();
  const limiter = await ComposeLimiter.open(options.limits ?? false, runDir);
  const children = new StackChildren();
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= stopStack(children, limiter, runDir);
  const limits = { deadline, watched: children.all, signal: options.signal };
  const run: StackRun = { options, plan, output, runDir, children, limiter, limits };
  try {
    const started = await startServices(run);
    return {
      url: `http://${LOCALHOST}:${plan.port}`,
      defaultUrl: started.processors.default.url,
      fallbackUrl: started.processors.fallback.url,
      lb: plan.balancer.kind,
      runDir,
      processes: children.all,
      description: describeStack(run, started),
      logs: () => children.logs(),
      stop,
    };
  } catch (error) {
    throw await stopAfterFailure(error, children, stop);
  }
}

/**
 * Checks the options in the order a user fixes them (load balancer, instances, port, Redis) and
 * applies the defaults; starts nothing.
 */
async function planStack(options: StackOptions): Promise<StackPlan> {
  const redisUrl = options.redisUrl ?? "redis://127.0.0.1:6379";
  const redisPrefix = options.redisPrefix ?? "rinha:";
  const balancer = await planBalancer(options.lb ?? "auto");
  const instances = instanceCount(balancer, options.instances);
  const port = checkPort("port", options.port ?? 9999);
  ensurePortFree(port);
  const redisEndpoint = await checkRedis(redisUrl);
  return { balancer, instances, port, redisUrl, redisPrefix, redisEndpoint };
}

/** A fresh temporary directory for the sockets and the generated nginx.conf. */
async function makeRunDir(): Promise<string> {
  const runDir = await Deno.makeTempDir({ prefix: "rinha-stack-" });
  // nginx's workers may run as another user when the stack runs as root: let them in.
  await Deno.chmod(runDir, 0o755);
  return runDir;
}

/**
 * The processors (simulators spawned), the instances (spawned and limited), then the waits: the
 * simulators answer, then the load balancer answers for every instance.
 */
async function startServices(run: StackRun): Promise<StartedServices> {
  const { options, plan, output, runDir, children, limiter, limits } = run;
  const processors = startProcessors(options, children, output);
  const places = upstreams(plan.balancer, plan.instances, runDir);
  const endpoint = plan.redisEndpoint;
  const setup = {
    runDir,
    port: plan.port,
    redisUrl: plan.redisUrl,
    redisPrefix: plan.redisPrefix,
    redisSocket: endpoint.transport === "unix" ? endpoint.path : undefined,
    processorUrls: { default: processors.default.url, fallback: processors.fallback.url },
    extraEnv: options.instanceEnv,
    output,
  };
  startInstances(places, setup, children, limiter);
  await waitForSimulators(processors, options.token, limits);
  const start = { plan: plan.balancer, upstreams: places, port: plan.port, runDir, output };
  await startBalancer({ ...start, children, limiter }, limits);
  return { processors, upstreams: places };
}

/** One line saying what runs where (the stack's `description`). */
function describeStack(run: StackRun, started: StartedServices): string {
  const { plan, runDir, limiter } = run;
  const { processors } = started;
  return `stack ready at http://${LOCALHOST}:${plan.port} ` +
    `(${describeBalancer(plan.balancer, started.upstreams, runDir)}); ` +
    `default ${processors.default.url} (${processors.default.note}), ` +
    `fallback ${processors.fallback.url} (${processors.fallback.note}); ` +
    `redis ${plan.redisUrl} prefix ${plan.redisPrefix}${limiter.describe()}`;
}

/** Stops the children (children.ts says in which order), then removes the groups and `runDir`. */
async function stopStack(
  children: StackChildren,
  limiter: ComposeLimiter,
  runDir: string,
): Promise<void> {
  await children.stop();
  limiter.remove();
  await Deno.remove(runDir, { recursive: true }).catch(() => {});
}

/**
 * Stops what was started and returns `error` to rethrow; a {@linkcode StackError} gets every
 * process's last lines appended (unless it already carries the dead process's own).
 */
async function stopAfterFailure(
  error: unknown,
  children: StackChildren,
  stop: () => Promise<void>,
): Promise<unknown> {
  const tails = children.logs();
  await stop();
  if (error instanceof StackError && tails && !error.message.includes("exited while")) {
    error.message += `\n${tails}`;
  }
  return error;
}
