/**
 * The payments queue in Redis with the reliable-queue pattern (docs/DESIGN.md "Ingress", "Fetch
 * stage"): intake pushes on the left, an instance moves entries from the right into its own
 * processing list, and an entry leaves that list only when booked (ledger.ts), handed back, or
 * released as an orphan. Another instance's list: recovery.ts.
 *
 * @module
 */
import type { AttemptState, Payment, QueuedPayment } from "../domain/payment.ts";
import { decodeEntry, encodeEntry, REMARK_LUA } from "./entry_codec.ts";
import type { Keys } from "./keys.ts";
import { warn } from "../log.ts";
import { type Redis, Script } from "./redis/client.ts";
import { Store } from "./store.ts";

// KEYS: accepted hash, queue. ARGV: correlationId, cents, entry.
// 1 = accepted, 0 = replay of the same payment, -1 = same id with another amount.
const INTAKE = new Script(`
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev then
  if prev == ARGV[2] then return 0 end
  return -1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[3])
return 1`);

// KEYS: queue, processing list. ARGV: most entries to move.
const TAKE = new Script(`
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local entry = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not entry then break end
  out[i] = entry
end
return out`);

// KEYS: processing list, queue. ARGV: entry to remove, entry to put back (next to be taken).
const HAND_BACK = new Script(`
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0`);

// KEYS: processing list, dead-letter list. ARGV: entry. Keeps the newest 1,000 dead letters.
const DEAD_LETTER = new Script(`
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, 999)
end
return 0`);

// KEYS: processing list, queue. ARGV: recovery time (epoch ms), then the entries to release.
// Each entry still in the list moves to the taking end of the queue, re-marked as recovered.
// Returns the number moved.
const RELEASE = new Script(`${REMARK_LUA}
local moved = 0
for i = 2, #ARGV do
  if redis.call('LREM', KEYS[1], 1, ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[2], remark(ARGV[i], ARGV[1]))
    moved = moved + 1
  end
end
return moved`);

/** Result of {@link PaymentQueue.enqueue}. */
export type IntakeResult = "accepted" | "replayed" | "conflict";

/** The queue as seen by one instance (`instanceId` names its processing list). */
export class PaymentQueue extends Store {
  /** This instance's processing list key. */
  readonly processingKey: string;

  constructor(redis: Redis, keys: Keys, instanceId: string) {
    super(redis, keys);
    this.processingKey = keys.processing(instanceId);
  }

  /**
   * Accepts a payment once; resolves only after Redis acknowledged
   * (docs/decisions/0001-durable-acknowledgement.md).
   *
   * @returns `accepted`, `replayed` (same id and amount already accepted: nothing pushed) or
   *   `conflict` (same id, other amount: nothing pushed).
   * @throws the Redis error when Redis is unreachable; nothing was accepted then.
   */
  async enqueue(payment: Payment): Promise<IntakeResult> {
    const reply = await INTAKE.run(
      this.redis,
      [this.keys.accepted, this.keys.queue],
      [payment.correlationId, payment.amountCents, encodeEntry(payment)],
    );
    return reply === 1 ? "accepted" : reply === 0 ? "replayed" : "conflict";
  }

  /** Moves up to `max` entries into the processing list without blocking, oldest first. */
  async take(max: number): Promise<QueuedPayment[]> {
    const reply = await TAKE.run(this.redis, [this.keys.queue, this.processingKey], [max]);
    return this.#decodeAll(reply as string[]);
  }

  /** Waits up to `timeoutSeconds` for one entry (BLMOVE), on a dedicated `blocking` connection. */
  async waitTake(blocking: Redis, timeoutSeconds: number): Promise<QueuedPayment | undefined> {
    const lists = [this.keys.queue, this.processingKey];
    const reply = await blocking.send(["BLMOVE", ...lists, "RIGHT", "LEFT", timeoutSeconds]);
    return typeof reply === "string" ? this.#decodeAll([reply])[0] : undefined;
  }

  /**
   * Returns a payment from the processing list to the head of the queue with what is known of its
   * attempts (docs/CONTRACT.md §6.2); false when it was no longer in the list (nothing pushed).
   */
  async handBack(payment: QueuedPayment, attempt: AttemptState): Promise<boolean> {
    const reply = await HAND_BACK.run(
      this.redis,
      [this.processingKey, this.keys.queue],
      [payment.raw, encodeEntry(payment, attempt)],
    );
    return reply === 1;
  }

  /**
   * Releases the orphans of this instance's processing list: every entry not in `held`
   * (pipeline/holdings.ts) goes back to the queue marked recovered at `nowMs`, as a dead
   * instance's do (docs/DESIGN.md "Fetch stage"). Only while nothing is being taken into the list:
   * an entry a take is moving is not held yet.
   *
   * @returns the number of entries moved.
   * @throws the Redis error; entries already moved stay moved (each move is atomic).
   */
  async releaseOrphans(held: ReadonlySet<string>, nowMs = Date.now()): Promise<number> {
    const listed = await this.redis.send(["LRANGE", this.processingKey, 0, -1]) as string[];
    const orphans = listed.filter((raw) => !held.has(raw));
    if (orphans.length === 0) return 0;
    const keys = [this.processingKey, this.keys.queue];
    return await RELEASE.run(this.redis, keys, [nowMs, ...orphans]) as number;
  }

  /**
   * Decodes taken entries; one this product never wrote goes to the dead letters instead of
   * blocking the batch (docs/DESIGN.md "Fetch stage").
   */
  #decodeAll(raws: string[]): QueuedPayment[] {
    const payments: QueuedPayment[] = [];
    for (const raw of raws) {
      try {
        payments.push(decodeEntry(raw));
      } catch (error) {
        warn("queue", `${error}: moved to ${this.keys.deadLetters}`);
        DEAD_LETTER.run(this.redis, [this.processingKey, this.keys.deadLetters], [raw]).catch(
          (failure) => warn("queue", `dead-letter move failed: ${failure}`),
        );
      }
    }
    return payments;
  }

  /** Backlog: payments accepted and not yet taken by any instance. */
  async length(): Promise<number> {
    return await this.redis.send(["LLEN", this.keys.queue]) as number;
  }

  /** Payments held by this instance (taken, not yet booked or handed back). */
  async processingLength(): Promise<number> {
    return await this.redis.send(["LLEN", this.processingKey]) as number;
  }
}
