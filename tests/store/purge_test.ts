import assert from "node:assert/strict";
import { Ledger } from "../../src/store/ledger.ts";
import { Purge } from "../../src/store/purge.ts";
import { PaymentQueue } from "../../src/store/queue.ts";
import { SummaryReader } from "../../src/store/summary.ts";
import { withRedis } from "../support/redis.ts";
import { id, settlement, T } from "./settlements.ts";

Deno.test("purge deletes this prefix's payment state and nothing else", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "i1");
    await queue.enqueue({ correlationId: id(1), amountCents: 2005 });
    await queue.enqueue({ correlationId: id(2), amountCents: 2005 });
    await queue.take(1);
    await new Ledger(redis, keys).book(keys.processing("i2"), [settlement(3, "default", T)]);
    await redis.send(["SET", keys.health, "{}"]);
    const outsider = `${keys.prefix.slice(0, -1)}-other:queue`;
    await redis.send(["SET", outsider, "keep"]);
    try {
      assert.ok(await new Purge(redis, keys).payments() >= 5);
      assert.equal(await queue.length(), 0);
      assert.equal(await queue.processingLength(), 0);
      assert.equal(await queue.enqueue({ correlationId: id(1), amountCents: 2005 }), "accepted");
      assert.equal((await new SummaryReader(redis, keys).read()).default.totalRequests, 0);
      assert.equal(await redis.send(["GET", keys.health]), "{}");
      assert.equal(await redis.send(["GET", outsider]), "keep");
    } finally {
      await redis.send(["DEL", outsider]);
    }
  }));
