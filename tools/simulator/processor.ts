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
 * | `GET /payments/service-health` | shared fixed window ({@linkcode HealthWindow}) → 200 `{failing, minResponseTime}` |
 * | `GET /admin/payments-summary?from&to` | token → 200 `{totalAmount, totalRequests, totalFee, feePerTransaction}` |
 * | `PUT /admin/configurations/token` | bind `{token}` → token → 204 |
 * | `PUT /admin/configurations/delay` | bind `{delay}` → token → 200 `{config, was, is}` |
 * | `PUT /admin/configurations/failure` | bind `{failure}` → token → 200 `{config, was, is}` |
 * | `POST /admin/purge-payments` | token → 200 `{message}` |
 * | `GET /admin/debug/payments` | **simulator only**, token → 200 JSON array of every stored payment |
 *
 * Limiter rejections are 429 with `Retry-After: <rate-limit seconds>` (the body text is ours). A
 * wrong `X-Rinha-Token` is 401 with no body. The 422 `message` names the correlationId like the
 * official one, which then appends a full Npgsql exception dump; here only its first line. Paths
 * match case-insensitively with an optional trailing slash; a known path with another method is
 * 405; anything else 404 (the official `GET /` HTML page is not served). Body binding rules,
 * including "absent fields take .NET defaults" (`{}` stores a payment), are in `binding.ts`.
 *
 * @module
 */

import { BindingError, readJsonBody } from "./binding.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  type Decimal,
  formatDecimal,
  multiplyDecimal,
  parseDecimal,
  roundDecimal,
} from "./decimal.ts";
import { formatDateTime, formatIsoUtc, type Instant, parseDateTime } from "./date_time.ts";
import { parseRouteGuid } from "./guid.ts";
import { HealthWindow } from "./health_window.ts";
import { Ledger, LedgerFullError, type StoredPayment } from "./ledger.ts";
import { ConcurrencyLimiter } from "./limiter.ts";

/** Default fee per transaction (Endpoints.cs `TRANSACTION_FEE`). */
export const DEFAULT_FEE = "0.05";
/** Default admin token (Endpoints.cs `INITIAL_TOKEN`). */
export const DEFAULT_TOKEN = "123";
/** Default health window and `Retry-After`, in seconds (Endpoints.cs `RATE_LIMIT_SECONDS`). */
export const DEFAULT_RATE_LIMIT_SECONDS = 5;
/** Default concurrent payment requests (Endpoints.cs concurrency limiter). */
export const DEFAULT_CONCURRENCY_LIMIT = 800;
/** Default payment requests waiting for the concurrency limiter (Endpoints.cs). */
export const DEFAULT_CONCURRENCY_QUEUE_LIMIT = 500;

/** Initial configuration of a {@linkcode ProcessorState}. */
export interface ProcessorStateOptions {
  /** Fee per transaction (`0.07` or `"0.07"`); its digits are echoed. Default `"0.05"`. */
  readonly fee?: number | string;
  /** Admin token expected in `X-Rinha-Token`. Default `"123"`. */
  readonly token?: string;
  /** Initial delay of `POST /payments` in ms (32-bit integer; ≤ 0 means none). Default 0. */
  readonly delayMs?: number;
  /** Initial failure switch. Default false. */
  readonly failure?: boolean;
  /** Bound on stored payments (see {@linkcode Ledger}). */
  readonly maxPayments?: number;
}

const PLAIN_DECIMAL = /^[+-]?\d+(?:\.\d+)?$/;

/** The processor's mutable configuration and its stored payments; tests may read and set it. */
export class ProcessorState {
  /**
   * Expected `X-Rinha-Token`. `null` after `PUT /admin/configurations/token` without a token,
   * which then admits only requests *without* the header (Filters.cs compares `StringValues`).
   */
  token: string | null;
  /** Delay applied to each `POST /payments`, in ms (≤ 0: none); reported as `minResponseTime`. */
  delayMs: number;
  /** Failure switch: `POST /payments` answers 500 after the delay; reported as `failing`. */
  failing: boolean;
  /** Fee per transaction. */
  readonly fee: Decimal;
  /** Stored payments. */
  readonly ledger: Ledger;

  /** @throws {RangeError} if `fee` is not a plain decimal or `delayMs` not a 32-bit integer. */
  constructor(options: ProcessorStateOptions = {}) {
    const feeText = String(options.fee ?? DEFAULT_FEE);
    const fee = PLAIN_DECIMAL.test(feeText) ? parseDecimal(feeText) : undefined;
    if (!fee) throw new RangeError(`fee must be a plain decimal like 0.05, got "${feeText}"`);
    const delayMs = options.delayMs ?? 0;
    if (!Number.isInteger(delayMs) || delayMs < -(2 ** 31) || delayMs >= 2 ** 31) {
      throw new RangeError(`delayMs must be a 32-bit integer, got ${delayMs}`);
    }
    this.fee = fee;
    this.token = options.token ?? DEFAULT_TOKEN;
    this.delayMs = delayMs;
    this.failing = options.failure ?? false;
    this.ledger = new Ledger({ maxPayments: options.maxPayments });
  }
}

/** Limits and lifetime of a handler made by {@linkcode createProcessorHandler}. */
export interface ProcessorHandlerOptions {
  /** Health window length and `Retry-After` value, in whole seconds. Default 5. */
  readonly rateLimitSeconds?: number;
  /** Payment requests in progress at once. Default 800. */
  readonly concurrencyLimit?: number;
  /** Payment requests waiting beyond that. Default 500. */
  readonly concurrencyQueueLimit?: number;
  /** Time source of the health window (not of the payment delay, which uses real timers). */
  readonly clock?: Clock;
  /**
   * Aborting it ends every pending payment delay and limiter wait at once: those requests answer
   * 503 and store nothing, like a processor killed mid-request. Used for prompt shutdown.
   */
  readonly signal?: AbortSignal;
}

/** What {@linkcode ConcurrencyLimiter} and {@linkcode HealthWindow} share. */
type Gate = Pick<ConcurrencyLimiter, "tryAcquire" | "canQueue" | "acquire">;

/** Serves one request; never rejects. */
export type ProcessorHandler = (request: Request) => Promise<Response>;

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
  const rateLimitSeconds = options.rateLimitSeconds ?? DEFAULT_RATE_LIMIT_SECONDS;
  if (!Number.isInteger(rateLimitSeconds) || rateLimitSeconds < 1) {
    throw new RangeError(`rateLimitSeconds must be a positive integer, got ${rateLimitSeconds}`);
  }
  const limiter = new ConcurrencyLimiter({
    permitLimit: options.concurrencyLimit ?? DEFAULT_CONCURRENCY_LIMIT,
    queueLimit: options.concurrencyQueueLimit ?? DEFAULT_CONCURRENCY_QUEUE_LIMIT,
  });
  const health = new HealthWindow({
    windowMs: rateLimitSeconds * 1000,
    clock: options.clock ?? systemClock,
  });
  const tooMany = () =>
    new Response("Too many requests. Try again later.", {
      status: 429,
      headers: { "retry-after": String(rateLimitSeconds) },
    });
  /**
   * The ASP.NET rate-limiting middleware's order: grant at once, else queue, else 429. Touches
   * `request.signal` only to queue (Deno warns about signals read by requests that succeed).
   *
   * @returns `true` once granted, else the response to send: 429; 503 if shutting down; 499
   *   (read by nobody) if the client left while queued.
   */
  async function admit(gate: Gate, request: Request): Promise<true | Response> {
    if (gate.tryAcquire()) return true;
    if (!gate.canQueue) return tooMany();
    const signal = options.signal
      ? AbortSignal.any([request.signal, options.signal])
      : request.signal;
    try {
      return await gate.acquire(signal) || tooMany();
    } catch {
      return empty(options.signal?.aborted ? 503 : 499);
    }
  }
  const authorized = (request: Request) => request.headers.get("x-rinha-token") === state.token;

  /** Runs `serve` holding a permit (Endpoints.cs `RequireRateLimiting("concurrency")`). */
  async function limited(request: Request, serve: () => Promise<Response>): Promise<Response> {
    const granted = await admit(limiter, request);
    if (granted !== true) return granted;
    try {
      return await serve();
    } finally {
      limiter.release();
    }
  }

  async function postPayment(request: Request): Promise<Response> {
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
        await sleep(delayMs, options.signal);
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

  function getPayment(idSegment: string): Response {
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

  async function serviceHealth(request: Request): Promise<Response> {
    const granted = await admit(health, request);
    if (granted !== true) return granted;
    return json(200, { failing: state.failing, minResponseTime: state.delayMs });
  }

  function summary(request: Request): Response {
    const query = new URL(request.url).searchParams;
    const bound = (name: string): Instant | null | undefined => {
      const text = [...query].filter(([key]) => key.toLowerCase() === name).map(([, v]) => v)
        .join(",");
      return text === "" ? null : parseDateTime(text, { lenient: true });
    };
    const from = bound("from");
    const to = bound("to");
    if (!authorized(request)) return empty(401);
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

  async function setToken(request: Request): Promise<Response> {
    const token = (await readJsonBody(request)).string("token");
    if (!authorized(request)) return empty(401);
    state.token = token;
    return empty(204);
  }

  async function setDelay(request: Request): Promise<Response> {
    const delay = (await readJsonBody(request)).int32("delay");
    if (!authorized(request)) return empty(401);
    const was = state.delayMs;
    state.delayMs = delay;
    return json(200, { config: "delay", was, is: delay });
  }

  async function setFailure(request: Request): Promise<Response> {
    const failure = (await readJsonBody(request)).boolean("failure");
    if (!authorized(request)) return empty(401);
    const was = state.failing;
    state.failing = failure;
    return json(200, { config: "failure", was, is: failure });
  }

  function purge(request: Request): Response {
    if (!authorized(request)) return empty(401);
    state.ledger.purge();
    return json(200, { message: "All payments purged." });
  }

  function debugPayments(request: Request): Response {
    if (!authorized(request)) return empty(401);
    return new Response(paymentsArray([...state.ledger.values()]), {
      status: 200,
      headers: { "content-type": JSON_TYPE },
    });
  }

  function route(request: Request): Promise<Response> | Response {
    const rawPath = new URL(request.url).pathname;
    const path = rawPath.length > 1 && rawPath.endsWith("/") ? rawPath.slice(0, -1) : rawPath;
    const only = (method: string, serve: () => Promise<Response> | Response) =>
      request.method === method ? serve() : empty(405);
    switch (path.toLowerCase()) {
      case "/payments":
        return only("POST", () => limited(request, () => postPayment(request)));
      case "/payments/service-health":
        return only("GET", () => serviceHealth(request));
      case "/admin/payments-summary":
        return only("GET", () => summary(request));
      case "/admin/configurations/token":
        return only("PUT", () => setToken(request));
      case "/admin/configurations/delay":
        return only("PUT", () => setDelay(request));
      case "/admin/configurations/failure":
        return only("PUT", () => setFailure(request));
      case "/admin/purge-payments":
        return only("POST", () => purge(request));
      case "/admin/debug/payments":
        return only("GET", () => debugPayments(request));
    }
    const id = /^\/payments\/([^/]+)$/i.exec(path)?.[1];
    if (id !== undefined) {
      return only("GET", () => limited(request, () => Promise.resolve(getPayment(id))));
    }
    return empty(404);
  }

  return async (request) => {
    try {
      return await route(request);
    } catch (error) {
      if (error instanceof BindingError) return empty(error.status);
      return json(500, { message: String(error) });
    }
  };
}

const JSON_TYPE = "application/json; charset=utf-8";
const DEBUG_BATCH = 1000;

function empty(status: number): Response {
  return new Response(null, { status });
}

function json(status: number, body: unknown): Response {
  return jsonText(status, JSON.stringify(body));
}

function jsonText(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": JSON_TYPE } });
}

/** A stored amount as the decimal the processor echoes (`20.05`, `20.1`, `20`). */
function amountOf(payment: StoredPayment): Decimal {
  return {
    mantissa: BigInt(payment.amountCents) / 10n ** BigInt(2 - payment.amountScale),
    scale: payment.amountScale,
  };
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
