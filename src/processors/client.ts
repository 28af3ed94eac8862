/**
 * HTTP client of one Payment Processor (RINHA.md §2). Every call takes an AbortSignal and a
 * timeout in ms; answers are classified by outcome.ts.
 *
 * @module
 */
import type { Payment, ProcessorName } from "../payments/payment.ts";
import { fromCents } from "../payments/money.ts";
import { parseIso, toIso } from "../payments/time.ts";
import { classifyError, classifyStatus, type Outcome } from "./outcome.ts";
import type { ProcessorHealth } from "./health.ts";

/** What `GET /payments/{id}` found. */
export type Lookup =
  | { kind: "found"; requestedAt: number; amountCents: number }
  | { kind: "missing" }
  | { kind: "unknown"; reason: string };

/**
 * Reads the `requestedAt` a processor echoes in `GET /payments/{id}`: the official processor
 * writes its zone-less PostgreSQL `timestamp` with no `Z` and trailing zeros trimmed, e.g.
 * `2025-08-21T00:40:25.07` for `…25.070Z` (src/simulator/date_time.ts `formatDateTime`). That
 * instant is the UTC requestedAt we sent, so a missing zone means UTC.
 *
 * @throws {RangeError} if the text is not an ISO-8601 date-time.
 */
export function parseStoredInstant(text: string): number {
  return parseIso(/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`);
}

/** Raised by {@link ProcessorClient.health} when no usable answer came. */
export class HealthCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HealthCheckError";
  }
}

/** Client of one processor. */
export class ProcessorClient {
  /** Which processor this is. */
  readonly name: ProcessorName;
  readonly #base: string;

  /** @param baseUrl e.g. `http://payment-processor-default:8080`, no trailing slash. */
  constructor(name: ProcessorName, baseUrl: string) {
    this.name = name;
    this.#base = baseUrl;
  }

  /**
   * `POST /payments` with `requestedAt` (epoch ms, sent as ISO). Never throws: every failure is
   * an {@link Outcome}. An abort of `signal` yields `ambiguous` (the request may have left).
   */
  async pay(
    payment: Payment,
    requestedAt: number,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const body = `{"correlationId":"${payment.correlationId}","amount":${
      fromCents(payment.amountCents)
    },"requestedAt":"${toIso(requestedAt)}"}`;
    const init = { method: "POST", headers: { "content-type": "application/json" }, body };
    try {
      return await this.#request("/payments", init, timeoutMs, signal, async (response) => {
        await response.body?.cancel();
        return classifyStatus(response.status, response.headers.get("retry-after"));
      });
    } catch (error) {
      return classifyError(error);
    }
  }

  /**
   * `GET /payments/{id}`: whether, and with which requestedAt, the processor stored a payment.
   * Never throws.
   */
  async lookup(correlationId: string, timeoutMs: number, signal: AbortSignal): Promise<Lookup> {
    try {
      return await this.#request(`/payments/${correlationId}`, {}, timeoutMs, signal, async (r) => {
        if (r.status !== 200) {
          await r.body?.cancel();
          return r.status === 404
            ? { kind: "missing" }
            : { kind: "unknown", reason: `status ${r.status}` };
        }
        const stored = await r.json() as { amount: number; requestedAt: string };
        return {
          kind: "found",
          requestedAt: parseStoredInstant(stored.requestedAt),
          amountCents: Math.round(stored.amount * 100),
        };
      });
    } catch (error) {
      return { kind: "unknown", reason: String(error) };
    }
  }

  /**
   * `GET /payments/service-health`. Rate-limited by the processor to 1 call per 5 s for all
   * callers together (RINHA.md §2): only the health poller calls it.
   *
   * @throws {HealthCheckError} on a non-200 answer, a malformed body, a timeout or no connection.
   */
  async health(timeoutMs: number, signal: AbortSignal): Promise<ProcessorHealth> {
    let body;
    try {
      body = await this.#request("/payments/service-health", {}, timeoutMs, signal, async (r) => {
        if (r.status === 200) return await r.json().catch(() => undefined);
        await r.body?.cancel();
        throw new HealthCheckError(`${this.name}: status ${r.status}`);
      });
    } catch (error) {
      throw error instanceof HealthCheckError
        ? error
        : new HealthCheckError(`${this.name}: ${error}`);
    }
    if (typeof body?.failing !== "boolean" || typeof body?.minResponseTime !== "number") {
      throw new HealthCheckError(`${this.name}: malformed body`);
    }
    return { failing: body.failing, minResponseTime: body.minResponseTime, checkedAt: Date.now() };
  }

  /**
   * One request whose whole exchange, body included, ends by `timeoutMs` or an abort of `signal`.
   * The timer and the listener on `signal` are released as soon as it ends: a long-lived `signal`
   * must not collect one dependent per request (as `AbortSignal.any` with `AbortSignal.timeout`
   * did, growing the heap under load).
   */
  async #request<T>(
    path: string,
    init: RequestInit,
    timeoutMs: number,
    signal: AbortSignal,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    signal.throwIfAborted();
    const controller = new AbortController();
    const abort = () => controller.abort(signal.reason);
    const timer = setTimeout(
      () => controller.abort(new DOMException("request timed out", "TimeoutError")),
      timeoutMs,
    );
    signal.addEventListener("abort", abort, { once: true });
    try {
      return await read(await fetch(this.#base + path, { ...init, signal: controller.signal }));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
    }
  }
}
