/**
 * Crash recovery end to end (docs/GUARANTEES.md): two API instances (child processes) and two
 * Payment Processor simulators with a delay, so payments are in flight when an instance is killed
 * with SIGKILL.
 *
 * 1. 1,000 payments over both instances; api1 is SIGKILLed after 400 answers. The survivor must
 *    recover api1's processing list (heartbeat gone) and finish its payments.
 * 2. api1 restarts; 500 more payments; api2 is SIGKILLed after 200 answers and restarted at once
 *    with the same id: it takes its own list back at start-up (its heartbeat has not expired).
 *
 * Then every accepted (202) payment must be stored by exactly one processor and booked exactly
 * once, at that processor (docs/CONTRACT.md §6.1–6.2). Needs Redis at 127.0.0.1:6379 (or `REDIS_URL`);
 * keys under `test:<uuid>:`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { keysFor } from "../../src/store/keys.ts";
import { Redis } from "../../src/store/redis/client.ts";
import {
  auditExactlyOnce,
  type Instance,
  logs,
  type Posted,
  postLoad,
  spawnInstance,
  startSimulators,
  waitDrained,
  waitFor,
  waitHealthy,
} from "../support/cluster.ts";
import { deleteKeys, TEST_REDIS_URL, testPrefix } from "../support/redis.ts";

/** Processor delay: long enough for payments to be in flight at the kill. */
const PROCESSOR_DELAY_MS = 200;
const CONCURRENCY = 32;
/** Generous: recovered payments wait the ambiguity horizon before being sent anywhere. */
const DRAIN_TIMEOUT_MS = 180_000;

Deno.test("e2e crash: SIGKILLed instances lose nothing and book nothing twice", async () => {
  const simulators = startSimulators(PROCESSOR_DELAY_MS);
  const redis = await Redis.connect(TEST_REDIS_URL, { name: "test-crash" });
  const keys = keysFor(testPrefix());
  const everyInstance: Instance[] = [];
  const spawn = (instanceId: string, port?: number) => {
    const instance = spawnInstance({
      instanceId,
      port,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: keys.prefix,
      simulators,
      // Horizon = timeout + 2 s: recovered payments wait 5 s, not 10, before any resend.
      env: { PAYMENT_TIMEOUT_MS: "3000" },
    });
    everyInstance.push(instance);
    return instance;
  };
  const describe = () => logs(everyInstance);
  const held = async (id: string) => await redis.send(["LLEN", keys.processing(id)]) as number;
  try {
    let api1 = spawn("api1");
    let api2 = spawn("api2");
    await Promise.all([waitHealthy(api1), waitHealthy(api2)]);
    const alive = new Set([api1.url, api2.url]);
    const target = (i: number) => {
      const urls = [...alive];
      return urls[i % urls.length] ?? api2.url;
    };
    const kill = (instance: Instance, inFlight: number[]) => {
      alive.delete(instance.url);
      held(instance.instanceId).then((n) => inFlight.push(n)).finally(() =>
        instance.process.stop("SIGKILL")
      );
    };

    // Phase 1: api1 dies mid-load; api2 must recover its list.
    const heldAtKill1: number[] = [];
    const phase1Ids = Array.from({ length: 1_000 }, () => crypto.randomUUID());
    const phase1 = await postLoad(phase1Ids, {
      target,
      concurrency: CONCURRENCY,
      onAnswer: (done) => done === 400 && kill(api1, heldAtKill1),
    });
    await api1.process.status;
    const killedAt = Date.now();
    await waitFor(
      "api2 to recover api1's processing list",
      async () => {
        return await held("api1") === 0;
      },
      60_000,
      { describe },
    );
    const recoveredAfterMs = Date.now() - killedAt;

    // Phase 2: api1 back; api2 dies and restarts at once with the same id (own recovery).
    const port1 = Number(new URL(api1.url).port);
    api1 = spawn("api1", port1);
    await waitHealthy(api1);
    alive.add(api1.url);
    const heldAtKill2: number[] = [];
    const phase2Ids = Array.from({ length: 500 }, () => crypto.randomUUID());
    let restarted: Promise<void> | undefined;
    const phase2 = await postLoad(phase2Ids, {
      target,
      concurrency: CONCURRENCY,
      onAnswer: (done) => {
        if (done !== 200) return;
        const old = api2;
        kill(old, heldAtKill2);
        restarted = old.process.status.then(async () => {
          api2 = spawn("api2", Number(new URL(old.url).port));
          await waitHealthy(api2);
          alive.add(api2.url);
        });
      },
    });
    await restarted;

    const posted: Posted[] = [...phase1, ...phase2];
    const drainMs = await waitDrained(redis, keys, simulators, DRAIN_TIMEOUT_MS, describe);
    const audit = await auditExactlyOnce(redis, keys, simulators, posted, describe);
    const survivorLog = everyInstance.map((i) => i.process.tail()).join("\n");
    const recoveredByPeer = [...survivorLog.matchAll(/recovered (\d+) payments of dead instance/g)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    const recoveredOwn = [...survivorLog.matchAll(/recovered (\d+) payments of its last run/g)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    console.log(
      `crash: posted ${posted.length}, accepted ${audit.accepted}, no answer ` +
        `${posted.filter((p) => p.status === 0).length}; held at kill api1 ${heldAtKill1}, ` +
        `api2 ${heldAtKill2}; recovered by peer ${recoveredByPeer} (${recoveredAfterMs} ms after ` +
        `the kill), by restart ${recoveredOwn}; stored ${JSON.stringify(audit.stored)}, booked ` +
        `${JSON.stringify(audit.booked)}, lost ${audit.lost.length}, duplicated ` +
        `${audit.duplicated.length}; drained ${drainMs} ms after the load`,
    );
    assert.ok(audit.accepted >= 1_300, `most POSTs accepted: ${audit.accepted}`);
    assert.ok(recoveredByPeer > 0, `api2 recovered api1's payments\n${describe()}`);
  } finally {
    await Promise.all(everyInstance.map((i) => i.process.stop("SIGTERM", 15_000)));
    await simulators.shutdown();
    await deleteKeys(redis, keys.prefix);
    await redis.close();
  }
});
