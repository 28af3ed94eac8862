/**
 * Bookings: payments confirmed by a processor, with the exact requestedAt it stored, and the
 * summary computed from them (docs/CONTRACT.md §1, §6.1).
 *
 * Layout: one sorted set per (processor, amount in cents), members correlationIds, scores
 * requestedAt in epoch ms, plus a set of the amounts seen per processor. A summary is then
 * `ZCOUNT` per amount — O(amounts × log n), atomic across both processors — instead of a scan
 * over every booking. Keys built inside the summary script from a prefix: standalone Redis only.
 *
 * @module
 */
import { type Settlement } from "../domain/payment.ts";
import { PROCESSOR_NAMES, type ProcessorName } from "../domain/processor.ts";
import type { Keys } from "./keys.ts";
import { type Redis, Script } from "./redis/client.ts";

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
export interface ProcessorTotals {
  totalRequests: number;
  totalCents: number;
}

/** Totals per processor. */
export type Summary = Record<ProcessorName, ProcessorTotals>;

/** Result of {@link Ledger.book}. */
export interface BookResult {
  /** Newly booked. */
  booked: number;
  /** Already booked before (a replay after a fault): acknowledged, not booked twice. */
  skipped: number;
}

/** Reads and writes bookings. */
export class Ledger {
  readonly #redis: Redis;
  readonly #keys: Keys;

  constructor(redis: Redis, keys: Keys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /**
   * Books settlements and acknowledges them off `processingKey`, atomically for the batch.
   * Idempotent: a settlement booked before is acknowledged and counted as skipped, so a batch
   * may be retried after a Redis error without booking twice.
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
        this.#keys.settled(processor, payment.amountCents),
        this.#keys.settled(other, payment.amountCents),
        this.#keys.amounts(processor),
      );
      args.push(payment.correlationId, requestedAt, payment.amountCents, payment.raw);
    }
    const [booked, skipped] = await BOOK.run(this.#redis, keys, args) as number[];
    return { booked, skipped };
  }

  /**
   * Totals of bookings whose requestedAt lies in `[fromMs, toMs]`, inclusive at both ends;
   * without a range, every booking (docs/CONTRACT.md §1).
   */
  async summary(range?: { fromMs: number; toMs: number }): Promise<Summary> {
    const [dc, dt, fc, ft] = await SUMMARY.run(
      this.#redis,
      PROCESSOR_NAMES.map((name) => this.#keys.amounts(name)),
      [
        range ? range.fromMs : "-inf",
        range ? range.toMs : "+inf",
        ...PROCESSOR_NAMES.map((name) => this.#keys.settled(name, "")),
      ],
    ) as number[];
    return {
      default: { totalRequests: dc, totalCents: dt },
      fallback: { totalRequests: fc, totalCents: ft },
    };
  }
}
