/**
 * `deno task stack`: runs the whole product locally without Docker (see stack.ts) until Ctrl-C
 * or SIGTERM, then stops exactly the processes it started. An instance that exits meanwhile is
 * restarted (healer.ts); with `--fail-fast`, any child's exit stops the whole stack.
 *
 * ```sh
 * deno task stack [--lb auto|nginx|reuseport] [--port 9999] [--instances 2]
 *                 [--pp-default URL --pp-fallback URL] [--redis-url URL] [--prefix PREFIX]
 *                 [--quiet] [--limits] [--fail-fast]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type LoadBalancerChoice, optionError, type StackOptions } from "./options.ts";
import { type Stack, startStack } from "./stack.ts";

const USAGE = `usage: deno task stack [options]
  --lb auto|nginx|reuseport  load balancer (auto: nginx when installed)   [auto]
  --port N                   port of the load balancer                    [9999]
  --instances N              API instances, 1 to 16 (behind nginx too)    [2]
  --pp-default URL           use this default processor   } both or neither:
  --pp-fallback URL          use this fallback processor  } no simulators
  --redis-url URL            Redis of the instances        [redis://127.0.0.1:6379]
  --prefix PREFIX            Redis key prefix                              [rinha:]
  --quiet                    do not print the children's output
  --limits                   run nginx and the instances under docker-compose.yml's CPU/memory
                             limits (Linux cgroups v1 or v2; says so and runs without if it can't)
  --fail-fast                stop everything when any child exits, instead of restarting an
                             instance that exits (nginx's or a simulator's exit always stops)`;

/** The parsed command line, or `undefined` (usage printed) when it does not parse. */
function readArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        lb: { type: "string", default: "auto" },
        port: { type: "string" },
        instances: { type: "string" },
        "pp-default": { type: "string" },
        "pp-fallback": { type: "string" },
        "redis-url": { type: "string" },
        prefix: { type: "string" },
        quiet: { type: "boolean", default: false },
        limits: { type: "boolean", default: false },
        "fail-fast": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return undefined;
  }
}

/**
 * The stack's options from the command line.
 *
 * @throws {RangeError} when `--port` or `--instances` is not an integer (options.ts wording).
 */
function stackOptions(
  values: NonNullable<ReturnType<typeof readArgs>>,
  signal: AbortSignal,
): StackOptions {
  return {
    lb: values.lb as LoadBalancerChoice,
    port: integer("port", values.port),
    instances: integer("instances", values.instances),
    defaultUrl: values["pp-default"],
    fallbackUrl: values["pp-fallback"],
    redisUrl: values["redis-url"],
    redisPrefix: values.prefix,
    output: values.quiet ? "quiet" : "prefix",
    limits: values.limits,
    failFast: values["fail-fast"],
    // The stack's own lines (an instance restarted) are printed even with --quiet.
    onNote: (line) => console.error(`stack: ${line}`),
    signal,
  };
}

function integer(option: "port" | "instances", raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(value)) {
    throw optionError(option, raw, "must be an integer");
  }
  return value;
}

/** SIGINT and SIGTERM, listened to from before the start until the stop is done. */
interface StopRequests {
  /** Aborts on the first signal (a signal during the start stops what was started). */
  signal: AbortSignal;
  /** Resolves with the first signal's name. */
  received: Promise<string>;
  /** Stops listening. */
  remove(): void;
}

function listenForStop(): StopRequests {
  const controller = new AbortController();
  const { promise: received, resolve } = Promise.withResolvers<string>();
  const onSignal = (name: string) => () => {
    resolve(name);
    controller.abort(new Error(`${name} during start`));
  };
  const onSigint = onSignal("SIGINT");
  const onSigterm = onSignal("SIGTERM");
  Deno.addSignalListener("SIGINT", onSigint);
  Deno.addSignalListener("SIGTERM", onSigterm);
  const remove = () => {
    Deno.removeSignalListener("SIGINT", onSigint);
    Deno.removeSignalListener("SIGTERM", onSigterm);
  };
  return { signal: controller.signal, received, remove };
}

/**
 * Runs `stack` until a signal, or until it no longer runs whole (`Stack.failed`: nginx or a
 * simulator exited, or with `--fail-fast` any child), then stops it. Meanwhile the stack restarts
 * an instance that exits and says so on stderr.
 *
 * @returns the exit code: 0 after a signal, 1 after a failure.
 */
async function runUntilStopped(stack: Stack, stop: StopRequests): Promise<number> {
  const reason = await Promise.race([stop.received, stack.failed]);
  console.error(`stack: ${reason}; stopping what it started`);
  // The listeners stay until the stop is done: a terminal's Ctrl-C reaches this process twice
  // (from the terminal and forwarded by `deno task`), and the second must not kill the stop.
  await stack.stop();
  stop.remove();
  console.error("stack: stopped");
  return reason === "SIGINT" || reason === "SIGTERM" ? 0 : 1;
}

async function main(): Promise<number> {
  const values = readArgs(Deno.args);
  if (values === undefined) return 2;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const stop = listenForStop();
  let stack;
  try {
    stack = await startStack(stackOptions(values, stop.signal));
  } catch (error) {
    stop.remove();
    throw error;
  }
  console.log(stack.description);
  return await runUntilStopped(stack, stop);
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`stack: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
