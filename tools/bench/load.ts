/**
 * The `payments` scenario: k6 `ramping-vus` virtual users posting payments.
 *
 * Semantics reproduced from rinha-final.js / k6:
 * - VU k starts at its {@linkcode vuStartOffsets} offset (1 VU at 0, linear to `maxVus` at the
 *   end of the ramp); there is no ramp-down, so `gracefulRampDown: "0s"` never applies.
 * - Each iteration: `POST /payments` `{"correlationId": <uuid v4>, "amount": <amount>}` with the
 *   1500 ms client timeout, then `sleep(1)`. Success = 200/201/202/204.
 * - A VU starts a new iteration only before the end of the ramp; an iteration already started
 *   runs to its end, sleep included (k6 `gracefulStop`, 30 s by default), so the teardown comes
 *   right after the last sleeps. A hard abort (`signal`) stops every VU at once.
 *
 * Each VU keeps its own keep-alive connection (like k6) through {@linkcode H1Connection}, whose
 * timing excludes connecting (k6 `http_req_duration`). Per request: one `crypto.randomUUID()`,
 * one string concatenation, one write, one or two reads, one histogram increment.
 *
 * @module
 */

import type { RunMetrics } from "./metrics.ts";
import { SUCCESS_STATUSES } from "./metrics.ts";
import { H1Connection } from "./h1_client.ts";
import { sleep } from "./http.ts";
import { vuStartOffsets } from "./scenario.ts";

/** Options of {@linkcode runPaymentsLoad}. */
interface PaymentsLoadOptions {
  /** Backend base URL, e.g. http://127.0.0.1:9999. */
  backendUrl: string;
  startVus: number;
  maxVus: number;
  /** Ramp duration, ms: no iteration starts after it. */
  durationMs: number;
  /** Amount sent in every payment. */
  amount: number;
  /** Client timeout, ms. */
  timeoutMs: number;
  /** Pause after each POST, ms. */
  thinkTimeMs: number;
  /** `performance.now()` of the start of the load. */
  startedAt: number;
  metrics: RunMetrics;
  /** Called with the correlationId of every successful POST (for the exactly-once audit). */
  onAccepted?: (correlationId: string) => void;
  /** Hard stop. */
  signal: AbortSignal;
}

/** Live state of the load, read by the progress display. */
interface LoadState {
  /** VUs currently running. */
  activeVus: number;
}

/**
 * Runs the ramping VUs until every VU finished its last iteration (or `signal` aborts).
 * @returns the live state object (updated while running) and a promise of the end
 */
export function runPaymentsLoad(options: PaymentsLoadOptions): {
  state: LoadState;
  done: Promise<void>;
} {
  const state: LoadState = { activeVus: 0 };
  const base = new URL(options.backendUrl);
  const path = `${base.pathname.replace(/\/+$/, "")}/payments`;
  const head = '{"correlationId":"';
  const tail = `","amount":${JSON.stringify(options.amount)}}`;
  const endAt = options.startedAt + options.durationMs;
  const { metrics, signal, timeoutMs, thinkTimeMs, onAccepted } = options;

  const post = async (conn: H1Connection): Promise<void> => {
    const id = crypto.randomUUID();
    const res = await conn.request("POST", path, head + id + tail, timeoutMs);
    metrics.recordPost(res.status, res.ms, res.timedOut);
    if (onAccepted && SUCCESS_STATUSES.has(res.status)) onAccepted(id);
  };

  const vu = async (offsetMs: number): Promise<void> => {
    const wait = options.startedAt + offsetMs - performance.now();
    if (wait > 0 && !(await sleep(wait, signal))) return;
    if (performance.now() >= endAt) return; // the last VU starts exactly at the end (k6)
    state.activeVus++;
    const conn = new H1Connection(options.backendUrl);
    try {
      while (!signal.aborted && performance.now() < endAt) {
        await post(conn);
        if (!(await sleep(thinkTimeMs, signal))) break;
      }
    } finally {
      conn.close();
      state.activeVus--;
    }
  };

  const offsets = vuStartOffsets(options.startVus, options.maxVus, options.durationMs);
  const done = Promise.all(offsets.map(vu)).then(() => {});
  return { state, done };
}
