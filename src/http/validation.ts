/**
 * Validation of what clients send, at the edge (docs/DESIGN.md "Ingress"): `POST /payments`
 * bodies and the summary's `from`/`to` query (docs/CONTRACT.md §1). Failures are
 * {@link ValidationError}s carrying the HTTP status the edge answers with.
 *
 * @module
 */
import { toCents } from "../domain/money.ts";
import type { Payment } from "../domain/payment.ts";
import { parseIso } from "../domain/time.ts";

/** A client error: `status` is the HTTP status to answer (4xx), `message` says what is wrong. */
export class ValidationError extends Error {
  override name = "ValidationError";
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses a `POST /payments` body: a JSON object with exactly `correlationId` (a UUID, returned
 * lower-case) and `amount` (a positive number with at most 2 decimals, returned in cents).
 *
 * @throws {ValidationError} 400 for text that is not a JSON object, 422 for a wrong field.
 */
export function parsePaymentBody(text: string): Payment {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationError(400, "body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError(400, "body must be a JSON object");
  }
  const { correlationId, amount, ...extra } = body as Record<string, unknown>;
  const unknown = Object.keys(extra);
  if (unknown.length) throw new ValidationError(422, `unknown field(s): ${unknown.join(", ")}`);
  if (typeof correlationId !== "string" || !UUID.test(correlationId)) {
    throw new ValidationError(422, "correlationId must be a UUID string");
  }
  try {
    return { correlationId: correlationId.toLowerCase(), amountCents: toCents(amount) };
  } catch (error) {
    throw new ValidationError(422, (error as Error).message);
  }
}

/** An inclusive requestedAt range in epoch ms, or undefined for "everything". */
export type SummaryRange = { fromMs: number; toMs: number } | undefined;

/**
 * Parses the summary query. Both bounds → that inclusive range; either missing → everything, as
 * the processors do (docs/CONTRACT.md §1–2). A `+` of an un-encoded zone offset arrives as a
 * space and is read back as `+`.
 *
 * @throws {ValidationError} 400 when a bound is not an ISO-8601 date-time or `from` > `to`.
 */
export function parseSummaryRange(params: URLSearchParams): SummaryRange {
  const bound = (name: string) => {
    const raw = params.get(name);
    if (raw === null || raw === "") return undefined;
    try {
      // Truncated to the ms; `subMs` tells whether digits were dropped.
      return { ms: parseIso(raw.replaceAll(" ", "+")), subMs: /\.\d{3}\d*[1-9]/.test(raw) };
    } catch {
      throw new ValidationError(400, `${name} must be an ISO-8601 date-time, got "${raw}"`);
    }
  };
  const from = bound("from");
  const to = bound("to");
  if (from === undefined || to === undefined) return undefined;
  if (from.ms > to.ms || (from.ms === to.ms && from.subMs && !to.subMs)) {
    throw new ValidationError(400, "from must not be after to");
  }
  // Bookings are whole ms: a `from` inside a ms starts at the next one (the range may then be
  // empty, from > to, which matches nothing).
  return { fromMs: from.subMs ? from.ms + 1 : from.ms, toMs: to.ms };
}
