/**
 * The stack's TCP ports: a chosen port checked, port 0 turned into a free one, and a port checked
 * free before anything listens on it.
 *
 * @module
 */

import { optionError, type StackOptions } from "./options.ts";
import { freePort } from "./processes.ts";
import { StackError } from "./stack_error.ts";

/** Ports this process picked for port-0 options, so two picks never collide (at most 1,000). */
const picked = new Set<number>();

/**
 * `value` when it is a port, or a free port not handed out before when it is 0.
 *
 * @param option the option `value` comes from, for the error message.
 * @throws {RangeError} when `value` is not an integer in [0, 65535] (options.ts wording).
 * @throws {StackError} when no fresh free port turns up in 20 tries.
 */
export function checkPort(option: keyof StackOptions, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw optionError(option, value, "must be a port in [0, 65535]");
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
  throw optionError(option, value, "no free port turned up in 20 tries", StackError);
}

/**
 * Why `port` cannot be listened on, on every interface (as nginx's `listen <port>` and the
 * instances' SO_REUSEPORT bind it; SO_REUSEPORT would silently share a port in use otherwise).
 *
 * @returns the bind error's message, or `undefined` when the port is free.
 */
export function portInUse(port: number): string | undefined {
  try {
    Deno.listen({ hostname: "0.0.0.0", port }).close();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
