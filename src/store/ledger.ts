/**
 * Bookings: payments confirmed by a processor, with the exact requestedAt it stored
 * (docs/CONTRACT.md §1, §6.1), in the layout of docs/DESIGN.md "Persist stage" (keys.ts `settled`,
 * `amounts`). The totals computed from them: summary.ts.
 *
 * @module
 */
import type { Settlement } from "../domain/payment.ts";
import { Script } from "./redis/client.ts";
import { Store } from "./store.ts";

// KEYS[1]: processing list; per settlement i (0-based) at 2+3i: own set, other set, own amounts.
// ARGV per settlement at 1+4i: correlationId, requestedAt, cents, processing entry.
// Books unless already booked at either processor, and always acknowledges the entry.
const BOOK = new Script(`
local booked, skipped = 0, 0
for i = 0, #ARGV / 4 - 1 do
  local k, a = 2 + 3 * i, 1 + 4 * i
  if redis.call('ZSCORE', KEYS[k + 1], ARGV[a]) then
    skipped = skipped + 1
  elseif redis.call('ZADD', KEYS[k], 'NX', ARGV[a + 1], ARGV[a]) == 1 then
    redis.call('SADD', KEYS[k + 2], ARGV[a + 2])
    booked = booked + 1
  else
    skipped = skipped + 1
  end
  redis.call('LREM', KEYS[1], 1, ARGV[a + 3])
end
return {booked, skipped}`);

/** Result of {@link Ledger.book}: newly booked, and already booked before (a replay). */
export interface BookResult {
  booked: number;
  skipped: number;
}

/** Writes bookings. */
export class Ledger extends Store {
  /**
   * Books settlements and acknowledges them off `processingKey`, atomically for the batch, and
   * idempotently: a settlement booked before is acknowledged and counted as skipped.
   *
   * @throws the Redis error; then nothing of the batch was written.
   */
  async book(processingKey: string, settlements: readonly Settlement[]): Promise<BookResult> {
    if (settlements.length === 0) return { booked: 0, skipped: 0 };
    const keys = [processingKey];
    const args: (string | number)[] = [];
    for (const { payment, processor, requestedAt } of settlements) {
      const other = processor === "default" ? "fallback" : "default";
      keys.push(
        this.keys.settled(processor, payment.amountCents),
        this.keys.settled(other, payment.amountCents),
        this.keys.amounts(processor),
      );
      args.push(payment.correlationId, requestedAt, payment.amountCents, payment.raw);
    }
    const [booked, skipped] = await BOOK.run(this.redis, keys, args) as number[];
    return { booked, skipped };
  }
}
