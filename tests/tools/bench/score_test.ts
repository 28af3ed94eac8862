import assert from "node:assert/strict";
import { p99Bonus, roundP99, type ScoreInput, scoreRun } from "../../../tools/bench/score.ts";

/** The published winner of the final re-run (docs/CONTRACT.md §4; final-results.json of the entry). */
const WINNER: ScoreInput = {
  successfulPosts: 90_591,
  failedPosts: 0,
  p99Ms: 2.5512,
  inconsistencies: 0,
  default: { totalRequests: 52_945, totalAmount: 1_061_547.25, feePerTransaction: 0.07 },
  fallback: { totalRequests: 37_646, totalAmount: 754_802.3, feePerTransaction: 0.1 },
  maxVus: 603,
  timestamp: "2025-08-21T05:22:06.046Z",
};

/** Rounded to the cent, as the published figures are printed. */
const cents = (x: number) => Number(x.toFixed(2));

Deno.test("score: the published winner matches to the cent (1,949,876.38)", () => {
  const r = scoreRun(WINNER);
  assert.equal(r.total_liquido, 1_949_876.384625); // the exact value in the official JSON
  assert.equal(cents(r.total_liquido), 1_949_876.38);
  assert.equal(r.total_bruto, 1_816_349.55);
  assert.equal(r.total_taxas, 149_788.5375);
  assert.equal(r.p99.valor, "2.55ms");
  assert.equal(r.p99.bonus, "17%");
  assert.equal(r.p99.max_requests, "603");
  assert.equal(r.multa.porcentagem, 0);
  assert.equal(r.multa.total, 0);
  assert.equal(r.lag.lag, 0);
  assert.equal(r.lag.num_pagamentos_total, 90_591);
  assert.equal(r.caixa_dois.detectado, false);
  assert.equal(r.pagamentos_solicitados.qtd_sucesso, 90_591);
  assert.equal(r.pagamentos_realizados_default.total_taxas, 74_308.3075);
  assert.equal(r.pagamentos_realizados_fallback.total_taxas, 75_480.23);
  assert.equal(r.pagamentos_realizados_default.num_pagamentos, 52_945);
  assert.equal(r.pagamentos_realizados_fallback.num_pagamentos, 37_646);
});

Deno.test("score: the runner-up (p99 2.09 ms → 18 %) matches 1,937,542.21", () => {
  const r = scoreRun({
    ...WINNER,
    successfulPosts: 90_601,
    p99Ms: 2.09,
    default: { totalRequests: 11_787, totalAmount: 11_787 * 20.05, feePerTransaction: 0.07 },
    fallback: { totalRequests: 78_814, totalAmount: 1_580_220.7, feePerTransaction: 0.1 },
  });
  assert.equal(r.p99.bonus, "18%");
  assert.equal(cents(r.total_liquido), 1_937_542.21);
});

Deno.test("score: any inconsistency costs 35 %, lag and slush fund are reported", () => {
  const r = scoreRun({ ...WINNER, inconsistencies: 3, successfulPosts: 90_600, failedPosts: 4 });
  // L = 1,816,349.55 − 149,788.5375 = 1,666,561.0125; × (1 + 0.17 − 0.35)
  assert.equal(r.total_liquido, 1_366_580.03025);
  assert.equal(r.multa.porcentagem, 0.35);
  assert.equal(r.multa.total, 583_296.354375);
  assert.equal(r.multa.composicao.num_inconsistencias, 3);
  assert.equal(r.lag.lag, 9);
  assert.equal(r.pagamentos_solicitados.qtd_falha, 4);
  const slush = scoreRun({ ...WINNER, successfulPosts: 90_000 });
  assert.equal(slush.lag.lag, -591);
  assert.equal(slush.caixa_dois.detectado, true);
});

Deno.test("score: p99 rounding and the bonus steps follow the script's arithmetic", () => {
  assert.equal(roundP99(2.555), 2.56); // half away from zero, on the decimal text
  assert.equal(roundP99(2.5549999), 2.55);
  assert.equal(p99Bonus(0), 0.22);
  assert.equal(p99Bonus(2.25), 0.18); // (11 − 2.25) × 0.02 = 0.17500000000000002 in floats
  assert.equal(p99Bonus(2.75), 0.17); // 0.165 → 0.17
  assert.equal(p99Bonus(3.25), 0.16);
  assert.equal(p99Bonus(11), 0);
  assert.equal(p99Bonus(52), 0);
  const slow = scoreRun({ ...WINNER, p99Ms: 52 });
  assert.equal(slow.p99.bonus, "0%");
  assert.equal(slow.total_liquido, 1_666_561.0125);
});

Deno.test("score: exact decimal arithmetic like the script's big.js", () => {
  const totals = (defaultAmount: number, fallbackAmount: number, fee = 0) =>
    scoreRun({
      ...WINNER,
      p99Ms: 52, // no bonus
      default: { totalRequests: 1, totalAmount: defaultAmount, feePerTransaction: fee },
      fallback: { totalRequests: 1, totalAmount: fallbackAmount, feePerTransaction: 0 },
    });
  assert.equal(totals(0.1, 0.2).total_bruto, 0.3); // not 0.30000000000000004
  assert.equal(totals(1_061_547.25, 0, 0.07).total_taxas, 74_308.3075);
  assert.equal(totals(1e21, 0).total_bruto, 1_000_000_000_000_000_000_000);
  assert.equal(totals(1e-7, 0).total_bruto, 0.0000001);
  assert.equal(roundP99(-0.125), -0.13); // half away from zero below zero too
  assert.equal(roundP99(2.345), 2.35); // the decimal text "2.345", not the float 2.34499…
  assert.equal(totals(5, 0, 1.45).total_liquido, -2.25); // 5 − 7.25
  assert.throws(() => roundP99(NaN), /Invalid number/);
  assert.throws(() => scoreRun({ ...WINNER, p99Ms: Infinity }), /Invalid number/);
});
