/**
 * The official score of a run, computed exactly as the final test's `handleSummary` does, with the
 * library it uses: big.js 7.0.1 (`new Big(x)` of a JS number parses `String(x)`; `plus`, `minus`
 * and `times` are exact; `round(2)` rounds half away from zero; `toNumber()` goes back to a float
 * through the decimal text), so every intermediate `toNumber()` of the script is replayed.
 *
 * Rules (docs/CONTRACT.md §4, replayed from `rinha-test/rinha-final.js`):
 * - `p99` = k6's p(99) of `http_req_duration{expected_response:true}`, rounded to 2 decimals
 *   half away from zero (big.js).
 * - `bonus = max(round2((11 − p99) × 0.02), 0)`: the product is a JS float first, then rounded
 *   by big.js — so e.g. p99 2.25 gives 0.17500000000000002 → 0.18, p99 2.75 gives 0.165 → 0.17.
 * - fee of a processor = `feePerTransaction × totalAmount` (big.js, then `toNumber()`); the
 *   processor's own `totalFee` is not read by the official script.
 * - `fine = 0.35` when the inconsistency counter is > 0, else 0.
 * - `total_liquido = L + L × bonus − L × fine` with `L = gross − fees`, all in big.js and converted
 *   to a float only where the script does. It is not rounded: the published 1,949,876.38 of the
 *   winner is `1949876.384625` printed to the cent.
 * - `lag = successful POSTs − (default.totalRequests + fallback.totalRequests)`; a negative lag
 *   is the script's "caixa dois" (slush fund) flag.
 *
 * @module
 */

// @ts-types="@types/big.js"
import Big from "big.js";

/** What one processor holds at teardown (its admin summary), amounts in currency units. */
interface ProcessorTotals {
  /** Payments stored (final test: the processor's `totalRequests`). */
  totalRequests: number;
  /** Sum of their amounts (final test: the processor's `totalAmount`). */
  totalAmount: number;
  /** Fee ratio the processor reports, e.g. 0.07 (`feePerTransaction`). */
  feePerTransaction: number;
}

/** Everything the score depends on. */
export interface ScoreInput {
  /** `POST /payments` answered 200/201/202/204 within 1500 ms (k6 `transactions_success`). */
  successfulPosts: number;
  /** Every other `POST /payments` outcome (k6 `transactions_failure`). */
  failedPosts: number;
  /** Unrounded p99 in ms over every request with a 2xx/3xx answer the test made. */
  p99Ms: number;
  /** Sum of the consistency checks' counts (k6 `payments_inconsistency`). */
  inconsistencies: number;
  default: ProcessorTotals;
  fallback: ProcessorTotals;
  /** Peak VUs, reported as `p99.max_requests` (the official run passed it as the string "603"). */
  maxVus: number;
  /** Name reported as `participante`; default "anonymous" like the script. */
  participant?: string;
  /** ISO time of the report; default now. */
  timestamp?: string;
}

/** Per-processor block of the official results (`pagamentos_realizados_*`). */
interface OfficialProcessorResult {
  total_bruto: number;
  num_pagamentos: number;
  total_taxas: number;
  descricao: string;
}

/** The JSON the official script writes to `final-results.json`, key for key. */
export interface OfficialResults {
  timestamp: string;
  participante: string;
  /** The score. */
  total_liquido: number;
  total_bruto: number;
  total_taxas: number;
  descricao: string;
  p99: { valor: string; bonus: string; max_requests: string; descricao: string };
  multa: {
    porcentagem: number;
    total: number;
    composicao: { num_inconsistencias: number; descricao: string };
  };
  caixa_dois: { detectado: boolean; descricao: string };
  lag: {
    num_pagamentos_total: number;
    num_pagamentos_solicitados: number;
    lag: number;
    descricao: string;
  };
  pagamentos_solicitados: { qtd_sucesso: number; qtd_falha: number; descricao: string };
  pagamentos_realizados_default: OfficialProcessorResult;
  pagamentos_realizados_fallback: OfficialProcessorResult;
}

/** Fine ratio applied when any inconsistency was counted. docs/CONTRACT.md §4. */
const INCONSISTENCY_FINE = 0.35;

/** p99 rounded to 2 decimals as the official script does (half away from zero). */
export function roundP99(p99Ms: number): number {
  return new Big(p99Ms).round(2).toNumber();
}

/**
 * Performance bonus ratio for a rounded p99 (ms): `max(round2((11 − p99) × 0.02), 0)` with the
 * script's float product. docs/CONTRACT.md §4.
 */
export function p99Bonus(p99Rounded: number): number {
  return Math.max(new Big((11 - p99Rounded) * 0.02).round(2).toNumber(), 0);
}

/**
 * Computes the official results object of a run. Pure.
 * @throws {Error} (big.js `Invalid number`) when a number is not finite.
 */
export function scoreRun(input: ScoreInput): OfficialResults {
  const d = input.default;
  const f = input.fallback;
  const gross = new Big(d.totalAmount).plus(f.totalAmount).toNumber();
  const defaultFee = new Big(d.feePerTransaction).times(d.totalAmount).toNumber();
  const fallbackFee = new Big(f.feePerTransaction).times(f.totalAmount).toNumber();
  const totalFee = new Big(defaultFee).plus(fallbackFee).toNumber();

  const p99 = roundP99(input.p99Ms);
  const bonus = p99Bonus(p99);
  const fine = input.inconsistencies > 0 ? INCONSISTENCY_FINE : 0;

  const stored = d.totalRequests + f.totalRequests;
  const lag = input.successfulPosts - stored;

  const partial = new Big(gross).minus(totalFee).toNumber();
  const liquid = new Big(partial)
    .plus(new Big(partial).times(bonus))
    .minus(new Big(partial).times(fine))
    .toNumber();

  return {
    timestamp: input.timestamp ?? new Date().toISOString(),
    participante: input.participant ?? "anonymous",
    total_liquido: liquid,
    total_bruto: gross,
    total_taxas: totalFee,
    descricao:
      "'total_liquido' is the score (profit): L + L × p99.bonus − L × multa.porcentagem, L = gross − fees.",
    p99: {
      valor: `${p99}ms`,
      bonus: `${new Big(bonus).times(100)}%`,
      max_requests: String(input.maxVus),
      descricao: "bonus = max((11 - p99) * 0.02, 0), rounded to 2 decimals.",
    },
    multa: {
      porcentagem: fine,
      total: new Big(partial).times(fine).toNumber(),
      composicao: {
        num_inconsistencias: input.inconsistencies,
        descricao: "Any inconsistency (> 0) costs a 35 % fine.",
      },
    },
    caixa_dois: {
      detectado: lag < 0,
      descricao: "A negative lag means more payments were stored than requested (disqualifying).",
    },
    lag: {
      num_pagamentos_total: stored,
      num_pagamentos_solicitados: input.successfulPosts,
      lag,
      descricao: "Successful POST /payments minus payments held by the processors at the end.",
    },
    pagamentos_solicitados: {
      qtd_sucesso: input.successfulPosts,
      qtd_falha: input.failedPosts,
      descricao: "POST /payments answered 200/201/202/204 (qtd_sucesso) or not (qtd_falha).",
    },
    pagamentos_realizados_default: {
      total_bruto: d.totalAmount,
      num_pagamentos: d.totalRequests,
      total_taxas: defaultFee,
      descricao:
        "Default processor totals the score uses (final: its admin summary; preview: the backend's).",
    },
    pagamentos_realizados_fallback: {
      total_bruto: f.totalAmount,
      num_pagamentos: f.totalRequests,
      total_taxas: fallbackFee,
      descricao:
        "Fallback processor totals the score uses (final: its admin summary; preview: the backend's).",
    },
  };
}
