/**
 * HTTP client of one Payment Processor (docs/CONTRACT.md §2). Every call takes an AbortSignal and a
 * timeout in ms; answers are classified by outcome.ts.
 *
 * @module
 */
import type { Payment } from "../domain/payment.ts";
import type { ProcessorHealth, ProcessorName } from "../domain/processor.ts";
import { fromCents } from "../domain/money.ts";
import { parseIso, toIso } from "../domain/time.ts";
import { classifyError, classifyStatus, type Outcome } from "./outcome.ts";
import type { HttpReply } from "./http_connection.ts";
import { HttpPool } from "./http_pool.ts";

/** What `GET /payments/{id}` found. */
export type Lookup =
  | { kind: "found"; requestedAt: number; amountCents: number }
  | { kind: "missing" }
  | { kind: "unknown"; reason: string };

/**
 * Reads the `requestedAt` a processor echoes in `GET /payments/{id}`: the official processor
 * writes its zone-less PostgreSQL `timestamp` with no `Z` and trailing zeros trimmed, e.g.
 * `2025-08-21T00:40:25.07` for `…25.070Z` (tools/simulator/date_time.ts `formatDateTime`). That
 * instant is the UTC requestedAt we sent, so a missing zone means UTC.
 *
 * @throws {RangeError} if the text is not an ISO-8601 date-time.
 */
export function parseStoredInstant(text: string): number {
  return parseIso(/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`);
}

const decoder = new TextDecoder();

/** @throws {SyntaxError} if `bytes` is not JSON. */
function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

function tryParseJson(bytes: Uint8Array): { failing?: unknown; minResponseTime?: unknown } {
  try {
    return parseJson(bytes) as { failing?: unknown; minResponseTime?: unknown };
  } catch {
    return {};
  }
}

/** Raised by {@link ProcessorClient.health} when no usable answer came. */
export class HealthCheckError extends Error {
  override name = "HealthCheckError";
}

/** Client of one processor. */
export class ProcessorClient {
  /** Which processor this is. */
  readonly name: ProcessorName;
  readonly #pool: HttpPool;

  /**
   * @param baseUrl e.g. `http://payment-processor-default:8080`, no trailing slash.
   * @throws {TypeError} if `baseUrl` is not a plain `http://host[:port]` origin.
   */
  constructor(name: ProcessorName, baseUrl: string) {
    this.name = name;
    this.#pool = new HttpPool(baseUrl);
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
    try {
      const reply = await this.#pool.request("POST", "/payments", body, timeoutMs, signal);
      return classifyStatus(reply.status, reply.headers.get("retry-after"));
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
      const reply = await this.#get(`/payments/${correlationId}`, timeoutMs, signal);
      if (reply.status === 404) return { kind: "missing" };
      if (reply.status !== 200) return { kind: "unknown", reason: `status ${reply.status}` };
      const stored = parseJson(reply.body) as { amount: number; requestedAt: string };
      return {
        kind: "found",
        requestedAt: parseStoredInstant(stored.requestedAt),
        amountCents: Math.round(stored.amount * 100),
      };
    } catch (error) {
      return { kind: "unknown", reason: String(error) };
    }
  }

  /**
   * `GET /payments/service-health`. Rate-limited by the processor to 1 call per 5 s for all
   * callers together (docs/CONTRACT.md §2): only the health poller calls it.
   *
   * @throws {HealthCheckError} on a non-200 answer, a malformed body, a timeout or no connection.
   */
  async health(timeoutMs: number, signal: AbortSignal): Promise<ProcessorHealth> {
    const reply = await this.#get("/payments/service-health", timeoutMs, signal).catch((error) => {
      throw new HealthCheckError(`${this.name}: ${error}`);
    });
    if (reply.status !== 200) throw new HealthCheckError(`${this.name}: status ${reply.status}`);
    const body = tryParseJson(reply.body);
    if (typeof body?.failing !== "boolean" || typeof body?.minResponseTime !== "number") {
      throw new HealthCheckError(`${this.name}: malformed body`);
    }
    return { failing: body.failing, minResponseTime: body.minResponseTime, checkedAt: Date.now() };
  }

  /** Closes the idle connections; a call after this fails as not sent. */
  close(): void {
    this.#pool.close();
  }

  #get(path: string, timeoutMs: number, signal: AbortSignal): Promise<HttpReply> {
    return this.#pool.request("GET", path, undefined, timeoutMs, signal);
  }
}
