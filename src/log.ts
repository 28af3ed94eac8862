/**
 * Minimal structured logging to stderr, with per-key rate limiting so a fault that repeats at
 * 600 req/s prints one line per interval, not one per payment.
 *
 * @module
 */

const lastByKey = new Map<string, number>();
/** At most one line per key per this many ms. */
const INTERVAL_MS = 5_000;
/** Bound of the rate-limiter's memory. */
const MAX_KEYS = 1_000;

/** Writes `message` to stderr unless a line with the same `key` was written in the last 5 s. */
export function warn(key: string, message: string): void {
  const now = Date.now();
  if (now - (lastByKey.get(key) ?? -Infinity) < INTERVAL_MS) return;
  if (lastByKey.size >= MAX_KEYS) lastByKey.clear();
  lastByKey.set(key, now);
  console.error(`${new Date(now).toISOString()} WARN ${key}: ${message}`);
}

/** Writes an informational line to stderr. */
export function info(message: string): void {
  console.error(`${new Date().toISOString()} INFO ${message}`);
}
