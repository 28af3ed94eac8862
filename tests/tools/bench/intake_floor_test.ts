import assert from "node:assert/strict";
import { startBaselineStack } from "../../../tools/bench/baseline.ts";
import { findExecutable } from "../../../tools/stack/processes.ts";
import { Redis } from "../../../src/store/redis/client.ts";
import { keysFor } from "../../../src/store/keys.ts";
import { deleteKeys, TEST_REDIS_URL, testPrefix } from "../../support/redis.ts";

const post = (url: string, body: string) =>
  fetch(`${url}/payments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });

// The intake floor is the product's own POST /payments behind the same load balancer: a payment is
// in the queue once it is answered 202, bad input is a 4xx with nothing queued, a replay queues
// nothing more, and the summary is empty (nothing behind the queue).
for (const lb of ["nginx", "reuseport"] as const) {
  Deno.test({
    name: `intake floor (${lb}): 202 only once queued in Redis, 4xx queue nothing`,
    ignore: lb === "nginx" && !findExecutable("nginx"),
    async fn() {
      const prefix = testPrefix();
      const keys = keysFor(prefix);
      const redis = await Redis.connect(TEST_REDIS_URL, { name: "test-floor" });
      const stack = await startBaselineStack({ lb, intake: { redisUrl: TEST_REDIS_URL, prefix } });
      try {
        assert.match(stack.description, /intake-floor instances/);
        assert.equal(stack.processes.filter((p) => !p.exited).length, lb === "nginx" ? 3 : 2);
        const id = crypto.randomUUID();
        const body = JSON.stringify({ correlationId: id, amount: 19.9 });
        const first = await post(stack.url, body);
        assert.equal(first.status, 202);
        await first.body?.cancel();
        assert.equal(await redis.send(["LLEN", keys.queue]), 1);
        const replay = await post(stack.url, body);
        assert.equal(replay.status, 202);
        await replay.body?.cancel();
        const bad = await post(stack.url, `{"correlationId":"x","amount":1}`);
        assert.equal(bad.status, 422);
        assert.match((await bad.json()).error, /correlationId/);
        assert.equal(await redis.send(["LLEN", keys.queue]), 1);
        const summary = await (await fetch(`${stack.url}/payments-summary`)).json();
        assert.deepEqual(summary, {
          default: { totalRequests: 0, totalAmount: 0 },
          fallback: { totalRequests: 0, totalAmount: 0 },
        });
      } finally {
        await stack.stop();
        await deleteKeys(redis, prefix);
        await redis.close();
      }
    },
  });
}
