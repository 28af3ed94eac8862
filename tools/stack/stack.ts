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
import { Healer } from "./healer.ts";
import { instanceCount, type InstanceSetup, startInstance, startInstances } from "./instances.ts";
import {
  awaitInstance,
  type BalancerPlan,
  describeBalancer,
  planBalancer,
  startBalancer,
  type Upstream,
  upstreams,
} from "./load_balancer.ts";
import { LOCALHOST } from "./locations.ts";
import { optionError, type StackOptions } from "./options.ts";
import { checkPort, portInUse } from "./ports.ts";
import type { ManagedProcess, OutputMode } from "./processes.ts";
import type { WaitLimits } from "./readiness.ts";
import { checkRedis } from "./redis_check.ts";
import { ComposeLimiter } from "./service_limits.ts";
import {
  planProcessors,
  type StackProcessor,
  startSimulators,
  waitForSimulators,
} from "./simulators.ts";
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
  /** Every process this stack runs (a restarted instance takes its predecessor's place). */
  processes: readonly ManagedProcess[];
  /**
   * Resolves with why the stack no longer runs whole: nginx or a simulator exited on its own, or,
   * with `failFast`, any child did (an instance is otherwise restarted, healer.ts). Never rejects.
   */
  failed: Promise<string>;
  /** One line saying what runs where. */
  description: string;
  /** The last lines of every process's output and the stack's own notes (exits, restarts). */
  logs(): string;
  /**
   * Restarts nothing more, stops exactly the processes this stack started (load balancer, then
   * instances, then simulators) and removes the run directory. Safe to call more than once.
   */
  stop(): Promise<void>;
}

/** The options checked and their defaults applied, before anything starts. */
interface StackPlan {
  balancer: BalancerPlan;
  instances: number;
  port: number;
  processors: Record<ProcessorName, StackProcessor>;
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

/** What the start produced besides the processes: what a restart of an instance needs. */
interface StartedServices {
  upstreams: readonly Upstream[];
  setup: InstanceSetup;
}

/**
 * Starts the stack and resolves once the load balancer answers `GET /healthcheck` with 200 and
 * every instance was seen through it; from then on an instance that exits is restarted (healer.ts)
 * unless `failFast`.
 *
 * @throws {RangeError} on invalid options (options.ts wording).
 * @throws {StackError} when a port is in use, Redis does not answer, nginx is required but missing,
 *   or a process exits or stays unhealthy past the deadline; every process started so far is
 *   stopped first.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  options.signal?.throwIfAborted();
  const output = options.output ?? "prefix";
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const plan = await planStack(options);
  const runDir = await makeRunDir();
  const limiter = await ComposeLimiter.open(options.limits ?? false, runDir);
  const children = new StackChildren();
  let healer: Healer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    healer?.stop();
    return stopping ??= stopStack(children, limiter, runDir);
  };
  const limits = { deadline, watched: children.all, signal: options.signal };
  const run: StackRun = { options, plan, output, runDir, children, limiter, limits };
  try {
    const started = await startServices(run);
    healer = startHealer(run, started);
    return {
      url: `http://${LOCALHOST}:${plan.port}`,
      defaultUrl: plan.processors.default.url,
      fallbackUrl: plan.processors.fallback.url,
      lb: plan.balancer.kind,
      runDir,
      processes: children.all,
      failed: healer.failed,
      description: describeStack(run, started),
      logs: () => [children.logs(), healer?.notes()].filter(Boolean).join("\n--- stack ---\n"),
      stop,
    };
  } catch (error) {
    throw await stopAfterFailure(error, children, stop);
  }
}

/**
 * Checks the options in the order a user fixes them (load balancer, instances, port, processors,
 * Redis) and applies the defaults; starts nothing.
 */
async function planStack(options: StackOptions): Promise<StackPlan> {
  const redisUrl = options.redisUrl ?? "redis://127.0.0.1:6379";
  const redisPrefix = options.redisPrefix ?? "rinha:";
  const balancer = await planBalancer(options.lb ?? "auto");
  const instances = instanceCount(options.instances);
  const port = checkPort("port", options.port ?? 9999);
  const busy = portInUse(port);
  if (busy !== undefined) {
    throw optionError("port", port, `in use (${busy}); choose another --port`, StackError);
  }
  const processors = planProcessors(options);
  for (const { simulator } of Object.values(processors)) {
    if (simulator?.port === port) {
      throw optionError("port", port, `also ${simulator.name}'s port; choose another --port`);
    }
  }
  const redisEndpoint = await checkRedis(redisUrl);
  return { balancer, instances, port, processors, redisUrl, redisPrefix, redisEndpoint };
}

/** A fresh temporary directory for the sockets and the generated nginx.conf. */
async function makeRunDir(): Promise<string> {
  const runDir = await Deno.makeTempDir({ prefix: "rinha-stack-" });
  // nginx's workers may run as another user when the stack runs as root: let them in.
  await Deno.chmod(runDir, 0o755);
  return runDir;
}

/**
 * The simulators and the instances (spawned and limited), then the waits: the simulators answer,
 * then the load balancer answers for every instance.
 */
async function startServices(run: StackRun): Promise<StartedServices> {
  const { options, plan, output, runDir, children, limiter, limits } = run;
  const { processors } = plan;
  startSimulators(processors, options.token, children, output);
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
  return { upstreams: places, setup };
}

/** Watches the started children: an instance that exits is started again in its place. */
function startHealer(run: StackRun, started: StartedServices): Healer {
  const { plan, children, limiter } = run;
  const placeOf = (process: ManagedProcess) =>
    started.upstreams.find((u) => u.id === process.name)!;
  return new Healer({
    children,
    respawn: (dead) => startInstance(placeOf(dead), started.setup, limiter),
    ready: (fresh, limits) => awaitInstance(plan.balancer, placeOf(fresh), plan.port, limits),
    failFast: run.options.failFast ?? false,
    onNote: run.options.onNote,
  });
}

/** One line saying what runs where (the stack's `description`). */
function describeStack(run: StackRun, started: StartedServices): string {
  const { plan, runDir, limiter } = run;
  const { processors } = plan;
  const balancer = describeBalancer(plan.balancer, started.upstreams, plan.port, runDir);
  return `stack ready at http://${LOCALHOST}:${plan.port} (${balancer}); ` +
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
