/**
 * The test's clients of the Payment Processors' admin API and of the backend's read/purge API,
 * with the official script's semantics (rinha-test/requests.js): 1500 ms timeouts, an unexpected
 * admin status aborts the test, a failed summary reads as zeros.
 *
 * @module
 */

import { timedRequest, type TimedResponse } from "./http.ts";

/** Raised when an admin call the official script would abort on does not answer as expected. */
export class BenchAbortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchAbortError";
  }
}

/** A processor's `GET /admin/payments-summary` answer (docs/CONTRACT.md §2). */
export interface ProcessorSummary {
  totalRequests: number;
  totalAmount: number;
  totalFee: number;
  feePerTransaction: number;
}

/** One stored payment as listed by the simulator's `GET /admin/debug/payments`. */
interface StoredPayment {
  correlationId: string;
  amount: number;
  requestedAt: string;
}

/** The backend's `GET /payments-summary` answer (docs/CONTRACT.md §1). */
export interface BackendSummary {
  default: { totalRequests: number; totalAmount: number };
  fallback: { totalRequests: number; totalAmount: number };
}

/** Records (status, ms) of a request that belongs to the test (feeds the score's p99). */
type Recorder = (status: number, ms: number) => void;

/** Options shared by the clients. */
interface ClientOptions {
  /** Client timeout of every call, ms. Default 1500 (requests.js). */
  timeoutMs?: number;
  /** Receives every call's outcome; omit for calls outside the test (post-run analysis). */
  record?: Recorder;
  signal?: AbortSignal;
}

const ZERO_SUMMARY: ProcessorSummary = {
  totalRequests: 0,
  totalAmount: 0,
  totalFee: 0,
  feePerTransaction: 0,
};

/** Admin client of one Payment Processor (`X-Rinha-Token` on every call). */
export class ProcessorAdmin {
  readonly name: "default" | "fallback";
  readonly baseUrl: string;
  token: string;
  #timeoutMs: number;
  #record?: Recorder;
  #signal?: AbortSignal;

  constructor(
    name: "default" | "fallback",
    baseUrl: string,
    token: string,
    options: ClientOptions = {},
  ) {
    this.name = name;
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.token = token;
    this.#timeoutMs = options.timeoutMs ?? 1500;
    this.#record = options.record;
    this.#signal = options.signal;
  }

  #call(method: string, path: string, body?: unknown, token = this.token, record = true) {
    return timedRequest(this.baseUrl + path, {
      method,
      headers: { "content-type": "application/json", "x-rinha-token": token },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this.#timeoutMs,
      record: record ? this.#record : undefined,
      signal: this.#signal,
    });
  }

  #expect(res: TimedResponse, status: number, what: string): void {
    if (res.status !== status) {
      throw new BenchAbortError(
        `${what} on ${this.name} (${this.baseUrl}) answered HTTP ${res.status}` +
          (res.error ? ` (${res.error})` : "") + `, expected ${status}`,
      );
    }
  }

  /**
   * `PUT /admin/configurations/token`, authenticated with `currentToken` (the official script
   * uses the initial token "123"). Expects 204. @throws {BenchAbortError}
   */
  async setToken(newToken: string, currentToken: string): Promise<void> {
    const res = await this.#call(
      "PUT",
      "/admin/configurations/token",
      { token: newToken },
      currentToken,
    );
    this.#expect(res, 204, "set token");
    this.token = newToken;
  }

  /** `PUT /admin/configurations/delay`; expects 200. @throws {BenchAbortError} */
  async setDelay(delayMs: number): Promise<void> {
    const res = await this.#call("PUT", "/admin/configurations/delay", { delay: delayMs });
    this.#expect(res, 200, "set delay");
  }

  /** `PUT /admin/configurations/failure`; expects 200. @throws {BenchAbortError} */
  async setFailure(failure: boolean): Promise<void> {
    const res = await this.#call("PUT", "/admin/configurations/failure", { failure });
    this.#expect(res, 200, "set failure");
  }

  /** `POST /admin/purge-payments`; expects 200. @throws {BenchAbortError} */
  async purge(): Promise<void> {
    const res = await this.#call("POST", "/admin/purge-payments");
    this.#expect(res, 200, "purge");
  }

  /**
   * `GET /admin/payments-summary?from&to` (bounds sent un-encoded, like the script). Any failure
   * reads as all zeros, like requests.js; `ok` says whether it really answered.
   * @param record whether the call belongs to the test (counted in the p99)
   */
  async summary(
    from?: string,
    to?: string,
    record = true,
  ): Promise<{ ok: boolean; summary: ProcessorSummary }> {
    const q = from !== undefined && to !== undefined ? `?from=${from}&to=${to}` : "";
    const res = await this.#call(
      "GET",
      `/admin/payments-summary${q}`,
      undefined,
      this.token,
      record,
    );
    if (res.status === 200) {
      try {
        const s = JSON.parse(res.body) as Partial<ProcessorSummary>;
        return {
          ok: true,
          summary: {
            totalRequests: Number(s.totalRequests ?? 0),
            totalAmount: Number(s.totalAmount ?? 0),
            totalFee: Number(s.totalFee ?? 0),
            feePerTransaction: Number(s.feePerTransaction ?? 0),
          },
        };
      } catch { /* malformed: zeros */ }
    }
    return { ok: false, summary: { ...ZERO_SUMMARY } };
  }

  /**
   * `GET /admin/debug/payments` (our simulator only): every stored payment, or `null` when the
   * endpoint is absent or fails. Outside the test (not recorded).
   * @param timeoutMs generous: the list can hold ~100k entries
   */
  async debugPayments(timeoutMs = 30_000): Promise<StoredPayment[] | null> {
    const res = await timedRequest(`${this.baseUrl}/admin/debug/payments`, {
      headers: { "x-rinha-token": this.token },
      timeoutMs,
      signal: this.#signal,
    });
    if (res.status !== 200) return null;
    try {
      const list = JSON.parse(res.body);
      return Array.isArray(list) ? list as StoredPayment[] : null;
    } catch {
      return null;
    }
  }
}

/** Client of the backend's non-payment endpoints. */
export class BackendClient {
  readonly baseUrl: string;
  #timeoutMs: number;
  #record?: Recorder;
  #signal?: AbortSignal;

  constructor(baseUrl: string, options: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? 1500;
    this.#record = options.record;
    this.#signal = options.signal;
  }

  /** `POST /purge-payments`; the outcome is ignored, like the script. Returns the status. */
  async purge(): Promise<number> {
    const res = await timedRequest(`${this.baseUrl}/purge-payments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      timeoutMs: this.#timeoutMs,
      record: this.#record,
      signal: this.#signal,
    });
    return res.status;
  }

  /**
   * `GET /payments-summary?from&to` (un-encoded bounds). `null` summary on any failure — the
   * script then uses zeros for both processors.
   */
  async summary(
    from?: string,
    to?: string,
  ): Promise<{ summary: BackendSummary | null; status: number; error?: string }> {
    const q = from !== undefined && to !== undefined ? `?from=${from}&to=${to}` : "";
    const res = await timedRequest(`${this.baseUrl}/payments-summary${q}`, {
      headers: { "content-type": "application/json" },
      timeoutMs: this.#timeoutMs,
      record: this.#record,
      signal: this.#signal,
    });
    if (res.status === 200) {
      try {
        const s = JSON.parse(res.body) as BackendSummary;
        return {
          status: 200,
          summary: {
            default: {
              totalRequests: Number(s.default?.totalRequests ?? 0),
              totalAmount: Number(s.default?.totalAmount ?? 0),
            },
            fallback: {
              totalRequests: Number(s.fallback?.totalRequests ?? 0),
              totalAmount: Number(s.fallback?.totalAmount ?? 0),
            },
          },
        };
      } catch {
        return { status: 200, summary: null, error: "malformed JSON" };
      }
    }
    return { status: res.status, summary: null, error: res.error ?? `HTTP ${res.status}` };
  }

  /**
   * `GET /healthcheck`, outside the test (not recorded): the `queue` field of its JSON (the
   * backlog, payments accepted and not yet taken by a worker), or `null` when absent or failing.
   */
  async backlog(timeoutMs = 800): Promise<number | null> {
    const res = await timedRequest(`${this.baseUrl}/healthcheck`, {
      timeoutMs,
      signal: this.#signal,
    });
    if (res.status === 0 || !res.body) return null; // a 503 "unhealthy" body still has the queue
    try {
      const q = (JSON.parse(res.body) as { queue?: unknown }).queue;
      return typeof q === "number" && Number.isFinite(q) ? q : null;
    } catch {
      return null;
    }
  }
}
