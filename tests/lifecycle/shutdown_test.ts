/**
 * The shutdown order (src/lifecycle/shutdown.ts) with fake parts that log what is done to them:
 * the exact order, the deadline shares, and that a failed heartbeat deletion does not stop it.
 */
import assert from "node:assert/strict";
import { shutDown } from "../../src/lifecycle/shutdown.ts";

/** Fake instance parts; every call is appended to `log`. */
function fakeParts(options: { clearFails?: boolean; serverHangs?: boolean } = {}) {
  const log: string[] = [];
  const loop = (name: string) => {
    const stop = Promise.withResolvers<void>();
    return {
      abort: () => {
        log.push(`${name}.abort`);
        stop.resolve();
      },
      done: stop.promise.then(() => void log.push(`${name}.done`)),
    };
  };
  const parts = {
    instanceId: "api-test",
    supervisor: {
      beginShutdown: () => void log.push("supervisor.beginShutdown"),
      stopPipeline: (deadlineMs: number) =>
        Promise.resolve(void log.push(`supervisor.stopPipeline(${deadlineMs})`)),
    },
    recovery: loop("recovery"),
    server: {
      shutdown: () => {
        log.push("server.shutdown");
        return options.serverHangs ? new Promise<void>(() => {}) : Promise.resolve();
      },
    },
    heartbeatLoop: loop("heartbeatLoop"),
    heartbeat: {
      clear: () => {
        log.push("heartbeat.clear");
        return options.clearFails ? Promise.reject(new Error("redis down")) : Promise.resolve(true);
      },
    },
    poller: loop("poller"),
    clients: {
      default: { close: () => void log.push("default.close") },
      fallback: { close: () => void log.push("fallback.close") },
    },
    closeRedis: () => Promise.resolve(void log.push("closeRedis")),
  };
  return { parts, log };
}

/** What shutdown does, in order (a loop's `.done` is logged when it ends, checked apart). */
const ORDER = [
  "supervisor.beginShutdown",
  "recovery.abort",
  "server.shutdown",
  "supervisor.stopPipeline(4000)",
  "heartbeatLoop.abort",
  "heartbeat.clear",
  "poller.abort",
  "default.close",
  "fallback.close",
  "closeRedis",
];

/** Checks the order of the actions, and that each awaited loop had ended before the next step. */
function assertOrder(log: string[], order = ORDER) {
  assert.deepEqual(log.filter((step) => !step.endsWith(".done")), order);
  const before = (first: string, then: string) =>
    assert.ok(
      log.indexOf(first) >= 0 && log.indexOf(first) < log.indexOf(then),
      `${first} < ${then}`,
    );
  before("recovery.done", "heartbeat.clear");
  before("heartbeatLoop.done", "heartbeat.clear");
  before("poller.done", "default.close");
}

Deno.test("shutdown stops the parts in order, workers getting half the deadline", async () => {
  const { parts, log } = fakeParts();
  await shutDown(parts, 8_000);
  assertOrder(log);
});

Deno.test("shutdown goes on when a heartbeat deletion fails (the key then expires)", async () => {
  const { parts, log } = fakeParts({ clearFails: true });
  await shutDown(parts, 8_000);
  assertOrder(log);
});

Deno.test("shutdown stops waiting for open requests after a quarter of the deadline", async () => {
  const { parts, log } = fakeParts({ serverHangs: true });
  await shutDown(parts, 8); // 2 ms for the requests; only the order is asserted
  assertOrder(log, ORDER.map((step) => step.replace("(4000)", "(4)")));
});
