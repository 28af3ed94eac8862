/**
 * The Payment Processor simulator's command line (main.ts):
 *
 * ```sh
 * deno task processor --port 8001 --fee 0.07
 * deno task processor -- --port 8002 --fee 0.10 --token secret --delay 100 --failure
 * ```
 *
 * Options: `--port` (default 8001), `--hostname` (default 127.0.0.1), `--fee` (default 0.05),
 * `--token` (default 123), `--delay` ms (default 0), `--failure` (switch on at start),
 * `--rate-limit-seconds` (default 5).
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { StartProcessorOptions } from "./server.ts";

const USAGE = "usage: processor [--port 8001] [--hostname 127.0.0.1] [--fee 0.05] [--token 123] " +
  "[--delay ms] [--failure] [--rate-limit-seconds 5]";

/**
 * Turns command-line arguments into {@linkcode StartProcessorOptions}. A leading `--` (as passed
 * by `deno task processor -- …`) is ignored.
 *
 * @throws {RangeError} with a usage line for unknown options, stray arguments or bad numbers.
 */
export function parseProcessorArgs(args: readonly string[]): StartProcessorOptions {
  let values;
  try {
    values = parseArgs({
      args: args[0] === "--" ? args.slice(1) : [...args],
      options: {
        port: { type: "string" },
        hostname: { type: "string" },
        fee: { type: "string" },
        token: { type: "string" },
        delay: { type: "string" },
        failure: { type: "boolean" },
        "rate-limit-seconds": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new RangeError(`${(error as Error).message}\n${USAGE}`);
  }
  const integer = (name: string, text: string | undefined, min: number, max: number) => {
    if (text === undefined) return undefined;
    const value = /^-?\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= min && value <= max)) {
      throw new RangeError(
        `--${name} must be an integer in ${min}..${max}, got "${text}"\n${USAGE}`,
      );
    }
    return value;
  };
  return {
    port: integer("port", values.port, 0, 65535) ?? 8001,
    hostname: values.hostname ?? "127.0.0.1",
    fee: values.fee,
    token: values.token,
    delayMs: integer("delay", values.delay, -(2 ** 31), 2 ** 31 - 1),
    failure: values.failure,
    rateLimitSeconds: integer("rate-limit-seconds", values["rate-limit-seconds"], 1, 86_400),
  };
}
