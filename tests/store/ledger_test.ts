import assert from "node:assert/strict";
import { Ledger } from "../../src/store/ledger.ts";
import { PaymentQueue } from "../../src/store/queue.ts";
import { SummaryReader } from "../../src/store/summary.ts";
import { withRedis } from "../support/redis.ts";
import { id, settlement, T } from "./settlements.ts";

Deno.test("book writes each settlement once and acknowledges it off the processing list", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "i1");
    await queue.enqueue({ correlationId: id(1), amountCents: 2005 });
    await queue.enqueue({ correlationId: id(2), amountCents: 2005 });
    await queue.take(2);
    const ledger = new Ledger(redis, keys);
    const batch = [settlement(1, "default", T), settlement(2, "fallback", T + 1)];
    assert.deepEqual(await ledger.book(queue.processingKey, batch), { booked: 2, skipped: 0 });
    assert.equal(await queue.processingLength(), 0);
    assert.deepEqual(await ledger.book(queue.processingKey, batch), { booked: 0, skipped: 2 });
    const crossed = [settlement(1, "fallback", T)];
    assert.deepEqual(await ledger.book(queue.processingKey, crossed), { booked: 0, skipped: 1 });
    assert.deepEqual(await new SummaryReader(redis, keys).read(), {
      default: { totalRequests: 1, totalCents: 2005 },
      fallback: { totalRequests: 1, totalCents: 2005 },
    });
  }));
