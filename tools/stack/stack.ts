/**
 * The local stack without Docker: two Payment Processor simulators (unless real processor URLs
 * are given), N API instances (`src/main.ts` as child processes configured by environment
 * variables, as in docker-compose.yml) and a load balancer on one port: the repository's
 * nginx.conf when nginx is installed, or else the instances themselves sharing the port with
 * SO_REUSEPORT. Redis is not started: it must already answer at `redisUrl`.
 *
 * Used by `deno task stack` (src/stack/main.ts), the end-to-end tests and the benchmark runner.
 *
 * @module
 */

import { Cgroups, processTree } from "./cgroups.ts";
import { readComposeLimits, type ServiceLimits } from "./compose_limits.ts";
import { startNginx, upstreamSockets } from "./nginx.ts";
import {
  fileAccessFlags,
  findExecutable,
  freePort,
  ManagedProcess,
  type OutputMode,
} from "./processes.ts";
import { httpGet, type ProbeTarget } from "./probe.ts";
import { parseRedisUrl, type RedisEndpoint } from "../../src/store/redis/url.ts";

/** How the stack spreads requests over the instances. `auto`: nginx when installed. */
export type LoadBalancerChoice = "auto" | "nginx" | "reuseport";

/** Options of {@linkcode startStack}; every field has a default fit for a developer machine. */
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

const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
const LOCALHOST = "127.0.0.1";
/**
 * The V8 flags of an instance, as in the Dockerfile and the `start` task: they bound the heap
 * (without them an instance reached 152 MB RSS under the final test's peak load, with them 81 MB,
 * docs/BENCHMARKS.md). The bench's baseline servers run with them too, so memory compares.
 */
export const INSTANCE_V8_FLAGS = "--v8-flags=--max-semi-space-size=2,--max-old-space-size=64";
/** Flags of an instance; the filesystem is limited to the run directory (the sockets). */
const INSTANCE_FLAGS = ["--allow-net", "--allow-env", "--allow-sys=hostname", INSTANCE_V8_FLAGS];
/** As the `processor` task: a request's signal aborts only when its client leaves, not on success. */
const SIMULATOR_FLAGS = ["--allow-net", "--unstable-no-legacy-abort"];
const PROBE_TIMEOUT_MS = 1_000;
const POLL_MS = 100;

/** What a child process is to the stack; decides the order of stopping. */
type Role = "lb" | "api" | "processor";

/** Raised when the stack could not start; the message carries the failing process's output. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackError";
  }
}

/** Ports this process picked for port-0 options, so two picks never collide. */
const picked = new Set<number>();

function checkPort(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(`${name} must be a port in [0, 65535], got ${value}`);
  }
  if (value !== 0) return value;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = freePort();
    if (!picked.has(port)) {
      picked.add(port);
      if (picked.size > 1000) picked.delete(picked.values().next().value!);
      return port;
    }
  }
  throw new StackError(`no free port for ${name}`);
}

function checkUrl(name: string, value: string): string {
  const url = new URL(value);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`${name} must be an http(s) URL, got ${value}`);
  }
  return value.replace(/\/+$/, "");
}

/** Fails unless nothing listens on `port`: SO_REUSEPORT would silently share it otherwise. */
function ensurePortFree(port: number): void {
  try {
    Deno.listen({ hostname: "0.0.0.0", port }).close();
  } catch (error) {
    throw new StackError(`port ${port} is not free (${(error as Error).message}); choose --port`);
  }
}

/**
 * Fails fast, with a clear message, when the Redis URL is malformed or nothing listens there.
 *
 * @returns where the URL points.
 */
async function checkRedis(redisUrl: string): Promise<RedisEndpoint["connect"]> {
  let endpoint;
  try {
    endpoint = parseRedisUrl(redisUrl).connect;
  } catch (error) {
    throw new StackError(`--redis-url: ${(error as Error).message}`);
  }
  if (endpoint.transport === "unix" && endpoint.path.includes(",")) {
    throw new StackError(`--redis-url: a comma in the socket path cannot be granted to Deno`);
  }
  try {
    const signal = AbortSignal.timeout(2_000);
    const conn = await Deno.connect({ ...endpoint, signal } as Deno.ConnectOptions);
    conn.close();
    return endpoint;
  } catch (error) {
    throw new StackError(
      `Redis does not answer at ${redisUrl} (${(error as Error).message}); start it first, e.g. ` +
        `redis-server --daemonize yes --save "" --appendonly no`,
    );
  }
}

/**
 * Polls `check` every 100 ms until it returns true, failing when `deadline` (epoch ms) passes,
 * one of `watched` exits or `signal` aborts.
 */
async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  deadline: number,
  watched: readonly ManagedProcess[],
  signal?: AbortSignal,
): Promise<void> {
  while (true) {
    signal?.throwIfAborted();
    const dead = watched.find((p) => p.exited);
    if (dead) {
      throw new StackError(`${dead.name} exited while waiting for ${what}:\n${dead.tail()}`);
    }
    try {
      if (await check()) return;
    } catch {
      // Not up yet: refused, reset or timed out.
    }
    if (Date.now() > deadline) throw new StackError(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function healthy(target: ProbeTarget): Promise<string | undefined> {
  const response = await httpGet(target, "/healthcheck", AbortSignal.timeout(PROBE_TIMEOUT_MS));
  if (response.status !== 200) return undefined;
  try {
    const body = JSON.parse(response.body);
    return typeof body?.instanceId === "string" ? body.instanceId : "";
  } catch {
    return "";
  }
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
  const redisUrl = options.redisUrl ?? "redis://127.0.0.1:6379";
  const redisPrefix = options.redisPrefix ?? "rinha:";
  const choice = options.lb ?? "auto";
  if (!["auto", "nginx", "reuseport"].includes(choice)) {
    throw new RangeError(`lb must be auto, nginx or reuseport, got ${choice}`);
  }

  const nginx = choice === "reuseport" ? undefined : findExecutable("nginx");
  if (choice === "nginx" && !nginx) {
    throw new StackError("--lb nginx: nginx is not installed (apt-get install nginx-light)");
  }
  const lb = nginx ? "nginx" : "reuseport";
  const template = nginx ? await Deno.readTextFile(`${REPO_ROOT}/nginx.conf`) : "";
  const socketNames = nginx
    ? upstreamSockets(template).map((p) => p.slice(p.lastIndexOf("/") + 1))
    : [];
  const instances = options.instances ?? (nginx ? socketNames.length : 2);
  if (!Number.isInteger(instances) || instances < 1 || instances > 16) {
    throw new RangeError(`instances must be an integer in [1, 16], got ${instances}`);
  }
  if (nginx && instances !== socketNames.length) {
    throw new StackError(
      `nginx.conf balances ${socketNames.length} upstream sockets, not ${instances} instances; ` +
        `use --lb reuseport for another count`,
    );
  }
  const port = checkPort("port", options.port ?? 9999);
  ensurePortFree(port);
  const redisEndpoint = await checkRedis(redisUrl);

  const runDir = await Deno.makeTempDir({ prefix: "rinha-stack-" });
  // nginx's workers may run as another user when the stack runs as root: let them in.
  await Deno.chmod(runDir, 0o755);
  const processes: ManagedProcess[] = [];
  const roles = new Map<ManagedProcess, Role>();
  const composeLimits = options.limits
    ? readComposeLimits(await Deno.readTextFile(`${REPO_ROOT}/docker-compose.yml`))
    : new Map<string, ServiceLimits>();
  const cgroups = options.limits ? Cgroups.open(runDir.split("/").pop()!) : undefined;
  const limited: string[] = [];
  // Puts a service (a process and its descendants) under its compose limits, when asked and able.
  const limit = (service: string, pid: number) => {
    const limits = composeLimits.get(service);
    if (!(cgroups instanceof Cgroups) || !limits) return;
    try {
      cgroups.limit(service, processTree(pid), limits);
      limited.push(`${service} ${limits.milliCpus / 1000} CPU/${limits.memoryBytes >> 20} MiB`);
    } catch (error) {
      limited.push(`${service} NOT limited (${(error as Error).message})`);
    }
  };
  const track = (child: ManagedProcess, role: Role) => {
    processes.push(child);
    roles.set(child, role);
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      // Intake first, then the instances (they drain to the processors), then the simulators.
      // nginx stops gracefully on SIGQUIT (requests in progress are answered); its SIGTERM is the
      // fast shutdown, which drops them — some already accepted by an instance.
      const stopRole = (role: Role, timeoutMs: number) =>
        Promise.all(
          processes.filter((p) => roles.get(p) === role).map((p) =>
            p.stop(role === "lb" ? "SIGQUIT" : "SIGTERM", timeoutMs)
          ),
        );
      await stopRole("lb", 5_000);
      await stopRole("api", 15_000);
      await stopRole("processor", 5_000);
      if (cgroups instanceof Cgroups) cgroups.remove();
      await Deno.remove(runDir, { recursive: true }).catch(() => {});
    })();
  const logs = () =>
    processes.map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${p.tail()}`).join("\n");

  try {
    const processors: Record<"default" | "fallback", { url: string; note: string }> = {
      default: { url: "", note: "" },
      fallback: { url: "", note: "" },
    };
    const simulators: { name: string; port: number }[] = [];
    for (const kind of ["default", "fallback"] as const) {
      const given = kind === "default" ? options.defaultUrl : options.fallbackUrl;
      if (given) {
        processors[kind] = { url: checkUrl(`${kind}Url`, given), note: "given" };
        continue;
      }
      const simPort = checkPort(
        `${kind}Port`,
        (kind === "default" ? options.defaultPort : options.fallbackPort) ??
          (kind === "default" ? 8001 : 8002),
      );
      const fee = (kind === "default" ? options.defaultFee : options.fallbackFee) ??
        (kind === "default" ? 0.07 : 0.10);
      if (!(fee >= 0 && fee < 1)) throw new RangeError(`${kind}Fee must be in [0, 1), got ${fee}`);
      const args = [
        "run",
        ...SIMULATOR_FLAGS,
        `${REPO_ROOT}/tools/simulator/main.ts`,
        "--port",
        String(simPort),
        "--hostname",
        LOCALHOST,
        "--fee",
        String(fee),
      ];
      if (options.token !== undefined) args.push("--token", options.token);
      const name = `pp-${kind}`;
      track(
        new ManagedProcess({ name, command: Deno.execPath(), args, cwd: REPO_ROOT, output }),
        "processor",
      );
      simulators.push({ name, port: simPort });
      processors[kind] = { url: `http://${LOCALHOST}:${simPort}`, note: `simulator, fee ${fee}` };
    }

    const instanceIds = Array.from(
      { length: instances },
      (_, i) => nginx ? socketNames[i].replace(/\.sock$/, "") : `api${i + 1}`,
    );
    const socketPaths = nginx ? socketNames.map((name) => `${runDir}/${name}`) : [];
    // An instance reaching Redis over a unix socket needs read/write permission on its path.
    const redisSocket = redisEndpoint.transport === "unix" ? [redisEndpoint.path] : [];
    for (const [i, id] of instanceIds.entries()) {
      const listenEnv: Record<string, string> = nginx
        ? { SOCKET_PATH: socketPaths[i], PORT: "", REUSE_PORT: "" }
        : { SOCKET_PATH: "", PORT: String(port), REUSE_PORT: "true", HOSTNAME_BIND: "0.0.0.0" };
      track(
        new ManagedProcess({
          name: id,
          command: Deno.execPath(),
          args: [
            "run",
            ...INSTANCE_FLAGS,
            // Deno 2.9: `Deno.serve({ reusePort: true })` is still behind this flag.
            ...(nginx ? [] : ["--unstable-net"]),
            ...fileAccessFlags([runDir, ...redisSocket]),
            `${REPO_ROOT}/src/main.ts`,
          ],
          cwd: REPO_ROOT,
          env: {
            ...options.instanceEnv,
            ...listenEnv,
            INSTANCE_ID: id,
            REDIS_URL: redisUrl,
            REDIS_PREFIX: redisPrefix,
            PROCESSOR_DEFAULT_URL: processors.default.url,
            PROCESSOR_FALLBACK_URL: processors.fallback.url,
          },
          output,
        }),
        "api",
      );
      limit(id, processes.at(-1)!.pid);
    }

    await Promise.all(simulators.map((sim) =>
      waitUntil(
        `${sim.name} on :${sim.port}`,
        async () => {
          const target = { transport: "tcp", hostname: LOCALHOST, port: sim.port } as const;
          const headers = { "X-Rinha-Token": options.token ?? "123" };
          const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
          return (await httpGet(target, "/admin/payments-summary", signal, headers)).status === 200;
        },
        deadline,
        processes,
        options.signal,
      )
    ));

    const lbTarget = { transport: "tcp", hostname: LOCALHOST, port } as const;
    if (nginx) {
      await Promise.all(
        socketPaths.map((path, i) =>
          waitUntil(
            `${instanceIds[i]} on ${path}`,
            async () => {
              if ((await healthy({ transport: "unix", path })) === undefined) return false;
              // nginx's workers may be another user: the socket must be writable for them.
              await Deno.chmod(path, 0o666);
              return true;
            },
            deadline,
            processes,
            options.signal,
          )
        ),
      );
      track(await startNginx({ executable: nginx, template, runDir, port, output }), "lb");
      const master = processes.at(-1)!.pid;
      // Round robin: as many consecutive 200s as instances means every upstream answered.
      let streak = 0;
      await waitUntil(
        `nginx on :${port}`,
        async () => {
          streak = (await healthy(lbTarget)) === undefined ? 0 : streak + 1;
          return streak >= instances;
        },
        deadline,
        processes,
        options.signal,
      );
      // Once it answers, its workers exist: the master and every worker go into the group.
      limit("nginx", master);
    } else {
      const seen = new Set<string>();
      let anonymous = 0;
      await waitUntil(
        `${instances} instances sharing :${port}`,
        async () => {
          const id = await healthy(lbTarget);
          if (id === undefined) return false;
          if (id === "") anonymous++;
          else seen.add(id);
          return seen.size >= instances || anonymous >= 4 * instances;
        },
        deadline,
        processes,
        options.signal,
      );
    }

    const url = `http://${LOCALHOST}:${port}`;
    const via = nginx
      ? `nginx → ${instanceIds.join(", ")} over unix sockets in ${runDir}`
      : `${instanceIds.join(", ")} sharing the port (SO_REUSEPORT)`;
    const description = `stack ready at ${url} (${via}); ` +
      `default ${processors.default.url} (${processors.default.note}), ` +
      `fallback ${processors.fallback.url} (${processors.fallback.note}); ` +
      `redis ${redisUrl} prefix ${redisPrefix}` +
      (!options.limits
        ? ""
        : typeof cgroups === "string"
        ? `; limits NOT applied: ${cgroups}`
        : `; compose limits (cgroup ${cgroups!.version}): ${limited.join(", ")}`);
    return {
      url,
      defaultUrl: processors.default.url,
      fallbackUrl: processors.fallback.url,
      lb,
      runDir,
      processes,
      description,
      logs,
      stop,
    };
  } catch (error) {
    const tails = logs();
    await stop();
    if (error instanceof StackError && tails && !error.message.includes("exited while")) {
      error.message += `\n${tails}`;
    }
    throw error;
  }
}
