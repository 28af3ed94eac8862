/**
 * src/lifecycle/startup.ts: start-up before the pipeline (what an earlier run with this id left
 * in its processing list goes back to the queue, and the heartbeat is set; needs Redis), what
 * /healthcheck and /metrics show before the pipeline starts, undoing a failed step, and a
 * background loop's stop switch.
 */
import assert from "node:assert/strict";
import { healthReport } from "../../src/http/health.ts";
import { collectMetrics } from "../../src/http/metrics.ts";
import { background, BEFORE_PIPELINE, comeAlive, undoing } from "../../src/lifecycle/startup.ts";
import { representativeSources } from "../http/metrics/fixture.ts";
import { parseExposition, value } from "../http/metrics/parse.ts";
import { withRedis } from "../support/redis.ts";

Deno.test("before the pipeline starts: intake open, /healthcheck not ok, /metrics all zero", async () => {
  const sources = { ...representativeSources(), supervisor: BEFORE_PIPELINE };
  const health = await healthReport(sources);
  assert.equal(health.ok, false);
  assert.deepEqual(health.buffered, { fetched: 0, settled: 0 });
  assert.deepEqual(health.booked, { booked: 0, skipped: 0 });
  const metrics = parseExposition(await collectMetrics(sources));
  assert.equal(value(metrics, "rinha_accepting"), 1);
  assert.equal(value(metrics, "rinha_payments_booked_total"), 0);
});

Deno.test("undoing runs the undo, then rejects with the step's own error", async () => {
  const steps: string[] = [];
  const failure = new Error("bind failed");
  const undo = undoing(() => Promise.resolve(void steps.push("closed")));
  await assert.rejects(Promise.reject(failure).catch(undo), (error) => error === failure);
  assert.deepEqual(steps, ["closed"]);
});

Deno.test("a background task runs at once, and abort stops it; done settles after", async () => {
  let seen: AbortSignal | undefined;
  const task = background((signal) => {
    seen = signal;
    return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
  });
  assert.equal(seen?.aborted, false);
  task.abort();
  task.abort(); // idempotent
  assert.equal(seen?.aborted, true);
  await task.done;
});

const ENTRY = "00000000-0000-4000-8000-000000000001:2005";

Deno.test("comeAlive takes back the list of this id's last run, then beats the heartbeat", () =>
  withRedis(async (redis, keys) => {
    await redis.send(["LPUSH", keys.processing("api9"), ENTRY]);
    const before = Date.now();
    const heartbeat = await comeAlive(redis, keys, "api9");
    assert.equal(await redis.send(["LLEN", keys.processing("api9")]), 0);
    assert.equal(await redis.send(["LLEN", keys.queue]), 1);
    assert.equal(await redis.send(["EXISTS", keys.heartbeat("api9")]), 1);
    assert.ok(heartbeat.lastBeatAt >= before);
  }));

Deno.test("comeAlive with nothing left over only beats the heartbeat", () =>
  withRedis(async (redis, keys) => {
    await comeAlive(redis, keys, "api9");
    assert.equal(await redis.send(["LLEN", keys.queue]), 0);
    assert.equal(await redis.send(["EXISTS", keys.heartbeat("api9")]), 1);
  }));
