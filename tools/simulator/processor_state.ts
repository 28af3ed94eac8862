/**
 * The Payment Processor simulator's mutable state: its configuration (token, delay, failure
 * switch, fee; Endpoints.cs) and its stored payments (ledger.ts).
 *
 * @module
 */

import { type Decimal, parseDecimal } from "./decimal.ts";
import { Ledger } from "./ledger.ts";

/** Default fee per transaction (Endpoints.cs `TRANSACTION_FEE`). */
const DEFAULT_FEE = "0.05";
/** Default admin token (Endpoints.cs `INITIAL_TOKEN`). */
export const DEFAULT_TOKEN = "123";

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

  /** True when `request` carries the expected `X-Rinha-Token` (Filters.cs). */
  authorizes(request: Request): boolean {
    return request.headers.get("x-rinha-token") === this.token;
  }
}
