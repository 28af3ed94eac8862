/**
 * The local stack heals (tools/stack/healer.ts): an instance SIGKILLed under load through the
 * stack's load balancer is restarted by the stack, with the same id, while the other instance,
 * the load balancer and the processors run on; every accepted payment is then stored by exactly
 * one processor and booked exactly once, with no manual step (the restarted instance takes its
 * own processing list back at start, src/lifecycle/startup.ts; a peer recovers it once the dead
 * one's heartbeat expires, docs/GUARANTEES.md).
 *
 * The processors are in-process simulators with a delay, given to the stack by URL, so payments
 * are in flight at the kill and the audit reads what each one stores (tests/support/cluster.ts).
 * Needs Redis at 127.0.0.1:6379 (or `REDIS_URL`); keys under `test:<uuid>:`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { keysFor } from "../../src/store/keys.ts";
import { Redis } from "../../src/store/redis/client.ts";
import { startStack } from "../../tools/stack/stack.ts";
import {
  auditExactlyOnce,
  postLoad,
  startSimulators,
  waitDrained,
  waitFor,
} from "../support/cluster.ts";
import { deleteKeys, TEST_REDIS_URL, testPrefix } from "../support/redis.ts";

/** Processor delay: long enough for payments to be in flight at the kill. */
const PROCESSOR_DELAY_MS = 200;
const PAYMENTS = 1_000;
const KILL_AFTER_ANSWERS = 400;
const CONCURRENCY = 32;
/** Generous: recovered payments wait the ambiguity horizon before being sent anywhere. */
const DRAIN_TIMEOUT_MS = 180_000;

Deno.test("e2e stack: a SIGKILLed instance is restarted; every accepted payment booked once", async () => {
  const simulators = startSimulators(PROCESSOR_DELAY_MS);
  const redis = await Redis.connect(TEST_REDIS_URL, { name: "test-stack-heal" });
  const keys = keysFor(testPrefix());
  const stack = await startStack({
    port: 0,
    defaultUrl: simulators.default.url,
    fallbackUrl: simulators.fallback.url,
    redisUrl: TEST_REDIS_URL,
    redisPrefix: keys.prefix,
    // Horizon = timeout + 2 s: recovered payments wait 5 s, not 10, before any resend.
    instanceEnv: { PAYMENT_TIMEOUT_MS: "3000" },
    output: "quiet",
    readyTimeoutMs: 120_000,
  });
  let failed: string | undefined;
  stack.failed.then((reason) => failed = reason);
  try {
    const api1 = stack.processes.find((p) => p.name === "api1")!;
    const others = stack.processes.filter((p) => p !== api1);
    const ids = Array.from({ length: PAYMENTS }, () => crypto.randomUUID());
    const posted = await postLoad(ids, {
      target: () => stack.url,
      concurrency: CONCURRENCY,
      onAnswer: (done) => done === KILL_AFTER_ANSWERS && Deno.kill(api1.pid, "SIGKILL"),
    });
    await waitFor(
      "the stack to restart api1",
      () => Promise.resolve(stack.logs().includes("api1 is back")),
      60_000,
      { describe: stack.logs },
    );
    const restarted = stack.processes.find((p) => p.name === "api1")!;
    assert.notEqual(restarted.pid, api1.pid, "api1 runs again, as a new process");
    assert.equal(api1.exited, true);

    const drainMs = await waitDrained(redis, keys, simulators, DRAIN_TIMEOUT_MS, stack.logs);
    const audit = await auditExactlyOnce(redis, keys, simulators, posted, stack.logs);
    const logs = stack.logs();
    const recovered = (pattern: RegExp) =>
      [...logs.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);
    console.log(
      `stack heal: posted ${posted.length}, accepted ${audit.accepted}, no answer ` +
        `${posted.filter((p) => p.status === 0).length}; recovered by the restart ` +
        `${recovered(/recovered (\d+) payments of its last run/g)}, by a peer ` +
        `${recovered(/recovered (\d+) payments of dead instance/g)}; stored ` +
        `${JSON.stringify(audit.stored)}, booked ${JSON.stringify(audit.booked)}; drained ` +
        `${drainMs} ms after the load`,
    );
    assert.match(logs, /api1 exited with code 137 \(SIGKILL\) after [\d.]+ s; restarting it in/);
    assert.ok(audit.accepted >= PAYMENTS / 2, `most POSTs accepted: ${audit.accepted}`);
    assert.ok(others.every((p) => !p.exited), `the rest of the stack runs on\n${logs}`);
    assert.equal(restarted.exited, false, "the restarted api1 still runs");
    assert.equal(failed, undefined, "the stack did not fail");
  } finally {
    await stack.stop();
    await simulators.shutdown();
    await deleteKeys(redis, keys.prefix);
    await redis.close();
  }
});
