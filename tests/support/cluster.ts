/**
 * Test support for the fault-injection end-to-end tests (tests/e2e/crash_test.ts,
 * shutdown_test.ts, redis_fault_test.ts): Payment Processor simulators in-process, API instances
 * as child processes (`src/main.ts`, as in production) that a test can SIGKILL or SIGTERM, a
 * private `redis-server`, a load generator, and the checks "every accepted payment is stored by
 * exactly one processor and booked exactly once".
 *
 * Every port is random and every Redis prefix is `test:<uuid>:`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type RunningProcessor, startProcessor } from "../../tools/simulator/server.ts";
import { findExecutable, freePort, ManagedProcess } from "../../tools/stack/processes.ts";
import { PROCESSOR_NAMES, type ProcessorName } from "../../src/domain/processor.ts";
import type { Keys } from "../../src/store/keys.ts";
import type { Redis } from "../../src/store/redis/client.ts";

const REPO_ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
/** Client timeout of one request from the tests; generous for a loaded 2-core machine. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every `pollMs` until it returns a value other than `undefined`/`false`.
 *
 * @throws {Error} naming `what` and the last `describe()` when `timeoutMs` passes.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  options: { pollMs?: number; describe?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (true) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ""}` +
          (options.describe ? `\n${options.describe()}` : ""),
      );
    }
    await delay(options.pollMs ?? 200);
  }
}

/** Two simulators, default and fallback, in this process. */
export interface Simulators {
  default: RunningProcessor;
  fallback: RunningProcessor;
  shutdown(): Promise<void>;
}

/** Starts both simulators on free ports with `delayMs` on every payment. */
export function startSimulators(delayMs: number): Simulators {
  const def = startProcessor({ port: 0, fee: "0.07", delayMs });
  const fb = startProcessor({ port: 0, fee: "0.10", delayMs });
  return {
    default: def,
    fallback: fb,
    shutdown: async () => {
      await Promise.all([def.shutdown(), fb.shutdown()]);
    },
  };
}

/** The correlationIds each simulator stores. */
export function storedIds(simulators: Simulators): Record<ProcessorName, string[]> {
  const ids = (p: RunningProcessor) => [...p.state.ledger.values()].map((s) => s.correlationId);
  return { default: ids(simulators.default), fallback: ids(simulators.fallback) };
}

/** The correlationIds booked in our Redis per processor (the ledger's sorted sets). */
export async function bookedIds(
  redis: Redis,
  keys: Keys,
): Promise<Record<ProcessorName, string[]>> {
  const out = { default: [] as string[], fallback: [] as string[] };
  for (const name of PROCESSOR_NAMES) {
    const amounts = await redis.send(["SMEMBERS", keys.amounts(name)]) as string[];
    for (const cents of amounts) {
      const members = await redis.send(["ZRANGE", keys.settled(name, cents), 0, -1]) as string[];
      out[name].push(...members);
    }
  }
  return out;
}

/** Entries still waiting or held: the queue plus every processing list. */
export async function backlog(redis: Redis, keys: Keys): Promise<number> {
  let total = await redis.send(["LLEN", keys.queue]) as number;
  for await (const found of redis.scan(keys.processingPattern)) {
    for (const key of found) total += await redis.send(["LLEN", key]) as number;
  }
  return total;
}

/** An API instance run as a child process (`deno run src/main.ts`). */
export interface Instance {
  name: string;
  instanceId: string;
  url: string;
  process: ManagedProcess;
}

/** Options of {@link spawnInstance}. */
export interface InstanceOptions {
  instanceId: string;
  redisUrl: string;
  redisPrefix: string;
  simulators: Simulators;
  /** Port to listen on; a free one by default (a restart passes the old one). */
  port?: number;
  /** More environment variables (src/config.ts). */
  env?: Record<string, string>;
}

/** Spawns an instance; {@link waitHealthy} tells when it serves. */
export function spawnInstance(options: InstanceOptions): Instance {
  const port = options.port ?? freePort();
  const process = new ManagedProcess({
    name: options.instanceId,
    command: Deno.execPath(),
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-sys",
      `${REPO_ROOT}/src/main.ts`,
    ],
    cwd: REPO_ROOT,
    env: {
      PORT: String(port),
      HOSTNAME_BIND: "127.0.0.1",
      SOCKET_PATH: "",
      REUSE_PORT: "",
      REDIS_URL: options.redisUrl,
      REDIS_PREFIX: options.redisPrefix,
      INSTANCE_ID: options.instanceId,
      PROCESSOR_DEFAULT_URL: options.simulators.default.url,
      PROCESSOR_FALLBACK_URL: options.simulators.fallback.url,
      ...options.env,
    },
    output: Deno.env.get("E2E_VERBOSE") ? "prefix" : "quiet",
    tailLines: 400,
  });
  return {
    name: options.instanceId,
    instanceId: options.instanceId,
    url: `http://127.0.0.1:${port}`,
    process,
  };
}

/** Resolves once `GET /healthcheck` answers 200. */
export async function waitHealthy(instance: Instance, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${instance.name} healthy`,
    async () => {
      if (instance.process.exited) {
        throw new Error(`${instance.name} exited:\n${instance.process.tail()}`);
      }
      const response = await fetch(`${instance.url}/healthcheck`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.body?.cancel();
      return response.status === 200;
    },
    timeoutMs,
    { describe: () => instance.process.tail() },
  );
}

/** The last output lines of every instance, for assertion messages. */
export function logs(instances: readonly Instance[]): string {
  return instances.map((i) => `--- ${i.name} (pid ${i.process.pid}) ---\n${i.process.tail()}`)
    .join("\n");
}

/**
 * `POST /payments` once; resolves with the status, or 0 when no answer came (refused, reset,
 * timed out).
 */
export async function postPayment(
  url: string,
  correlationId: string,
  amount = 20.05,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<number> {
  try {
    const response = await fetch(`${url}/payments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ correlationId, amount }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

/** `GET path` once; resolves with the status, or 0 when no answer came. */
export async function getStatus(url: string, timeoutMs = 5_000): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

/** One POST of a load run: where it went and what came back. */
export interface Posted {
  id: string;
  target: string;
  status: number;
  /** When the answer came, epoch ms. */
  at: number;
}

/** Options of {@link postLoad}. */
export interface LoadOptions {
  /** Picks the base URL for the i-th payment (e.g. round-robin over live instances). */
  target: (i: number) => string;
  concurrency: number;
  /** Pause of each sender between requests, ms (spreads the load over time). */
  pauseMs?: number;
  /** Called after each answer, e.g. to inject a fault at some point of the run. */
  onAnswer?: (done: number) => void;
}

/** Posts one payment per id with at most `concurrency` in flight. */
export async function postLoad(ids: readonly string[], options: LoadOptions): Promise<Posted[]> {
  const posted: Posted[] = new Array(ids.length);
  let next = 0;
  let done = 0;
  const sender = async () => {
    while (next < ids.length) {
      const i = next++;
      const target = options.target(i);
      const status = await postPayment(target, ids[i]);
      posted[i] = { id: ids[i], target, status, at: Date.now() };
      options.onAnswer?.(++done);
      if (options.pauseMs) await delay(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  return posted;
}

/**
 * Waits until nothing is waiting or held in Redis and every payment a processor stores is booked
 * (and the reverse), stable over two polls.
 *
 * @returns how long the drain took, ms.
 */
export async function waitDrained(
  redis: Redis,
  keys: Keys,
  simulators: Simulators,
  timeoutMs: number,
  describe: () => string,
): Promise<number> {
  const start = Date.now();
  let stable = 0;
  let last = "";
  await waitFor(
    "the backlog to drain and bookings to match the processors",
    async () => {
      const [left, booked] = await Promise.all([backlog(redis, keys), bookedIds(redis, keys)]);
      const stored = storedIds(simulators);
      const snapshot =
        `backlog ${left}, booked ${booked.default.length}/${booked.fallback.length}` +
        `, stored ${stored.default.length}/${stored.fallback.length}`;
      const settled = left === 0 && booked.default.length === stored.default.length &&
        booked.fallback.length === stored.fallback.length;
      stable = settled && snapshot === last ? stable + 1 : 0;
      last = snapshot;
      return stable >= 2;
    },
    timeoutMs,
    { pollMs: 500, describe: () => `last: ${last}\n${describe()}` },
  );
  return Date.now() - start;
}

/** Counts per processor and the outcome of the exactly-once checks. */
export interface Audit {
  accepted: number;
  stored: Record<ProcessorName, number>;
  booked: Record<ProcessorName, number>;
  /** Accepted (202) but stored by no processor. */
  lost: string[];
  /** Stored by both processors, or twice by one. */
  duplicated: string[];
}

/**
 * Checks: every accepted payment is stored by exactly one processor; nothing is stored that was
 * not posted; our bookings equal what each processor stores (so each is booked exactly once, at
 * the right processor).
 */
export async function auditExactlyOnce(
  redis: Redis,
  keys: Keys,
  simulators: Simulators,
  posted: readonly Posted[],
  describe: () => string,
): Promise<Audit> {
  const stored = storedIds(simulators);
  const booked = await bookedIds(redis, keys);
  const accepted = posted.filter((p) => p.status === 202).map((p) => p.id);
  const sent = new Set(posted.map((p) => p.id));
  const storedAll = [...stored.default, ...stored.fallback];
  const counts = new Map<string, number>();
  for (const id of storedAll) counts.set(id, (counts.get(id) ?? 0) + 1);
  const audit: Audit = {
    accepted: accepted.length,
    stored: { default: stored.default.length, fallback: stored.fallback.length },
    booked: { default: booked.default.length, fallback: booked.fallback.length },
    lost: accepted.filter((id) => !counts.has(id)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
  };
  const text = () => `${JSON.stringify({ ...audit, lost: audit.lost.length })}\n${describe()}`;
  assert.deepEqual(audit.lost, [], `accepted but never stored: ${text()}`);
  assert.deepEqual(audit.duplicated, [], `stored more than once: ${text()}`);
  assert.ok(storedAll.every((id) => sent.has(id)), `stored but never posted: ${text()}`);
  for (const name of PROCESSOR_NAMES) {
    assert.deepEqual(
      [...booked[name]].sort(),
      [...stored[name]].sort(),
      `${name}: our bookings differ from what the processor stores: ${text()}`,
    );
  }
  return audit;
}

/** A private `redis-server` (no persistence) that a test may pause, kill and restart. */
export class PrivateRedis {
  readonly port: number;
  readonly url: string;
  #process: ManagedProcess | undefined;
  static readonly executable = findExecutable("redis-server");

  constructor() {
    this.port = freePort();
    this.url = `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, empty) and waits until it answers PING. */
  async start(): Promise<void> {
    if (!PrivateRedis.executable) throw new Error("redis-server is not installed");
    this.#process = new ManagedProcess({
      name: `redis-${this.port}`,
      command: PrivateRedis.executable,
      args: [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--enable-debug-command",
        "local",
      ],
      output: "quiet",
    });
    await waitFor(
      `redis-server on ${this.port}`,
      async () => {
        if (this.#process?.exited) throw new Error(this.#process.tail());
        return (await this.cli("PING")).trim() === "PONG";
      },
      20_000,
      { pollMs: 50 },
    );
  }

  /** Runs `redis-cli -p <port> ...args`; resolves with its stdout. */
  async cli(...args: string[]): Promise<string> {
    const output = await new Deno.Command("redis-cli", {
      args: ["-p", String(this.port), ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(output.stdout);
  }

  /** Hard kill: SIGKILL, wait for the exit. Everything in it is lost (no persistence). */
  async kill(): Promise<void> {
    await this.#process?.stop("SIGKILL", 5_000);
  }

  /** Stops the server if it runs. */
  async stop(): Promise<void> {
    await this.#process?.stop("SIGKILL", 5_000);
  }
}
