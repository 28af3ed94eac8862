/**
 * The text form of a queue entry (docs/DESIGN.md "Fetch stage"): `<correlationId>:<cents>` for a
 * payment never sent, then `:<d|f>:<requestedAt ms>` after an attempt of unknown outcome (resolved
 * on the same processor, docs/CONTRACT.md §6.2), or `:?:<recovered at ms>` after crash recovery.
 *
 * @module
 */
import type { AttemptState, Payment, QueuedPayment } from "../domain/payment.ts";

/** Encodes a payment and what is known of its earlier attempts. */
export function encodeEntry(payment: Payment, attempt: AttemptState = { kind: "none" }): string {
  const head = `${payment.correlationId}:${payment.amountCents}`;
  switch (attempt.kind) {
    case "none":
      return head;
    case "sent":
      return `${head}:${attempt.processor === "default" ? "d" : "f"}:${attempt.requestedAt}`;
    case "unknown":
      return `${head}:?:${attempt.since}`;
  }
}

/**
 * Decodes an entry written by {@link encodeEntry}.
 *
 * @throws {TypeError} on text that is not such an entry (never written by this product).
 */
export function decodeEntry(raw: string): QueuedPayment {
  const [correlationId, cents, processor, requestedAt, ...rest] = raw.split(":");
  const amountCents = Number(cents);
  if (!correlationId || !Number.isSafeInteger(amountCents) || amountCents <= 0 || rest.length) {
    throw new TypeError(`malformed queue entry "${raw}"`);
  }
  const base = { raw, correlationId, amountCents };
  if (processor === undefined) return { ...base, attempt: { kind: "none" } };
  const at = Number(requestedAt);
  if (processor === "?" && Number.isSafeInteger(at)) {
    return { ...base, attempt: { kind: "unknown", since: at } };
  }
  if ((processor === "d" || processor === "f") && Number.isSafeInteger(at)) {
    const name = processor === "d" ? "default" : "fallback";
    return { ...base, attempt: { kind: "sent", processor: name, requestedAt: at } };
  }
  throw new TypeError(`malformed queue entry "${raw}"`);
}

/**
 * Lua twin of `encodeEntry(payment, { kind: "unknown", since: at })` for the scripts of queue.ts
 * and recovery.ts: `remark(entry, at)` keeps the `<correlationId>:<cents>` head of any entry and
 * appends `:?:<at>`; text without a `:` is left as it is.
 */
export const REMARK_LUA = `
local function remark(entry, at)
  local first = string.find(entry, ':', 1, true)
  if not first then return entry end
  local second = string.find(entry, ':', first + 1, true)
  local head = second and string.sub(entry, 1, second - 1) or entry
  return head .. ':?:' .. at
end`;
