import assert from "node:assert/strict";
import type { QueuedPayment } from "../../src/domain/payment.ts";
import type { ProcessorName } from "../../src/domain/processor.ts";
import { Ledger } from "../../src/store/ledger.ts";
import { PaymentQueue } from "../../src/store/queue.ts";
import { purgePayments } from "../../src/store/purge.ts";
import { send } from "../../src/store/redis/client.ts";
import { withRedis } from "../support/redis.ts";

const T = Date.UTC(2025, 7, 21, 0, 40, 25, 70);
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function settlement(n: number, processor: ProcessorName, requestedAt: number, amountCents = 2005) {
  const payment: QueuedPayment = {
    correlationId: id(n),
    amountCents,
    raw: `${id(n)}:${amountCents}`,
    attempt: { kind: "none" },
  };
  return { payment, processor, requestedAt };
}

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
    assert.deepEqual(await ledger.summary(), {
      default: { totalRequests: 1, totalCents: 2005 },
      fallback: { totalRequests: 1, totalCents: 2005 },
    });
  }));

Deno.test("summary bounds are inclusive at the exact millisecond, per amount and processor", () =>
  withRedis(async (redis, keys) => {
    const ledger = new Ledger(redis, keys);
    await ledger.book(keys.processing("i1"), [
      settlement(1, "default", T - 1),
      settlement(2, "default", T),
      settlement(3, "default", T + 500, 1990),
      settlement(4, "default", T + 1000),
      settlement(5, "default", T + 1001),
      settlement(6, "fallback", T, 1),
      settlement(7, "fallback", T + 1001, 99999),
    ]);
    assert.deepEqual(await ledger.summary({ fromMs: T, toMs: T + 1000 }), {
      default: { totalRequests: 3, totalCents: 2005 + 1990 + 2005 },
      fallback: { totalRequests: 1, totalCents: 1 },
    });
    assert.deepEqual(await ledger.summary({ fromMs: T, toMs: T }), {
      default: { totalRequests: 1, totalCents: 2005 },
      fallback: { totalRequests: 1, totalCents: 1 },
    });
    assert.deepEqual(await ledger.summary({ fromMs: T + 2000, toMs: T + 3000 }), {
      default: { totalRequests: 0, totalCents: 0 },
      fallback: { totalRequests: 0, totalCents: 0 },
    });
    assert.deepEqual(await ledger.summary(), {
      default: { totalRequests: 5, totalCents: 4 * 2005 + 1990 },
      fallback: { totalRequests: 2, totalCents: 1 + 99999 },
    });
  }));

Deno.test("purge deletes this prefix's payment state and nothing else", () =>
  withRedis(async (redis, keys) => {
    const queue = new PaymentQueue(redis, keys, "i1");
    await queue.enqueue({ correlationId: id(1), amountCents: 2005 });
    await queue.enqueue({ correlationId: id(2), amountCents: 2005 });
    await queue.take(1);
    const ledger = new Ledger(redis, keys);
    await ledger.book(keys.processing("i2"), [settlement(3, "default", T)]);
    await send(redis, ["SET", keys.health, "{}"]);
    const outsider = `${keys.prefix.slice(0, -1)}-other:queue`;
    await send(redis, ["SET", outsider, "keep"]);
    try {
      assert.ok(await purgePayments(redis, keys) >= 5);
      assert.equal(await queue.length(), 0);
      assert.equal(await queue.processingLength(), 0);
      assert.equal(await queue.enqueue({ correlationId: id(1), amountCents: 2005 }), "accepted");
      assert.equal((await ledger.summary()).default.totalRequests, 0);
      assert.equal(await send(redis, ["GET", keys.health]), "{}");
      assert.equal(await send(redis, ["GET", outsider]), "keep");
    } finally {
      await send(redis, ["DEL", outsider]);
    }
  }));
