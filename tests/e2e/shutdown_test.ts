/**
 * Graceful shutdown end to end (docs/DESIGN.md: SIGTERM → stop intake → drain → hand back → exit;
 * docs/GUARANTEES.md): api1 gets SIGTERM while two instances are under load, with processor
 * delays so payments are in flight.
 *
 * Checks: once api1 refuses a POST (503, or no connection after its server closed) it never
 * answers 202 again; it exits with code 0 within its 8 s deadline; it leaves nothing in its
 * processing list and removes its heartbeat; and every payment accepted by anyone is stored by
 * exactly one processor and booked exactly once (the survivor finishes what api1 handed back).
 *
 * Needs Redis at 127.0.0.1:6379 (or `REDIS_URL`); keys under `test:<uuid>:`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { keysFor } from "../../src/store/keys.ts";
import { Redis } from "../../src/store/redis/client.ts";
import {
  auditExactlyOnce,
  delay,
  type Instance,
  logs,
  type Posted,
  postLoad,
  postPayment,
  spawnInstance,
  startSimulators,
  waitDrained,
  waitHealthy,
} from "../support/cluster.ts";
import { deleteKeys, TEST_REDIS_URL, testPrefix } from "../support/redis.ts";

const PROCESSOR_DELAY_MS = 250;
const PAYMENTS = 1_200;
const CONCURRENCY = 32;
/** src/config.ts default SHUTDOWN_TIMEOUT_MS: past it main.ts exits with code 1. */
const SHUTDOWN_DEADLINE_MS = 8_000;

Deno.test("e2e shutdown: SIGTERM under load refuses new payments, hands back, exits 0", async () => {
  const simulators = startSimulators(PROCESSOR_DELAY_MS);
  const redis = await Redis.connect(TEST_REDIS_URL, { name: "test-shutdown" });
  const keys = keysFor(testPrefix());
  const instances: Instance[] = ["api1", "api2"].map((instanceId) =>
    spawnInstance({ instanceId, redisUrl: TEST_REDIS_URL, redisPrefix: keys.prefix, simulators })
  );
  const [api1, api2] = instances;
  const describe = () => logs(instances);
  try {
    await Promise.all(instances.map((i) => waitHealthy(i)));
    const alive = [api1.url, api2.url];
    let termAt = 0;
    const probes: Posted[] = [];
    let probing: Promise<void> | undefined;
    const ids = Array.from({ length: PAYMENTS }, () => crypto.randomUUID());
    const load = await postLoad(ids, {
      target: (i) => alive[i % alive.length],
      concurrency: CONCURRENCY,
      onAnswer: (done) => {
        if (done !== 400) return;
        termAt = Date.now();
        api1.process.stop("SIGTERM", 30_000);
        alive.splice(0, 1); // the load balancer would stop sending there
        // Keep posting to api1 directly until it is gone.
        probing = (async () => {
          while (!api1.process.exited) {
            const id = crypto.randomUUID();
            const status = await postPayment(api1.url, id, 20.05, 2_000);
            probes.push({ id, target: api1.url, status, at: Date.now() });
            await delay(20);
          }
        })();
      },
    });
    const exit = await api1.process.status;
    const exitMs = Date.now() - termAt;
    await probing;
    const leftInProcessing = await redis.send(["LLEN", keys.processing("api1")]);
    const heartbeat = await redis.send(["EXISTS", keys.heartbeat("api1")]);

    const posted = [...load, ...probes];
    const drainMs = await waitDrained(redis, keys, simulators, 120_000, describe);
    const audit = await auditExactlyOnce(redis, keys, simulators, posted, describe);
    const firstRefusal = probes.findIndex((p) => p.status !== 202);
    const statuses = (list: Posted[]) =>
      JSON.stringify(Object.fromEntries(
        [...new Set(list.map((p) => p.status))].map((s) => [
          s,
          list.filter((p) => p.status === s).length,
        ]),
      ));
    console.log(
      `shutdown: exit code ${exit.code} ${exitMs} ms after SIGTERM; probes to api1 ` +
        `${statuses(probes)}; processing list left ${leftInProcessing}, heartbeat ${heartbeat}; ` +
        `posted ${posted.length}, accepted ${audit.accepted}; stored ${
          JSON.stringify(audit.stored)
        }, booked ${JSON.stringify(audit.booked)}, lost ${audit.lost.length}, duplicated ` +
        `${audit.duplicated.length}; drained ${drainMs} ms after the load`,
    );
    assert.equal(exit.code, 0, `api1 exits 0 after SIGTERM\n${describe()}`);
    assert.ok(exitMs < SHUTDOWN_DEADLINE_MS + 2_000, `api1 exited ${exitMs} ms after SIGTERM`);
    assert.ok(firstRefusal >= 0, `api1 refused new payments: ${statuses(probes)}`);
    assert.ok(
      probes.slice(firstRefusal).every((p) => p.status === 503 || p.status === 0),
      `after refusing once, api1 never accepts again: ${probes.map((p) => p.status)}`,
    );
    assert.equal(leftInProcessing, 0, "api1 handed back or booked everything it held");
    assert.equal(heartbeat, 0, "api1 removed its heartbeat");
    assert.ok(audit.accepted >= PAYMENTS - CONCURRENCY, `accepted ${audit.accepted}`);
  } finally {
    await Promise.all(instances.map((i) => i.process.stop("SIGTERM", 15_000)));
    await simulators.shutdown();
    await deleteKeys(redis, keys.prefix);
    await redis.close();
  }
});
