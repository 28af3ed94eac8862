/**
 * The Payment Processor simulator's routes: an in-memory stand-in for the official
 * `zanfranceschi/payment-processor` (source: `rinha-de-backend-2025-payment-processor`,
 * `src/payment-processor/Endpoints.cs`, `Filters.cs`, `Model.cs`). docs/CONTRACT.md §2 describes the
 * service; where it and the C# differ, this follows the C#.
 *
 * | route | rule |
 * |---|---|
 * | `POST /payments` | concurrency limiter → bind body (415/400) → delay (not cancelled by the client leaving) → failure switch (500, empty) → insert: 200, or 422 on a known correlationId |
 * | `GET /payments/{id}` | concurrency limiter → 400 if not a GUID → 200 `{correlationId, amount, requestedAt}` or 404 |
 * | `GET /payments/service-health` | shared fixed window (health_window.ts) → 200 `{failing, minResponseTime}` |
 * | `GET /admin/payments-summary?from&to` | token → 200 `{totalAmount, totalRequests, totalFee, feePerTransaction}` |
 * | `PUT /admin/configurations/token` | bind `{token}` → token → 204 |
 * | `PUT /admin/configurations/delay` | bind `{delay}` → token → 200 `{config, was, is}` |
 * | `PUT /admin/configurations/failure` | bind `{failure}` → token → 200 `{config, was, is}` |
 * | `POST /admin/purge-payments` | token → 200 `{message}` |
 * | `GET /admin/debug/payments` | **simulator only**, token → 200 JSON array of every stored payment |
 *
 * Limiter rejections are 429 with `Retry-After: <rate-limit seconds>` (admission.ts). A wrong
 * `X-Rinha-Token` is 401 with no body. Paths match case-insensitively with an optional trailing
 * slash; a known path with another method is 405; anything else 404 (the official `GET /` HTML
 * page is not served). Body binding rules, including "absent fields take .NET defaults" (`{}`
 * stores a payment), are in binding.ts; the routes themselves in payment_routes.ts and
 * admin_routes.ts; the state they share in processor_state.ts.
 *
 * @module
 */

import { Admission, type AdmissionOptions } from "./admission.ts";
import { debugPayments, purge, setDelay, setFailure, setToken, summary } from "./admin_routes.ts";
import { BindingError } from "./binding.ts";
import { getPayment, postPayment, serviceHealth } from "./payment_routes.ts";
import type { ProcessorState } from "./processor_state.ts";
import { empty, json } from "./responses.ts";

/** Limits and lifetime of a handler made by {@linkcode createProcessorHandler}. */
export interface ProcessorHandlerOptions extends AdmissionOptions {
  /**
   * Aborting it ends every pending payment delay and limiter wait at once: those requests answer
   * 503 and store nothing, like a processor killed mid-request. Used for prompt shutdown.
   */
  readonly signal?: AbortSignal;
}

/** Serves one request; never rejects. */
type ProcessorHandler = (request: Request) => Promise<Response>;

/** A route's answer. */
type Answer = Promise<Response> | Response;

/**
 * Builds the request handler over `state`. Limiter decisions are taken synchronously when the
 * handler is called, so requests issued in a row are admitted in that order.
 *
 * @throws {RangeError} if a limit is not a positive integer (the queue limit may be 0).
 */
export function createProcessorHandler(
  state: ProcessorState,
  options: ProcessorHandlerOptions = {},
): ProcessorHandler {
  const admission = new Admission(options);
  const route = (request: Request): Answer => {
    const rawPath = new URL(request.url).pathname;
    const path = rawPath.length > 1 && rawPath.endsWith("/") ? rawPath.slice(0, -1) : rawPath;
    const only = (method: string, serve: () => Answer) =>
      request.method === method ? serve() : empty(405);
    const fixed = FIXED_ROUTES.get(path.toLowerCase());
    if (fixed) {
      return only(fixed.method, () => fixed.serve({ state, admission, request, options }));
    }
    const id = /^\/payments\/([^/]+)$/i.exec(path)?.[1];
    if (id !== undefined) {
      return only(
        "GET",
        () => admission.limited(request, () => Promise.resolve(getPayment(state, id))),
      );
    }
    return empty(404);
  };
  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      if (error instanceof BindingError) return empty(error.status);
      return json(500, { message: String(error) });
    }
  };
}

/** What a route may use. */
interface RouteContext {
  state: ProcessorState;
  admission: Admission;
  request: Request;
  options: ProcessorHandlerOptions;
}

/** The routes without a path parameter, by lowercase path: method and handler. */
const FIXED_ROUTES = new Map<string, { method: string; serve: (c: RouteContext) => Answer }>([
  ["/payments", {
    method: "POST",
    serve: (c) =>
      c.admission.limited(c.request, () => postPayment(c.state, c.request, c.options.signal)),
  }],
  ["/payments/service-health", {
    method: "GET",
    serve: (c) => serviceHealth(c.state, c.admission, c.request),
  }],
  ["/admin/payments-summary", { method: "GET", serve: (c) => summary(c.state, c.request) }],
  ["/admin/configurations/token", { method: "PUT", serve: (c) => setToken(c.state, c.request) }],
  ["/admin/configurations/delay", { method: "PUT", serve: (c) => setDelay(c.state, c.request) }],
  ["/admin/configurations/failure", {
    method: "PUT",
    serve: (c) => setFailure(c.state, c.request),
  }],
  ["/admin/purge-payments", { method: "POST", serve: (c) => purge(c.state, c.request) }],
  ["/admin/debug/payments", { method: "GET", serve: (c) => debugPayments(c.state, c.request) }],
]);
