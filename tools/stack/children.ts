/**
 * The processes one stack started, each with its role, so the stack stops exactly those and in
 * the order that loses no request: the load balancer, then the instances, then the processors.
 *
 * @module
 */

import type { ManagedProcess } from "./processes.ts";

/** What a child process is to the stack; decides the order of stopping. */
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
  /** Every process added, in start order. */
  readonly all: ManagedProcess[] = [];
  readonly #roles = new Map<ManagedProcess, Role>();

  /** Records a started process; returns it. */
  add(child: ManagedProcess, role: Role): ManagedProcess {
    this.all.push(child);
    this.#roles.set(child, role);
    return child;
  }

  /** The last lines of every process's output, each under a `--- name (pid N) ---` header. */
  logs(): string {
    return this.all.map((p) => `--- ${p.name} (pid ${p.pid}) ---\n${p.tail()}`).join("\n");
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
