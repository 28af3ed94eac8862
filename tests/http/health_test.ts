/**
 * The /healthcheck body (src/http/health.ts) from fake parts: fit, stopping, Redis unreachable,
 * and a pipeline that is not running.
 */
import assert from "node:assert/strict";
import { healthReport } from "../../src/http/health.ts";

function sources(options: { redisUp?: boolean; accepting?: boolean; running?: boolean } = {}) {
  const { redisUp = true, accepting = true, running = true } = options;
  const read = (n: number) => redisUp ? Promise.resolve(n) : Promise.reject(new Error("down"));
  return {
    instanceId: "api1",
    queue: { length: () => read(7), processingLength: () => read(3) },
    supervisor: {
      accepting,
      pipeline: {
        running,
        buffered: { fetched: 2, settled: 1 },
        counters: { booked: 10, skipped: 1 },
      },
    },
    gate: { state: () => ({ default: "ok" }) },
  };
}

Deno.test("health: ok when Redis answers, the pipeline runs and intake is open", async () => {
  assert.deepEqual(await healthReport(sources()), {
    ok: true,
    status: "ok",
    instanceId: "api1",
    queue: 7,
    processing: 3,
    buffered: { fetched: 2, settled: 1 },
    booked: { booked: 10, skipped: 1 },
    gate: { default: "ok" },
  });
});

Deno.test("health: not ok while stopping, nor with Redis away, nor with the pipeline down", async () => {
  const stopping = await healthReport(sources({ accepting: false }));
  assert.equal(stopping.ok, false);
  assert.equal(stopping.status, "stopping");
  const away = await healthReport(sources({ redisUp: false }));
  assert.equal(away.ok, false);
  assert.equal(away.status, "redis unreachable");
  assert.equal(away.queue, undefined);
  assert.equal(away.processing, undefined);
  const down = await healthReport(sources({ running: false }));
  assert.equal(down.ok, false);
  assert.equal(down.status, "ok");
});
