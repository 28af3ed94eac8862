/**
 * Classification of one call to a processor's `POST /payments` (docs/CONTRACT.md §2, §6.1–6.2;
 * what each outcome leads to: docs/DESIGN.md "Route stage"): `confirmed` 200; `duplicate` 422 (the
 * id is stored there already); `rejected` 500 (the processor's failure switch: nothing stored),
 * 429, other statuses, or no connection made; `ambiguous` 502/503/504 (a proxy in front may have
 * forwarded it), a timeout, or a connection lost after sending.
 *
 * @module
 */
import { NotSentError } from "./http_connection.ts";

/** The classified outcome of one payment call. */
export type Outcome =
  | { kind: "confirmed" }
  | { kind: "duplicate" }
  | { kind: "rejected"; status: number; retryAfterMs?: number }
  | { kind: "ambiguous"; reason: string };

/** Status used in a `rejected` outcome when no connection could be made. */
export const STATUS_UNREACHABLE = 0;

/** Classifies an HTTP answer; `retryAfter` is its `Retry-After` header (seconds, with a 429). */
export function classifyStatus(status: number, retryAfter?: string | null): Outcome {
  if (status === 200) return { kind: "confirmed" };
  if (status === 422) return { kind: "duplicate" };
  if (status === 502 || status === 503 || status === 504) {
    return { kind: "ambiguous", reason: `status ${status} from a gateway` };
  }
  const seconds = Number(retryAfter);
  return retryAfter && Number.isFinite(seconds) && seconds >= 0
    ? { kind: "rejected", status, retryAfterMs: seconds * 1000 }
    : { kind: "rejected", status };
}

/**
 * Classifies a failed call (http_pool.ts): a {@link NotSentError} means the request never left
 * (rejected); anything else — a timeout, an abort, a reset after sending, a malformed answer —
 * leaves the processor's state unknown (ambiguous).
 */
export function classifyError(error: unknown): Outcome {
  if (error instanceof NotSentError) return { kind: "rejected", status: STATUS_UNREACHABLE };
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { kind: "ambiguous", reason };
}
