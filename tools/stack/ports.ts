/**
 * The stack's TCP ports: a chosen port checked, port 0 turned into a free one, and the load
 * balancer's port checked free before anything listens on it.
 *
 * @module
 */

import { freePort } from "./processes.ts";
import { StackError } from "./stack_error.ts";

/** Ports this process picked for port-0 options, so two picks never collide (at most 1,000). */
const picked = new Set<number>();

/**
 * `value` when it is a port, or a free port not handed out before when it is 0.
 *
 * @param name the option, for the error message.
 * @throws {RangeError} when `value` is not an integer in [0, 65535].
 * @throws {StackError} when no fresh free port turns up in 20 tries.
 */
export function checkPort(name: string, value: number): number {
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

/**
 * Fails unless nothing listens on `port`: SO_REUSEPORT would silently share it otherwise.
 *
 * @throws {StackError} naming the port and the bind error.
 */
export function ensurePortFree(port: number): void {
  try {
    Deno.listen({ hostname: "0.0.0.0", port }).close();
  } catch (error) {
    throw new StackError(`port ${port} is not free (${(error as Error).message}); choose --port`);
  }
}
