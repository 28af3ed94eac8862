/**
 * The payments summary (`GET /payments-summary`, docs/CONTRACT.md §1, §6.1): how many payments
 * each processor stored and their total, in integer cents, over a requestedAt range, computed from
 * the bookings (ledger.ts) by one script of `ZCOUNT`s (docs/DESIGN.md "Ingress"). The script builds
 * the sorted sets' names from `keys.settledPrefix`, so it needs a standalone Redis (no cluster).
 *
 * @module
 */
import { PROCESSOR_NAMES, type ProcessorName } from "../domain/processor.ts";
import { Script } from "./redis/client.ts";
import { Store } from "./store.ts";

// KEYS: amounts default, amounts fallback. ARGV: min, max, settled prefix default, fallback.
const SUMMARY = new Script(`
local out = {}
for p = 1, 2 do
  local count, cents = 0, 0
  for _, amount in ipairs(redis.call('SMEMBERS', KEYS[p])) do
    local n = redis.call('ZCOUNT', ARGV[2 + p] .. amount, ARGV[1], ARGV[2])
    count = count + n
    cents = cents + n * tonumber(amount)
  end
  out[2 * p - 1], out[2 * p] = count, cents
end
return out`);

/** Totals of one processor: a count and an amount in integer cents. */
interface ProcessorTotals {
  totalRequests: number;
  totalCents: number;
}

/** Totals per processor. */
export type Summary = Record<ProcessorName, ProcessorTotals>;

/** Computes summaries from the bookings. */
export class SummaryReader extends Store {
  /**
   * Totals of bookings whose requestedAt (epoch ms) lies in `[fromMs, toMs]`, inclusive; without a
   * range, every booking (docs/CONTRACT.md §1). Throws the Redis error.
   */
  async read(range?: { fromMs: number; toMs: number }): Promise<Summary> {
    const [dc, dt, fc, ft] = await SUMMARY.run(
      this.redis,
      PROCESSOR_NAMES.map((name) => this.keys.amounts(name)),
      [
        range ? range.fromMs : "-inf",
        range ? range.toMs : "+inf",
        ...PROCESSOR_NAMES.map((name) => this.keys.settledPrefix(name)),
      ],
    ) as number[];
    return {
      default: { totalRequests: dc, totalCents: dt },
      fallback: { totalRequests: fc, totalCents: ft },
    };
  }
}
