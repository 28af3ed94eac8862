/**
 * The stack's load balancer on one port: the repository's nginx.conf (nginx.ts) in front of the
 * instances' unix sockets when nginx is installed, or else the instances themselves sharing the
 * port with SO_REUSEPORT. Decides where each instance listens and when the whole is ready.
 *
 * @module
 */

import type { StackChildren } from "./children.ts";
import { LOCALHOST, REPO_ROOT } from "./locations.ts";
import { startNginx, upstreamSockets } from "./nginx.ts";
import type { LoadBalancerChoice } from "./options.ts";
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
    /** File names of its upstream sockets, in order (`api1.sock`, `api2.sock`). */
    socketNames: string[];
  }
  | { kind: "reuseport" };

type NginxPlan = Extract<BalancerPlan, { kind: "nginx" }>;

/** Where one instance listens. */
export interface Upstream {
  /** The instance's id (`INSTANCE_ID`), also its process name. */
  id: string;
  /** The unix socket nginx forwards to; absent when the instances share the port. */
  socketPath?: string;
}

/**
 * Resolves `auto` and finds nginx and its configuration.
 *
 * @throws {RangeError} on an unknown choice.
 * @throws {StackError} when `nginx` is chosen but not installed.
 */
export async function planBalancer(choice: LoadBalancerChoice): Promise<BalancerPlan> {
  if (!["auto", "nginx", "reuseport"].includes(choice)) {
    throw new RangeError(`lb must be auto, nginx or reuseport, got ${choice}`);
  }
  const executable = choice === "reuseport" ? undefined : findExecutable("nginx");
  if (choice === "nginx" && !executable) {
    throw new StackError("--lb nginx: nginx is not installed (apt-get install nginx-light)");
  }
  if (!executable) return { kind: "reuseport" };
  const template = await Deno.readTextFile(`${REPO_ROOT}/nginx.conf`);
  const socketNames = upstreamSockets(template).map((p) => p.slice(p.lastIndexOf("/") + 1));
  return { kind: "nginx", executable, template, socketNames };
}

/**
 * Checks the instance count (default: nginx.conf's upstream count, else 2) against the plan.
 *
 * @throws {RangeError} unless it is an integer in [1, 16].
 * @throws {StackError} when nginx.conf balances another number of upstreams.
 */
export function instanceCount(plan: BalancerPlan, asked: number | undefined): number {
  const sockets = plan.kind === "nginx" ? plan.socketNames.length : undefined;
  const instances = asked ?? sockets ?? 2;
  if (!Number.isInteger(instances) || instances < 1 || instances > 16) {
    throw new RangeError(`instances must be an integer in [1, 16], got ${instances}`);
  }
  if (sockets !== undefined && instances !== sockets) {
    throw new StackError(
      `nginx.conf balances ${sockets} upstream sockets, not ${instances} instances; ` +
        `use --lb reuseport for another count`,
    );
  }
  return instances;
}

/** Each instance's id and listening place: nginx.conf's socket names in `runDir`, or `apiN`. */
export function upstreams(plan: BalancerPlan, count: number, runDir: string): Upstream[] {
  return Array.from(
    { length: count },
    (_, i) =>
      plan.kind === "nginx"
        ? {
          id: plan.socketNames[i].replace(/\.sock$/, ""),
          socketPath: `${runDir}/${plan.socketNames[i]}`,
        }
        : { id: `api${i + 1}` },
  );
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
 * Resolves once the load balancer answers for every instance: with nginx, once each instance
 * answers on its socket, nginx is started (and limited) and answers as many times in a row as
 * there are instances (round robin); without, once every instance was seen through the port.
 *
 * @throws see {@linkcode waitUntil}; {@linkcode startNginx}'s errors.
 */
export async function startBalancer(start: BalancerStart, limits: WaitLimits): Promise<void> {
  if (start.plan.kind === "nginx") await startNginxInFront(start, start.plan, limits);
  else await awaitSharedPort(start.upstreams.length, start.port, limits);
}

/** One line saying how requests reach the instances. */
export function describeBalancer(
  plan: BalancerPlan,
  upstreams: readonly Upstream[],
  runDir: string,
): string {
  const ids = upstreams.map((u) => u.id).join(", ");
  return plan.kind === "nginx"
    ? `nginx → ${ids} over unix sockets in ${runDir}`
    : `${ids} sharing the port (SO_REUSEPORT)`;
}

async function startNginxInFront(
  start: BalancerStart,
  plan: NginxPlan,
  limits: WaitLimits,
): Promise<void> {
  await Promise.all(
    start.upstreams.map(({ id, socketPath }) =>
      waitUntil(`${id} on ${socketPath}`, async () => {
        const path = socketPath!;
        if ((await instanceId({ transport: "unix", path })) === undefined) return false;
        // nginx's workers may be another user: the socket must be writable for them.
        await Deno.chmod(path, 0o666);
        return true;
      }, limits)
    ),
  );
  const { port, runDir, output } = start;
  const { executable, template } = plan;
  const nginx = start.children.add(
    await startNginx({ executable, template, runDir, port, output }),
    "lb",
  );
  // Round robin: as many consecutive 200s as instances means every upstream answered.
  const target = { transport: "tcp", hostname: LOCALHOST, port } as const;
  let streak = 0;
  await waitUntil(`nginx on :${port}`, async () => {
    streak = (await instanceId(target)) === undefined ? 0 : streak + 1;
    return streak >= start.upstreams.length;
  }, limits);
  // Once it answers, its workers exist: the master and every worker go into the group.
  start.limiter.apply("nginx", nginx.pid);
}

async function awaitSharedPort(instances: number, port: number, limits: WaitLimits): Promise<void> {
  const target = { transport: "tcp", hostname: LOCALHOST, port } as const;
  const seen = new Set<string>();
  let anonymous = 0;
  await waitUntil(`${instances} instances sharing :${port}`, async () => {
    const id = await instanceId(target);
    if (id === undefined) return false;
    if (id === "") anonymous++;
    else seen.add(id);
    return seen.size >= instances || anonymous >= 4 * instances;
  }, limits);
}
