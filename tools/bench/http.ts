/**
 * One timed HTTP request with a client timeout, the way k6 measures it (requests.js Httpx,
 * `timeout: 1500`): a timeout or transport error gives status 0 and is never an expected
 * response.
 *
 * @module
 */

/** Outcome of {@linkcode timedRequest}. */
export interface TimedResponse {
  /** HTTP status, or 0 on timeout / transport error. */
  status: number;
  /** Time from sending to the end of the body, ms. */
  ms: number;
  /** The body as text (empty on failure or when not read). */
  body: string;
  /** Whether the client timeout fired. */
  timedOut: boolean;
  /** Error message on status 0. */
  error?: string;
}

/** Options of {@linkcode timedRequest}. */
interface TimedRequestOptions {
  method?: string;
  headers?: HeadersInit;
  body?: string;
  /** Client timeout, ms (covers the whole exchange). */
  timeoutMs: number;
  /** Called with (status, ms) once the request is over, e.g. to feed the score histogram. */
  record?: (status: number, ms: number) => void;
  /** Also aborts the request (counted as an error, not a timeout). */
  signal?: AbortSignal;
}

/**
 * Sends one request and reads the whole body. Never throws for HTTP or network failures.
 * @param url absolute URL
 */
export async function timedRequest(
  url: string,
  options: TimedRequestOptions,
): Promise<TimedResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = () => controller.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const t0 = performance.now();
  let result: TimedResponse;
  try {
    const res = await fetch(url, {
      method: options.method ?? "GET",
      headers: options.headers,
      body: options.body,
      signal: controller.signal,
    });
    const body = await res.text();
    result = { status: res.status, ms: performance.now() - t0, body, timedOut: false };
  } catch (e) {
    result = {
      status: 0,
      ms: performance.now() - t0,
      body: "",
      timedOut,
      error: timedOut ? "timeout" : e instanceof Error ? e.message : String(e),
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  options.record?.(result.status, result.ms);
  return result;
}

/**
 * Sleeps `ms`, resolving early (without throwing) when `signal` aborts.
 * @returns whether the full time elapsed
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
