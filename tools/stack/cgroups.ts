/**
 * Linux control groups for the local stack's `--limits`: each service runs under the CPU quota and
 * memory limit compose gives it (compose_limits.ts), so local figures approximate the official
 * box. Works with cgroup v2 (cpu and memory controllers at /sys/fs/cgroup) or v1 (the cpu and
 * memory hierarchies); needs the right to create groups there (root, or a delegated subtree) and,
 * in Deno 2.9, `--allow-all` (any access under /sys requires it): the stack is a dev script and
 * its task runs with `-A`.
 * A process moved in keeps what memory it had already charged elsewhere: the stack moves each
 * service right after it starts.
 *
 * @module
 */
import type { ServiceLimits } from "./compose_limits.ts";

const ROOT = "/sys/fs/cgroup";
/** CFS period, µs (Docker's default): a quota of 0.55 CPU is 55,000 µs per 100,000 µs. */
const PERIOD_US = 100_000;

type Layout = { version: 2; base: string } | { version: 1; cpu: string; memory: string };

/** The groups one stack created; `remove()` deletes them once their processes are gone. */
export class Cgroups {
  readonly #layout: Layout;
  readonly #prefix: string;
  readonly #dirs: string[] = [];

  private constructor(layout: Layout, prefix: string) {
    this.#layout = layout;
    this.#prefix = prefix;
  }

  /**
   * Finds a writable cgroup hierarchy.
   *
   * @param prefix names the groups, e.g. `rinha-stack-<id>`.
   * @returns the limiter, or a sentence saying why limits cannot be applied on this machine.
   */
  static open(prefix: string): Cgroups | string {
    const layout = detect();
    if (typeof layout === "string") return layout;
    const probe = new Cgroups(layout, `${prefix}-probe`);
    try {
      for (const dir of probe.#groupDirs("x")) Deno.mkdirSync(dir, { recursive: true });
      for (const dir of probe.#groupDirs("x").reverse()) Deno.removeSync(dir);
    } catch (error) {
      return `cannot create cgroups under ${ROOT} (${(error as Error).message})`;
    }
    return new Cgroups(layout, prefix);
  }

  /** `v1` or `v2`. */
  get version(): string {
    return `v${this.#layout.version}`;
  }

  /**
   * Creates the group of `service` with `limits` and moves `pids` into it.
   *
   * @throws the filesystem error when a control file cannot be written.
   */
  limit(service: string, pids: number[], limits: ServiceLimits): void {
    const quota = String(Math.round((limits.milliCpus / 1000) * PERIOD_US));
    const memory = String(limits.memoryBytes);
    const dirs = this.#groupDirs(service);
    for (const dir of dirs) {
      Deno.mkdirSync(dir, { recursive: true });
      this.#dirs.push(dir);
    }
    if (this.#layout.version === 2) {
      Deno.writeTextFileSync(`${dirs[0]}/cpu.max`, `${quota} ${PERIOD_US}`);
      Deno.writeTextFileSync(`${dirs[0]}/memory.max`, memory);
    } else {
      Deno.writeTextFileSync(`${dirs[0]}/cpu.cfs_period_us`, String(PERIOD_US));
      Deno.writeTextFileSync(`${dirs[0]}/cpu.cfs_quota_us`, quota);
      Deno.writeTextFileSync(`${dirs[1]}/memory.limit_in_bytes`, memory);
    }
    for (const dir of dirs) {
      for (const pid of pids) Deno.writeTextFileSync(`${dir}/cgroup.procs`, String(pid));
    }
  }

  /** Removes the groups (their processes must have exited). Never throws. */
  remove(): void {
    for (const dir of this.#dirs.splice(0).reverse()) {
      try {
        Deno.removeSync(dir);
      } catch { /* still populated or already gone */ }
    }
  }

  #groupDirs(service: string): string[] {
    const name = `${this.#prefix}-${service}`;
    return this.#layout.version === 2
      ? [`${this.#layout.base}/${name}`]
      : [`${this.#layout.cpu}/${name}`, `${this.#layout.memory}/${name}`];
  }
}

/** The pids of `pid` and all its descendants (nginx's master and workers). */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = Deno.readTextFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`);
      pids.push(...children.trim().split(/\s+/).filter(Boolean).map(Number));
    } catch { /* exited, or no /proc */ }
  }
  return pids;
}

function detect(): Layout | string {
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return undefined;
    }
  };
  const controllers = read(`${ROOT}/cgroup.controllers`)?.split(/\s+/) ?? [];
  if (controllers.includes("cpu") && controllers.includes("memory")) {
    return { version: 2, base: ROOT };
  }
  if (read(`${ROOT}/cpu/cpu.cfs_period_us`) && read(`${ROOT}/memory/memory.limit_in_bytes`)) {
    return { version: 1, cpu: `${ROOT}/cpu`, memory: `${ROOT}/memory` };
  }
  return `no cgroup v2 with cpu+memory nor cgroup v1 cpu/memory hierarchies under ${ROOT}`;
}
