/**
 * Test support for the Redis client tests (tests/store/redis/): bounds on waits, INFO fields, a
 * private `redis-server` with extra arguments.
 *
 * Tests on the shared server (TEST_REDIS_URL) only touch keys under a `test:<uuid>:` prefix and
 * delete them. Tests that kill connections, flush scripts or stop the server use a private
 * `redis-server`; tests of the wire behaviour use a fake server in this process (fake_server.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Redis } from "../../../src/store/redis/client.ts";
import { ManagedProcess } from "../../../tools/stack/processes.ts";
import { PrivateRedis, waitFor } from "../../support/cluster.ts";

/** Whether no `redis-server` is installed: the private-server tests are then skipped. */
export const NO_REDIS = !PrivateRedis.executable;
/** Generous bound for anything that must not hang (a loaded 2-core machine). */
export const DEADLINE_MS = 10_000;

if (NO_REDIS) {
  console.warn("redis tests: redis-server is not installed: private-server tests skipped");
}

/** Resolves or rejects as `promise` does; rejects if it has not settled within `ms`. */
export async function within<T>(what: string, promise: Promise<T>, ms = DEADLINE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` has settled by the next timer tick (no I/O can complete before it). */
export async function settledAtOnce(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
}

/** Asserts that `promise` rejects with an error whose message matches `pattern`. */
export async function rejectsWithMessage(
  promise: Promise<unknown>,
  pattern: RegExp,
  message?: string,
) {
  await assert.rejects(promise, (error: Error) => {
    assert.match(error.message, pattern, message);
    return true;
  });
}

/**
 * The rejection reason of `promise` (or an AssertionError if it resolves), observed from now on so
 * that a rejection before the test awaits it is not reported as unhandled.
 */
export function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => new assert.AssertionError({ message: `resolved with ${JSON.stringify(value)}` }),
    (error) => error,
  );
}

/** `INFO <section>` as a map of its `field:value` lines. */
export async function info(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await redis.send(["INFO", section]) as string;
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Calls and failed calls of `command` from `INFO commandstats`. */
export async function commandStats(redis: Redis, command: string) {
  const line = (await info(redis, "commandstats")).get(`cmdstat_${command}`) ?? "";
  const field = (name: string) => Number(line.match(new RegExp(`(?:^|,)${name}=(\\d+)`))?.[1] ?? 0);
  return { calls: field("calls"), failed: field("failed_calls") };
}

/** Waits until the connection is back and answers PING. */
export async function waitReconnected(redis: Redis): Promise<void> {
  await waitFor(
    "the client to reconnect",
    async () => redis.connected && await redis.send(["PING"]) === "PONG",
    DEADLINE_MS,
    { pollMs: 20 },
  );
}

/** A `redis-server` with extra arguments (unix socket, password), no persistence. */
export async function startServer(name: string, args: string[], cliArgs: string[]) {
  const process = new ManagedProcess({
    name,
    command: PrivateRedis.executable!,
    args: [...args, "--save", "", "--appendonly", "no"],
    output: "quiet",
  });
  try {
    await waitFor(
      `${name} answers PING`,
      async () => {
        if (process.exited) throw new Error(process.tail());
        const output = await new Deno.Command("redis-cli", {
          args: [...cliArgs, "PING"],
          stdout: "piped",
          stderr: "piped",
        }).output();
        return new TextDecoder().decode(output.stdout).trim() === "PONG";
      },
      20_000,
      { pollMs: 50 },
    );
  } catch (error) {
    await process.stop("SIGKILL", 5_000);
    throw error;
  }
  return process;
}
