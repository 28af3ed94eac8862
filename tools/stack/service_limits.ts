/**
 * `--limits`: the stack's services (nginx and the instances, each with its descendants) put under
 * the CPU and memory limits docker-compose.yml gives them (compose_limits.ts), in cgroups
 * (cgroups.ts). Where the machine does not allow it, nothing is limited and the description says
 * why.
 *
 * @module
 */

import { Cgroups, processTree } from "./cgroups.ts";
import { readComposeLimits, type ServiceLimits } from "./compose_limits.ts";
import { REPO_ROOT } from "./locations.ts";

/** The limits of one stack; a no-op when they were not asked for or cannot be applied. */
export class ComposeLimiter {
  readonly #asked: boolean;
  readonly #limits: Map<string, ServiceLimits>;
  /** The groups, or why there are none; `undefined` when limits were not asked for. */
  readonly #cgroups: Cgroups | string | undefined;
  /** One note per service (the last), e.g. `0.55 CPU/120 MiB` or `NOT limited (why)`. */
  readonly #notes = new Map<string, string>();

  private constructor(
    asked: boolean,
    limits: Map<string, ServiceLimits>,
    cgroups?: Cgroups | string,
  ) {
    this.#asked = asked;
    this.#limits = limits;
    this.#cgroups = cgroups;
  }

  /**
   * Reads docker-compose.yml's limits and opens the cgroups, when `asked`.
   *
   * @param runDir the stack's run directory: its name names the groups.
   * @throws {RangeError} on a compose limit that is not a CPU count or a memory size; the file
   *   system error when docker-compose.yml cannot be read.
   */
  static async open(asked: boolean, runDir: string): Promise<ComposeLimiter> {
    if (!asked) return new ComposeLimiter(false, new Map());
    const limits = readComposeLimits(await Deno.readTextFile(`${REPO_ROOT}/docker-compose.yml`));
    return new ComposeLimiter(true, limits, Cgroups.open(runDir.split("/").pop()!));
  }

  /**
   * Puts `service` (the process `pid` and its descendants) under its compose limits, when asked
   * and able (again after a restart: same group); a failure, or a service compose does not have
   * (`api3`), is noted in the description, not thrown.
   */
  apply(service: string, pid: number): void {
    if (!(this.#cgroups instanceof Cgroups)) return;
    const limits = this.#limits.get(service);
    if (!limits) {
      this.#notes.set(service, "NOT limited (no such service in docker-compose.yml)");
      return;
    }
    try {
      this.#cgroups.limit(service, processTree(pid), limits);
      this.#notes.set(service, `${limits.milliCpus / 1000} CPU/${limits.memoryBytes >> 20} MiB`);
    } catch (error) {
      this.#notes.set(service, `NOT limited (${(error as Error).message})`);
    }
  }

  /** `""` when not asked; else `; limits NOT applied: why` or `; compose limits (cgroup v2): …`. */
  describe(): string {
    if (!this.#asked) return "";
    if (typeof this.#cgroups === "string") return `; limits NOT applied: ${this.#cgroups}`;
    const notes = [...this.#notes].map(([service, note]) => `${service} ${note}`).join(", ");
    return `; compose limits (cgroup ${this.#cgroups!.version}): ${notes}`;
  }

  /** Removes the groups (their processes must have exited). Never throws. */
  remove(): void {
    if (this.#cgroups instanceof Cgroups) this.#cgroups.remove();
  }
}
