/**
 * The baseline stack: two no-op backends (noop_server.ts, one process each) behind the same load
 * balancer as the product — the repository's nginx.conf with its unix-socket upstreams when nginx
 * is installed (through src/stack/nginx.ts, like the local stack), or both sharing one TCP port
 * with SO_REUSEPORT otherwise.
 *
 * @module
 */

import { startNginx, upstreamSockets } from "../stack/nginx.ts";
import { findExecutable, freePort, ManagedProcess } from "../stack/processes.ts";
import { httpGet, type ProbeTarget } from "../stack/probe.ts";

const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
const NOOP = `${REPO_ROOT}/src/bench/noop_server.ts`;

/** Options of {@linkcode startBaselineStack}. */
export interface BaselineOptions {
  /** Port of the load balancer; 0 (default) picks a free one. */
  port?: number;
  /** `auto` (default): nginx when installed. */
  lb?: "auto" | "nginx" | "reuseport";
  /** Start deadline, ms. Default 20,000. */
  readyTimeoutMs?: number;
}

/** A running baseline stack. */
export interface BaselineStack {
  url: string;
  lb: "nginx" | "reuseport";
  description: string;
  /** Stops exactly the processes it started and removes its run directory. */
  stop(): Promise<void>;
}

/** Raised when the baseline stack cannot start. */
export class BaselineError extends Error {
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

/**
 * Starts the baseline stack and resolves once the load balancer answers.
 * @throws {BaselineError} when a process exits or does not answer in time (all are stopped first)
 */
export async function startBaselineStack(options: BaselineOptions = {}): Promise<BaselineStack> {
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  const choice = options.lb ?? "auto";
  const nginx = choice === "reuseport" ? undefined : findExecutable("nginx");
  if (choice === "nginx" && !nginx) throw new BaselineError("nginx is not installed");
  const port = options.port || freePort();
  const runDir = await Deno.makeTempDir({ prefix: "rinha-baseline-" });
  await Deno.chmod(runDir, 0o755);
  const procs: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of [...procs].reverse()) await p.stop("SIGTERM", 5000);
    await Deno.remove(runDir, { recursive: true }).catch(() => {});
  };
  const spawn = (name: string, args: string[], perms: string[]) =>
    procs.push(
      new ManagedProcess({
        name,
        command: Deno.execPath(),
        args: ["run", ...perms, NOOP, ...args, "--id", name],
        cwd: REPO_ROOT,
        output: "quiet",
      }),
    );
  try {
    const url = `http://127.0.0.1:${port}`;
    const lbTarget: ProbeTarget = { transport: "tcp", hostname: "127.0.0.1", port };
    if (nginx) {
      const template = await Deno.readTextFile(`${REPO_ROOT}/nginx.conf`);
      const names = upstreamSockets(template).map((p) => p.slice(p.lastIndexOf("/") + 1));
      for (const name of names) {
        const path = `${runDir}/${name}`;
        spawn(name.replace(/\.sock$/, ""), ["--socket", path], [
          "--allow-net",
          `--allow-read=${runDir}`,
          `--allow-write=${runDir}`,
        ]);
      }
      for (const name of names) {
        const path = `${runDir}/${name}`;
        await waitFor(
          `noop on ${path}`,
          () => healthOk({ transport: "unix", path }),
          deadline,
          procs,
        );
        await Deno.chmod(path, 0o666);
      }
      procs.push(await startNginx({ executable: nginx, template, runDir, port, output: "quiet" }));
      await waitFor(`nginx on :${port}`, () => healthOk(lbTarget), deadline, procs);
      return {
        url,
        lb: "nginx",
        description:
          `baseline at ${url}: nginx (repo nginx.conf) → ${names.length} no-op instances over unix sockets`,
        stop,
      };
    }
    for (const id of ["noop1", "noop2"]) {
      spawn(id, ["--port", String(port), "--reuse-port"], ["--allow-net"]);
    }
    await waitFor(`noop on :${port}`, () => healthOk(lbTarget), deadline, procs);
    await new Promise((r) => setTimeout(r, 300)); // let the second listener bind too
    return {
      url,
      lb: "reuseport",
      description: `baseline at ${url}: 2 no-op instances sharing the port (SO_REUSEPORT)`,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
