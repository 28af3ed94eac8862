/**
 * The processes one stack started, each with its role, so the stack stops exactly those and in
 * the order that loses no request: the load balancer, then the instances, then the processors.
 *
 * @module
 */

import type { ManagedProcess } from "./processes.ts";

/** What a child process is to the stack; decides the order of stopping (and which restart). */
type Role = "lb" | "api" | "processor";

/** How each role is stopped: its signal and how long it may take before SIGKILL, ms. */
const STOPS: readonly { role: Role; signal: Deno.Signal; timeoutMs: number }[] = [
  // nginx stops gracefully on SIGQUIT (requests in progress are answered); its SIGTERM is the
  // fast shutdown, which drops them — some already accepted by an instance.
  { role: "lb", signal: "SIGQUIT", timeoutMs: 5_000 },
  // The instances drain to the processors, which must still be up.
  { role: "api", signal: "SIGTERM", timeoutMs: 15_000 },
  { role: "processor", signal: "SIGTERM", timeoutMs: 5_000 },
];

/** The stack's children, in start order. */
export class StackChildren {
  /** Every process running or last run per place, in start order (a restart takes the place). */
  readonly all: ManagedProcess[] = [];
  readonly #roles = new Map<ManagedProcess, Role>();
  /** The last process replaced under each name, for its output (one per name: bounded). */
  readonly #replaced = new Map<string, ManagedProcess>();

  /** Records a started process; returns it. */
  add(child: ManagedProcess, role: Role): ManagedProcess {
    this.all.push(child);
    this.#roles.set(child, role);
    return child;
  }

  /** The role `child` was added with; `undefined` for a process not (or no longer) here. */
  roleOf(child: ManagedProcess): Role | undefined {
    return this.#roles.get(child);
  }

  /**
   * Puts `fresh` in the place of `dead` (its restart), with its role; `dead`'s output stays in
   * {@linkcode logs} until the next replacement under the same name.
   *
   * @throws {Error} when `dead` is not one of these children.
   */
  replace(dead: ManagedProcess, fresh: ManagedProcess): void {
    const index = this.all.indexOf(dead);
    const role = this.#roles.get(dead);
    if (index < 0 || role === undefined) throw new Error(`${dead.name} is not a child here`);
    this.all[index] = fresh;
    this.#roles.delete(dead);
    this.#roles.set(fresh, role);
    this.#replaced.set(dead.name, dead);
  }

  /**
   * The last lines of every process's output, each under a `--- name (pid N) ---` header; a
   * replaced process's come first, headed `--- name (pid N, replaced) ---`.
   */
  logs(): string {
    const replaced = [...this.#replaced.values()].map((p) =>
      `--- ${p.name} (pid ${p.pid}, replaced) ---\n${p.tail()}`
    );
    const current = this.all.map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${p.tail()}`);
    return [...replaced, ...current].join("\n");
  }

  /** Stops every process, role by role (lb, api, processor); those of a role at once. */
  async stop(): Promise<void> {
    for (const { role, signal, timeoutMs } of STOPS) {
      await Promise.all(
        this.all.filter((p) => this.#roles.get(p) === role).map((p) => p.stop(signal, timeoutMs)),
      );
    }
  }
}
