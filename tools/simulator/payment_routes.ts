/**
 * The simulator's public routes (Endpoints.cs, Filters.cs): `POST /payments`,
 * `GET /payments/{id}` and `GET /payments/service-health`. The limiters in front of them are in
 * admission.ts.
 *
 * @module
 */

import type { Admission } from "./admission.ts";
import { BindingError, readJsonBody } from "./binding.ts";
import { formatDecimal, roundDecimal } from "./decimal.ts";
import { formatDateTime } from "./date_time.ts";
import { parseRouteGuid } from "./guid.ts";
import { amountOf, LedgerFullError } from "./ledger.ts";
import type { ProcessorState } from "./processor_state.ts";
import { empty, json, jsonText } from "./responses.ts";

/**
 * `POST /payments`: bind the body (415/400) → delay (not cancelled by the client leaving) →
 * failure switch (500, empty) → insert: 200, or 422 on a known correlationId. The 422 `message`
 * names the correlationId like the official one, which then appends a full Npgsql exception dump;
 * here only its first line.
 *
 * @param shutdown aborting it ends the delay at once: 503, nothing stored.
 * @throws {BindingError} on a body the binder refuses (binding.ts) or an amount beyond ±2^53 cents.
 */
export async function postPayment(
  state: ProcessorState,
  request: Request,
  shutdown?: AbortSignal,
): Promise<Response> {
  const body = await readJsonBody(request);
  const correlationId = body.guid("correlationId");
  const amount = roundDecimal(body.decimal("amount"), 2);
  const requestedAt = body.dateTime("requestedAt");
  const cents = amount.mantissa * 10n ** BigInt(2 - amount.scale);
  if (cents > BigInt(Number.MAX_SAFE_INTEGER) || cents < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new BindingError(400, "amount beyond the simulator's range");
  }
  const delayMs = state.delayMs; // Filters.cs MaybeSimulateDelay, then MaybeSimulateFailure
  if (delayMs > 0) {
    try {
      await sleep(delayMs, shutdown);
    } catch {
      return empty(503);
    }
  }
  if (state.failing) return empty(500);
  let stored: boolean;
  try {
    stored = state.ledger.insert({
      correlationId,
      amountCents: Number(cents),
      amountScale: amount.scale,
      requestedAt,
    });
  } catch (error) {
    if (error instanceof LedgerFullError) return json(500, { message: error.message });
    throw error;
  }
  if (stored) return json(200, { message: "payment processed successfully" });
  return json(422, {
    message: `Payment could not be processed. CorrelationId already exists: ${correlationId}. ` +
      `Error details: 23505: duplicate key value violates unique constraint "payments_pkey"`,
  });
}

/**
 * `GET /payments/{id}`: 400 if `idSegment` is not a GUID, else 200
 * `{correlationId, amount, requestedAt}` or 404.
 */
export function getPayment(state: ProcessorState, idSegment: string): Response {
  let id: string | undefined;
  try {
    id = parseRouteGuid(decodeURIComponent(idSegment));
  } catch {
    id = undefined;
  }
  if (!id) return empty(400);
  const payment = state.ledger.get(id);
  if (!payment) return empty(404);
  return jsonText(
    200,
    `{"correlationId":"${id}","amount":${formatDecimal(amountOf(payment))},` +
      `"requestedAt":"${formatDateTime(payment.requestedAt)}"}`,
  );
}

/** `GET /payments/service-health`: the shared window, then 200 `{failing, minResponseTime}`. */
export async function serviceHealth(
  state: ProcessorState,
  admission: Admission,
  request: Request,
): Promise<Response> {
  const granted = await admission.healthWindow(request);
  if (granted !== true) return granted;
  return json(200, { failing: state.failing, minResponseTime: state.delayMs });
}

/** Resolves after `ms` ms (a real timer); rejects with the reason if `signal` aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
