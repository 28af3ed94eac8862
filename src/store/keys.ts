/**
 * Names of every Redis key this product owns, and every pattern that matches some of them. All
 * start with the configured prefix, so tests use their own prefix and `POST /purge-payments` never
 * touches anything else. No other file builds a key name or a pattern.
 *
 * @module
 */
import type { ProcessorName } from "../domain/processor.ts";

/** The key names under one prefix. */
export interface Keys {
  prefix: string;
  /** List: accepted payments waiting (the backlog); LPUSH in, taken from the right. */
  queue: string;
  /** Hash correlationId → cents of every accepted payment: intake idempotency. */
  accepted: string;
  /** List: queue entries this product never wrote (undecodable), newest first. */
  deadLetters: string;
  /** List: payments an instance took from the queue and has not yet booked or handed back. */
  processing(instanceId: string): string;
  /** Pattern of every processing list, for SCAN. */
  processingPattern: string;
  /** The instance id a processing list key belongs to (the inverse of {@link processing}). */
  ownerOf(processingKey: string): string;
  /** String with TTL: present while the instance is alive. */
  heartbeat(instanceId: string): string;
  /** Sorted set: correlationIds booked at `processor` with `cents`, scored by requestedAt ms. */
  settled(processor: ProcessorName, cents: number | string): string;
  /** What every {@link settled} key of `processor` starts with; the amount in cents follows. */
  settledPrefix(processor: ProcessorName): string;
  /** Pattern of every {@link settled} key, for SCAN. */
  settledPattern: string;
  /** Set: the distinct amounts (cents) booked at `processor`, to enumerate the sorted sets. */
  amounts(processor: ProcessorName): string;
  /** Pattern of every {@link amounts} key, for SCAN. */
  amountsPattern: string;
  /** String with PX: held by the instance that polls the processors' health now. */
  healthLock: string;
  /** String: the latest health snapshot (JSON), written by the lock holder. */
  health: string;
  /** Pattern of every key under the prefix, for SCAN (tests and the bench clean up with it). */
  allPattern: string;
}

/** Builds the key names under `prefix` (e.g. `rinha:`). */
export function keysFor(prefix: string): Keys {
  const processingHead = `${prefix}processing:`;
  const settledPrefix = (processor: ProcessorName) => `${prefix}settled:${processor}:`;
  return {
    prefix,
    queue: `${prefix}queue`,
    accepted: `${prefix}accepted`,
    deadLetters: `${prefix}dead-letters`,
    processing: (id) => `${processingHead}${id}`,
    processingPattern: `${processingHead}*`,
    ownerOf: (processingKey) => processingKey.slice(processingHead.length),
    heartbeat: (id) => `${prefix}heartbeat:${id}`,
    settled: (processor, cents) => `${settledPrefix(processor)}${cents}`,
    settledPrefix,
    settledPattern: `${prefix}settled:*`,
    amounts: (processor) => `${prefix}amounts:${processor}`,
    amountsPattern: `${prefix}amounts:*`,
    healthLock: `${prefix}health:lock`,
    health: `${prefix}health`,
    allPattern: `${prefix}*`,
  };
}
