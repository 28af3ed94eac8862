import assert from "node:assert/strict";
import { Ledger } from "../../src/store/ledger.ts";
import { SummaryReader } from "../../src/store/summary.ts";
import { withRedis } from "../support/redis.ts";
import { settlement, T } from "./settlements.ts";

Deno.test("summary bounds are inclusive at the exact millisecond, per amount and processor", () =>
  withRedis(async (redis, keys) => {
    await new Ledger(redis, keys).book(keys.processing("i1"), [
      settlement(1, "default", T - 1),
      settlement(2, "default", T),
      settlement(3, "default", T + 500, 1990),
      settlement(4, "default", T + 1000),
      settlement(5, "default", T + 1001),
      settlement(6, "fallback", T, 1),
      settlement(7, "fallback", T + 1001, 99999),
    ]);
    const summaries = new SummaryReader(redis, keys);
    assert.deepEqual(await summaries.read({ fromMs: T, toMs: T + 1000 }), {
      default: { totalRequests: 3, totalCents: 2005 + 1990 + 2005 },
      fallback: { totalRequests: 1, totalCents: 1 },
    });
    assert.deepEqual(await summaries.read({ fromMs: T, toMs: T }), {
      default: { totalRequests: 1, totalCents: 2005 },
      fallback: { totalRequests: 1, totalCents: 1 },
    });
    assert.deepEqual(await summaries.read({ fromMs: T + 2000, toMs: T + 3000 }), {
      default: { totalRequests: 0, totalCents: 0 },
      fallback: { totalRequests: 0, totalCents: 0 },
    });
    assert.deepEqual(await summaries.read(), {
      default: { totalRequests: 5, totalCents: 4 * 2005 + 1990 },
      fallback: { totalRequests: 2, totalCents: 1 + 99999 },
    });
  }));
