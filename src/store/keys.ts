/**
 * Names of every Redis key this product owns. All start with the configured prefix, so tests use
 * their own prefix and `POST /purge-payments` never touches anything else.
 *
 * @module
 */
import type { ProcessorName } from "../domain/processor.ts";

/** The key names under one prefix. */
export interface Keys {
  prefix: string;
  /** List: accepted payments waiting to be processed (the backlog). LPUSH in, taken from the right. */
  queue: string;
  /** Hash correlationId → cents of every accepted payment: intake idempotency. */
  accepted: string;
  /** List: queue entries that could not be decoded (never written by this product), newest first. */
  deadLetters: string;
  /** List: payments an instance took from the queue and has not yet booked or handed back. */
  processing(instanceId: string): string;
  /** String with TTL: present while the instance is alive. */
  heartbeat(instanceId: string): string;
  /** Pattern of every heartbeat key, for SCAN. */
  heartbeatPattern: string;
  /** Pattern of every processing list, for SCAN. */
  processingPattern: string;
  /** Sorted set: correlationIds booked at `processor` with `cents`, scored by requestedAt ms. */
  settled(processor: ProcessorName, cents: number | string): string;
  /** Set: the distinct amounts (cents) booked at `processor`, to enumerate the sorted sets. */
  amounts(processor: ProcessorName): string;
  /** String with PX: held by the instance that polls the processors' health now. */
  healthLock: string;
  /** String: the latest health snapshot (JSON), written by the lock holder. */
  health: string;
}

/** Builds the key names under `prefix` (e.g. `rinha:`). */
export function keysFor(prefix: string): Keys {
  return {
    prefix,
    queue: `${prefix}queue`,
    accepted: `${prefix}accepted`,
    deadLetters: `${prefix}dead-letters`,
    processing: (id) => `${prefix}processing:${id}`,
    heartbeat: (id) => `${prefix}heartbeat:${id}`,
    heartbeatPattern: `${prefix}heartbeat:*`,
    processingPattern: `${prefix}processing:*`,
    settled: (processor, cents) => `${prefix}settled:${processor}:${cents}`,
    amounts: (processor) => `${prefix}amounts:${processor}`,
    healthLock: `${prefix}health:lock`,
    health: `${prefix}health`,
  };
}
