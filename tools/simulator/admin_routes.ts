/**
 * The simulator's admin routes (Endpoints.cs, Filters.cs), each behind the `X-Rinha-Token` check
 * (401, no body), which runs after body binding: `GET /admin/payments-summary`,
 * `PUT /admin/configurations/{token,delay,failure}`, `POST /admin/purge-payments` and, **simulator
 * only**, `GET /admin/debug/payments`.
 *
 * @module
 */

import { readJsonBody } from "./binding.ts";
import { type Decimal, formatDecimal, multiplyDecimal } from "./decimal.ts";
import { formatIsoUtc, type Instant, parseDateTime } from "./date_time.ts";
import { amountOf, type StoredPayment } from "./ledger.ts";
import type { ProcessorState } from "./processor_state.ts";
import { empty, json, JSON_TYPE, jsonText } from "./responses.ts";

/** Payments serialized per chunk of the debug listing. */
const DEBUG_BATCH = 1000;

/**
 * `GET /admin/payments-summary?from&to`: 200 `{totalAmount, totalRequests, totalFee,
 * feePerTransaction}`, decimals with their .NET scale; 400 on a bound that is not a date-time
 * (a repeated bound is joined with commas, as ASP.NET binds `StringValues`).
 */
export function summary(state: ProcessorState, request: Request): Response {
  const query = new URL(request.url).searchParams;
  const bound = (name: string): Instant | null | undefined => {
    const text = [...query].filter(([key]) => key.toLowerCase() === name).map(([, v]) => v)
      .join(",");
    return text === "" ? null : parseDateTime(text, { lenient: true });
  };
  const from = bound("from");
  const to = bound("to");
  if (!state.authorizes(request)) return empty(401);
  if (from === undefined || to === undefined) return empty(400);
  const { totalRequests, totalCents, scale } = state.ledger.summarize(from, to);
  const total: Decimal = { mantissa: totalCents / 10n ** BigInt(2 - scale), scale };
  return jsonText(
    200,
    `{"totalAmount":${formatDecimal(total)},"totalRequests":${totalRequests},` +
      `"totalFee":${formatDecimal(multiplyDecimal(total, state.fee))},` +
      `"feePerTransaction":${formatDecimal(state.fee)}}`,
  );
}

/** `PUT /admin/configurations/token` `{token}`: 204. */
export async function setToken(state: ProcessorState, request: Request): Promise<Response> {
  const token = (await readJsonBody(request)).string("token");
  if (!state.authorizes(request)) return empty(401);
  state.token = token;
  return empty(204);
}

/** `PUT /admin/configurations/delay` `{delay}` (ms): 200 `{config, was, is}`. */
export async function setDelay(state: ProcessorState, request: Request): Promise<Response> {
  const delay = (await readJsonBody(request)).int32("delay");
  if (!state.authorizes(request)) return empty(401);
  const was = state.delayMs;
  state.delayMs = delay;
  return json(200, { config: "delay", was, is: delay });
}

/** `PUT /admin/configurations/failure` `{failure}`: 200 `{config, was, is}`. */
export async function setFailure(state: ProcessorState, request: Request): Promise<Response> {
  const failure = (await readJsonBody(request)).boolean("failure");
  if (!state.authorizes(request)) return empty(401);
  const was = state.failing;
  state.failing = failure;
  return json(200, { config: "failure", was, is: failure });
}

/** `POST /admin/purge-payments`: 200 `{message}`. */
export function purge(state: ProcessorState, request: Request): Response {
  if (!state.authorizes(request)) return empty(401);
  state.ledger.purge();
  return json(200, { message: "All payments purged." });
}

/** `GET /admin/debug/payments` (simulator only): 200, every stored payment as a JSON array. */
export function debugPayments(state: ProcessorState, request: Request): Response {
  if (!state.authorizes(request)) return empty(401);
  return new Response(paymentsArray([...state.ledger.values()]), {
    status: 200,
    headers: { "content-type": JSON_TYPE },
  });
}

/** `[{"correlationId","amount","requestedAt"}, …]` streamed in batches; requestedAt with `Z`. */
function paymentsArray(payments: StoredPayment[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      const end = Math.min(next + DEBUG_BATCH, payments.length);
      let text = next === 0 ? "[" : "";
      for (; next < end; next++) {
        const payment = payments[next];
        text += `${next === 0 ? "" : ","}{"correlationId":"${payment.correlationId}",` +
          `"amount":${formatDecimal(amountOf(payment))},` +
          `"requestedAt":"${formatIsoUtc(payment.requestedAt)}"}`;
      }
      if (next < payments.length) {
        controller.enqueue(encoder.encode(text));
        return;
      }
      controller.enqueue(encoder.encode(text + "]"));
      controller.close();
    },
  });
}
