/**
 * Self-fencing after a heartbeat lapse (README "Guarantees"): when an instance finds its heartbeat
 * key gone (peers may have presumed it dead and recovered its list), it interrupts every
 * settlement and restarts its pipeline. Here a peer's recovery is played by hand: the heartbeat is
 * deleted and the processing list moved back to the queue as recovery.ts would. Every payment
 * must still end stored by exactly one processor and booked once.
 */
import assert from "node:assert/strict";
import type { App } from "../../src/app.ts";
import { startTestApp } from "../support/app.ts";
import { keysFor } from "../../src/store/keys.ts";
import { Recovery } from "../../src/store/recovery.ts";
import { Redis } from "../../src/store/redis/client.ts";
import { type RunningProcessor, startProcessor } from "../../tools/simulator/server.ts";
import { deleteKeys, TEST_REDIS_URL, testPrefix } from "../support/redis.ts";

const PAYMENTS = 300;

Deno.test("a heartbeat lapse restarts the pipeline and nothing is lost or doubled", async () => {
  const prefix = testPrefix();
  const keys = keysFor(prefix);
  const redis = await Redis.connect(TEST_REDIS_URL, { name: "test-lapse" });
  const processors: RunningProcessor[] = [
    startProcessor({ port: 0, fee: "0.05", delayMs: 400 }),
    startProcessor({ port: 0, fee: "0.15", delayMs: 400 }),
  ];
  const instanceId = `lapse-${crypto.randomUUID().slice(0, 8)}`;
  let app: App | undefined;
  try {
    let base: string;
    ({ app, base } = await startTestApp({
      REDIS_PREFIX: prefix,
      INSTANCE_ID: instanceId,
      PROCESSOR_DEFAULT_URL: processors[0].url,
      PROCESSOR_FALLBACK_URL: processors[1].url,
      SHUTDOWN_TIMEOUT_MS: "4000",
    }));
    const ids = Array.from({ length: PAYMENTS }, () => crypto.randomUUID());
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids.slice(i, i + 50).map(async (correlationId) => {
          const response = await fetch(`${base}/payments`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ correlationId, amount: 20.05 }),
          });
          assert.equal(response.status, 202);
          await response.body?.cancel();
        }),
      );
    }
    // Play the peer: the heartbeat is gone and the list is recovered while payments are in flight.
    await redis.send(["DEL", keys.heartbeat(instanceId)]);
    const recovered = await new Recovery(redis, keys).recover(instanceId, { onlyIfDead: true });
    assert.ok(typeof recovered === "number" && recovered > 0, `recovered ${recovered}`);

    const deadline = Date.now() + 60_000;
    let stored = 0;
    while (Date.now() < deadline) {
      stored = processors.reduce((sum, p) => sum + p.state.ledger.size, 0);
      const backlog = await redis.send(["LLEN", keys.queue]) as number;
      const held = await redis.send(["LLEN", keys.processing(instanceId)]) as number;
      if (stored === PAYMENTS && backlog === 0 && held === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(stored, PAYMENTS, "every payment stored once in all (no id at both)");
    for (const id of ids) {
      const at = processors.filter((p) => p.state.ledger.get(id) !== undefined).length;
      assert.equal(at, 1, `${id} stored by ${at} processors`);
    }
    const summary = await (await fetch(`${base}/payments-summary`)).json();
    assert.equal(summary.default.totalRequests, processors[0].state.ledger.size);
    assert.equal(summary.fallback.totalRequests, processors[1].state.ledger.size);
  } finally {
    await app?.stop();
    await Promise.all(processors.map((p) => p.shutdown()));
    await deleteKeys(redis, prefix);
    await redis.close();
  }
});
