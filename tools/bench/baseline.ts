/**
 * The baseline stack: two no-op backends (noop_server.ts, one process each, with the instances'
 * V8 flags) behind the same load balancer as the product — the repository's nginx.conf with its
 * unix-socket upstreams when nginx is installed (through tools/stack/nginx.ts, like the local
 * stack), or both sharing one TCP port with SO_REUSEPORT otherwise. With `intake`, the two
 * backends are the intake floor instead (intake_handler.ts).
 *
 * @module
 */

import { startNginx, upstreamSockets } from "../stack/nginx.ts";
import { fileAccessFlags, findExecutable, freePort, ManagedProcess } from "../stack/processes.ts";
import { httpGet, type ProbeTarget } from "../stack/probe.ts";
import { INSTANCE_V8_FLAGS } from "../stack/instances.ts";
import { parseRedisUrl } from "../../src/store/redis/url.ts";

const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
const NOOP = `${REPO_ROOT}/tools/bench/noop_server.ts`;

/** Options of {@linkcode startBaselineStack}. */
interface BaselineOptions {
  /** Port of the load balancer; 0 (default) picks a free one. */
  port?: number;
  /** `auto` (default): nginx when installed. */
  lb?: "auto" | "nginx" | "reuseport";
  /** Start deadline, ms. Default 20,000. */
  readyTimeoutMs?: number;
  /**
   * Run the intake floor (the product's real `POST /payments` into this Redis, nothing behind it)
   * instead of the no-op handler. The caller deletes the keys under `prefix` afterwards.
   */
  intake?: { redisUrl: string; prefix: string };
}

/** A running baseline stack. */
export interface BaselineStack {
  url: string;
  lb: "nginx" | "reuseport";
  description: string;
  /** Processes it started, by name (noop1/api1…, nginx), for resource sampling. */
  processes: readonly ManagedProcess[];
  /** Stops exactly the processes it started and removes its run directory. */
  stop(): Promise<void>;
}

/** Raised when the baseline stack cannot start. */
class BaselineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BaselineError";
  }
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  deadline: number,
  procs: ManagedProcess[],
) {
  while (true) {
    const dead = procs.find((p) => p.exited);
    if (dead) {
      throw new BaselineError(`${dead.name} exited while waiting for ${what}:\n${dead.tail()}`);
    }
    try {
      if (await check()) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new BaselineError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function healthOk(target: ProbeTarget): Promise<boolean> {
  return (await httpGet(target, "/healthcheck", AbortSignal.timeout(1000))).status === 200;
}

/** What both ways of starting the baseline share. */
interface Launch {
  port: number;
  url: string;
  runDir: string;
  deadline: number;
  /** "no-op" or "intake-floor", for messages. */
  what: string;
  /** Unix-socket path of the intake floor's Redis, if any (needs file permissions). */
  redisPaths: string[];
  procs: ManagedProcess[];
  /** Starts one no-op (or intake-floor) server process named `name`. */
  spawn(name: string, args: string[], perms: string[]): void;
  stop(): Promise<void>;
}

/**
 * Starts the baseline stack and resolves once the load balancer answers.
 * @throws {BaselineError} when a process exits or does not answer in time (all are stopped first)
 */
export async function startBaselineStack(options: BaselineOptions = {}): Promise<BaselineStack> {
  const choice = options.lb ?? "auto";
  const nginx = choice === "reuseport" ? undefined : findExecutable("nginx");
  if (choice === "nginx" && !nginx) throw new BaselineError("nginx is not installed");
  const launch = await prepareLaunch(options);
  try {
    return nginx ? await startBehindNginx(launch, nginx) : await startWithReusePort(launch);
  } catch (e) {
    await launch.stop();
    throw e;
  }
}

/** The run directory, the port and the process spawner of a baseline stack. */
async function prepareLaunch(options: BaselineOptions): Promise<Launch> {
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  const port = options.port || freePort();
  const runDir = await Deno.makeTempDir({ prefix: "rinha-baseline-" });
  await Deno.chmod(runDir, 0o755);
  const procs: ManagedProcess[] = [];
  const intake = options.intake;
  const intakeArgs = intake ? ["--redis-url", intake.redisUrl, "--prefix", intake.prefix] : [];
  // Reaching Redis over a unix socket needs read/write permission on its path.
  const redis = intake ? parseRedisUrl(intake.redisUrl).connect : undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    runDir,
    deadline,
    what: intake ? "intake-floor" : "no-op",
    redisPaths: redis?.transport === "unix" ? [redis.path] : [],
    procs,
    spawn(name, args, perms) {
      procs.push(
        new ManagedProcess({
          name,
          command: Deno.execPath(),
          args: ["run", INSTANCE_V8_FLAGS, ...perms, NOOP, ...args, ...intakeArgs, "--id", name],
          cwd: REPO_ROOT,
          output: "quiet",
        }),
      );
    },
    async stop() {
      for (const p of [...procs].reverse()) await p.stop("SIGTERM", 5000);
      await Deno.remove(runDir, { recursive: true }).catch(() => {});
    },
  };
}

/** The repository's nginx.conf in front of one server per upstream unix socket it names. */
async function startBehindNginx(launch: Launch, nginx: string): Promise<BaselineStack> {
  const { runDir, deadline, procs, what, port, url } = launch;
  const template = await Deno.readTextFile(`${REPO_ROOT}/nginx.conf`);
  const names = upstreamSockets(template).map((p) => p.slice(p.lastIndexOf("/") + 1));
  for (const name of names) {
    launch.spawn(name.replace(/\.sock$/, ""), ["--socket", `${runDir}/${name}`], [
      "--allow-net",
      ...fileAccessFlags([runDir, ...launch.redisPaths]),
    ]);
  }
  for (const name of names) {
    const path = `${runDir}/${name}`;
    await waitFor(
      `${what} server on ${path}`,
      () => healthOk({ transport: "unix", path }),
      deadline,
      procs,
    );
    await Deno.chmod(path, 0o666);
  }
  procs.push(await startNginx({ executable: nginx, template, runDir, port, output: "quiet" }));
  const lbTarget: ProbeTarget = { transport: "tcp", hostname: "127.0.0.1", port };
  await waitFor(`nginx on :${port}`, () => healthOk(lbTarget), deadline, procs);
  return {
    url,
    lb: "nginx",
    description:
      `baseline at ${url}: nginx (repo nginx.conf) → ${names.length} ${what} instances over unix sockets`,
    processes: procs,
    stop: launch.stop,
  };
}

/** Two servers sharing one TCP port with SO_REUSEPORT (no nginx). */
async function startWithReusePort(launch: Launch): Promise<BaselineStack> {
  const { deadline, procs, what, port, url } = launch;
  for (const id of ["noop1", "noop2"]) {
    // Deno 2.9: `Deno.serve({ reusePort: true })` is still behind --unstable-net.
    launch.spawn(id, ["--port", String(port), "--reuse-port"], [
      "--unstable-net",
      "--allow-net",
      ...fileAccessFlags(launch.redisPaths),
    ]);
  }
  const lbTarget: ProbeTarget = { transport: "tcp", hostname: "127.0.0.1", port };
  await waitFor(`${what} server on :${port}`, () => healthOk(lbTarget), deadline, procs);
  await new Promise((r) => setTimeout(r, 300)); // let the second listener bind too
  return {
    url,
    lb: "reuseport",
    description: `baseline at ${url}: 2 ${what} instances sharing the port (SO_REUSEPORT)`,
    processes: procs,
    stop: launch.stop,
  };
}
