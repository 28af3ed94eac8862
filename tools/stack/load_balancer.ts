/**
 * The stack's load balancer on one port: the repository's nginx.conf (nginx.ts), rendered with one
 * upstream socket per instance, in front of the instances' unix sockets when nginx is installed,
 * or else the instances themselves sharing the port with SO_REUSEPORT. Decides where each instance
 * listens and when the whole, or one restarted instance, is ready.
 *
 * @module
 */

import type { StackChildren } from "./children.ts";
import { LOCALHOST, REPO_ROOT } from "./locations.ts";
import { listenAddress, renderNginxConf, startNginx } from "./nginx.ts";
import { type LoadBalancerChoice, optionError } from "./options.ts";
import { findExecutable, type OutputMode } from "./processes.ts";
import { instanceId, type WaitLimits, waitUntil } from "./readiness.ts";
import type { ComposeLimiter } from "./service_limits.ts";
import { StackError } from "./stack_error.ts";

/** The chosen load balancer and what it needs. */
export type BalancerPlan =
  | {
    kind: "nginx";
    executable: string;
    /** Contents of the repository's nginx.conf. */
    template: string;
  }
  | { kind: "reuseport" };

/** Where one instance listens. */
export interface Upstream {
  /** The instance's id (`INSTANCE_ID`, `api1`…), also its process name. */
  id: string;
  /** The unix socket nginx forwards to; absent when the instances share the port. */
  socketPath?: string;
}

/** What the load balancer needs to start once the instances are spawned. */
interface BalancerStart {
  plan: BalancerPlan;
  upstreams: readonly Upstream[];
  port: number;
  runDir: string;
  output: OutputMode;
  children: StackChildren;
  limiter: ComposeLimiter;
}

/**
 * Resolves `auto` and finds nginx and its configuration.
 *
 * @throws {RangeError} on an unknown choice (options.ts wording).
 * @throws {StackError} when `nginx` is chosen but not installed.
 */
export async function planBalancer(choice: LoadBalancerChoice): Promise<BalancerPlan> {
  if (!["auto", "nginx", "reuseport"].includes(choice)) {
    throw optionError("lb", choice, "must be auto, nginx or reuseport");
  }
  const executable = choice === "reuseport" ? undefined : findExecutable("nginx");
  if (choice === "nginx" && !executable) {
    throw optionError(
      "lb",
      choice,
      "nginx is not installed (apt-get install nginx-light)",
      StackError,
    );
  }
  if (!executable) return { kind: "reuseport" };
  const template = await Deno.readTextFile(`${REPO_ROOT}/nginx.conf`);
  return { kind: "nginx", executable, template };
}

/**
 * Each instance's id (`api1`…`apiN`, as in docker-compose.yml) and listening place: the socket
 * `<id>.sock` in `runDir` behind nginx, else the shared port.
 */
export function upstreams(plan: BalancerPlan, count: number, runDir: string): Upstream[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `api${i + 1}`;
    return plan.kind === "nginx" ? { id, socketPath: `${runDir}/${id}.sock` } : { id };
  });
}

/**
 * Resolves once the load balancer answers for every instance: with nginx, once each instance
 * answers on its socket and nginx is started (and limited); then, either way, once every
 * instance's id was seen answering `/healthcheck` through the port.
 *
 * @throws see {@linkcode waitUntil}; {@linkcode startNginx}'s errors.
 */
export async function startBalancer(start: BalancerStart, limits: WaitLimits): Promise<void> {
  const { plan, port, runDir, output } = start;
  if (plan.kind === "nginx") {
    await Promise.all(start.upstreams.map((u) => awaitInstance(plan, u, port, limits)));
    const { executable, template } = plan;
    const sockets = start.upstreams.map((u) => `${u.id}.sock`);
    const nginx = await startNginx({ executable, template, runDir, port, sockets, output });
    start.children.add(nginx, "lb");
    await awaitEveryInstance(`nginx on :${port}`, start.upstreams, port, limits);
    // Once it answers, its workers exist: the master and every worker go into the group.
    start.limiter.apply("nginx", nginx.pid);
  } else {
    const what = `${start.upstreams.length} instances sharing :${port}`;
    await awaitEveryInstance(what, start.upstreams, port, limits);
  }
}

/**
 * Resolves once the instance of `upstream` serves where the load balancer reaches it: on its
 * socket (nginx), or through the shared port (seen there by its id). Used at the start and after
 * a restart (healer.ts).
 *
 * @throws see {@linkcode waitUntil}.
 */
export async function awaitInstance(
  plan: BalancerPlan,
  upstream: Upstream,
  port: number,
  limits: WaitLimits,
): Promise<void> {
  const path = upstream.socketPath;
  if (plan.kind === "reuseport" || path === undefined) {
    await awaitEveryInstance(`${upstream.id} through :${port}`, [upstream], port, limits);
    return;
  }
  await waitUntil(`${upstream.id} on ${path}`, async () => {
    return (await instanceId({ transport: "unix", path })) !== undefined;
  }, limits);
}

/** One line saying where the load balancer listens and how requests reach the instances. */
export function describeBalancer(
  plan: BalancerPlan,
  upstreams: readonly Upstream[],
  port: number,
  runDir: string,
): string {
  const ids = upstreams.map((u) => u.id).join(", ");
  if (plan.kind === "reuseport") return `${ids} sharing 0.0.0.0:${port} (SO_REUSEPORT)`;
  const sockets = upstreams.map((u) => `${u.id}.sock`);
  const listen = listenAddress(renderNginxConf(plan.template, runDir, port, sockets));
  return `nginx on ${listen} → ${ids} over unix sockets in ${runDir}`;
}

/**
 * Polls `/healthcheck` through the port, a fresh connection each time, until every id of
 * `upstreams` answered (or, from instances that do not name themselves, 4 answers per instance).
 */
async function awaitEveryInstance(
  what: string,
  upstreams: readonly Upstream[],
  port: number,
  limits: WaitLimits,
): Promise<void> {
  const target = { transport: "tcp", hostname: LOCALHOST, port } as const;
  const wanted = new Set(upstreams.map((u) => u.id));
  let anonymous = 0;
  await waitUntil(what, async () => {
    const id = await instanceId(target);
    if (id === undefined) return false;
    if (id === "") anonymous++;
    else wanted.delete(id);
    return wanted.size === 0 || anonymous >= 4 * upstreams.length;
  }, limits);
}
