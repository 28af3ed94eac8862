/**
 * The self-contained HTML report of a bench run (`deno task bench --report`, docs/BENCHMARKS.md
 * "Output"): a header with where the run came from (commit, Deno, machine), the score with its
 * formula and what its terms mean (docs/CONTRACT.md §4), one table comparing the runs (backend,
 * baseline) column by column, and five SVG charts (report_charts.ts: latency, throughput and VUs,
 * default vs fallback with the fault phases, backlog, consistency checks). No CDN, no external
 * file.
 *
 * @module
 */

import { chartScripts, chartSections } from "./report_charts.ts";
import { formatMB } from "./resources.ts";
import type { RunResult } from "./run.ts";

/** What the report shows. */
interface ReportInput {
  /** The run against the backend (absent for a baseline-only report). */
  main?: RunResult;
  /** The run against the no-op backend. */
  baseline?: RunResult;
  /** Command line, shown in the header. */
  command?: string;
  /** ISO time of generation. */
  generatedAt?: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || !Number.isFinite(n) ? "–" : n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function row(k: string, v: string): string {
  return `<tr><th>${esc(k)}</th><td>${v}</td></tr>`;
}

/** Commit, Deno version and machine of the run (provenance.ts). */
function provenance(r: RunResult): string {
  const mc = r.machine;
  return `<p class="provenance">Commit <code>${esc(r.commit)}</code> · Deno ${esc(r.deno)} · ` +
    `machine: ${mc.cores} cores, ${esc(mc.cpuModel)}</p>`;
}

/** The score, what it is made of, and how to read it. */
function scoreSection(o: NonNullable<RunResult["official"]>): string {
  const fine = Math.round(o.multa.porcentagem * 100);
  const rows = [
    row("score (total_liquido)", `<b>${fmt(o.total_liquido)}</b>`),
    row("gross / fees", `${fmt(o.total_bruto)} / ${fmt(o.total_taxas)}`),
    row("p99 (score) / bonus", `${esc(o.p99.valor)} / ${esc(o.p99.bonus)}`),
    row("inconsistencies / fine", `${o.multa.composicao.num_inconsistencias} / ${fine} %`),
    row("lag", String(o.lag.lag)),
    row(
      "payments default / fallback",
      `${o.pagamentos_realizados_default.num_pagamentos} / ${o.pagamentos_realizados_fallback.num_pagamentos}`,
    ),
  ];
  const notes = [
    `<b>score</b> = (gross − fees) × (1 + bonus − fine) = (${fmt(o.total_bruto)} − ${
      fmt(o.total_taxas)
    }) × (1 + ${esc(o.p99.bonus)} − ${fine} %) = ${fmt(o.total_liquido)}.`,
    "<b>bonus</b> = max(round2((11 − p99) × 0.02), 0): one point per half millisecond of p99 " +
    "under 11 ms. <b>fine</b> = 35 % as soon as one consistency check found a difference.",
    "<b>p99 (score)</b> is the 99th percentile of <i>every</i> request of the test answered " +
    "2xx/3xx — the POSTs, but also the consistency checks' summaries and the admin calls — over " +
    "the whole run, rounded to 2 decimals (<i>p99 of all expected responses</i> below is the same " +
    "figure unrounded). <b>POST p99</b> covers the successful POST /payments only, so the two differ.",
    `<b>lag</b> = successful POSTs − payments the processors hold at the end = ${o.lag.num_pagamentos_solicitados} − ${o.lag.num_pagamentos_total} = ${o.lag.lag}: ` +
    "payments accepted but never processed. A negative lag (more stored than accepted) is the " +
    "test's <i>caixa dois</i> flag.",
  ];
  return `<h2>Score</h2>\n<table class="summary">${rows.join("")}</table>\n` +
    `<ul class="notes">${notes.map((n) => `<li>${n}</li>`).join("")}</ul>\n` +
    `<p class="notes">Rules: docs/CONTRACT.md §4, replayed by tools/bench/score.ts.</p>`;
}

/** One run's figures by row name: POSTs, latency, generator and machine cost, services. */
function runFigures(r: RunResult): Map<string, string> {
  const p = r.latency.posts;
  const g = r.generator;
  const out = new Map<string, string>([
    ["POST ok / fail (timeouts)", `${r.posts.ok} / ${r.posts.fail} (${r.posts.timeouts})`],
    [
      "POST p50 / p90 / p99 / max",
      `${fmt(p.p50)} / ${fmt(p.p90)} / ${fmt(p.p99)} / ${fmt(p.max)} ms`,
    ],
    ["p99 of all expected responses", `${fmt(r.latency.expected.p99, 3)} ms`],
    [
      "load generator CPU",
      `${fmt(g.cpuPercentOfOneCore, 1)} % of one core (${g.cpuUserMs} ms user, ` +
      `${g.cpuSystemMs} ms sys); event-loop lag p99 ${fmt(g.loopLagP99Ms)} / max ${
        fmt(g.loopLagMaxMs)
      } ms`,
    ],
    [
      "machine load average (1 min) before / after",
      `${r.machine.loadavgBefore[0] ?? "?"} / ${r.machine.loadavgAfter[0] ?? "?"}`,
    ],
  ]);
  const cpu = r.machine.cpu;
  if (cpu) {
    out.set(
      "machine cores busy (stolen)",
      `${fmt(cpu.busyCores)} (${fmt(cpu.stealCores)}) of ${cpu.cores}`,
    );
  }
  for (const x of r.resources ?? []) {
    out.set(
      x.service,
      `CPU ${fmt(x.cpuSeconds, 1)} s, run-queue wait ${fmt(x.runQueueWaitSeconds, 1)} s, ` +
        `peak RSS ${formatMB(x.peakRssBytes)} (anon ${formatMB(x.peakAnonBytes)}, ` +
        `file ${formatMB(x.peakFileBytes)})`,
    );
  }
  if (r.audit) out.set("exactly-once audit", auditText(r.audit));
  if (r.aborted) out.set("aborted", esc(r.aborted));
  return out;
}

function auditText(a: NonNullable<RunResult["audit"]>): string {
  return "available" in a
    ? esc(a.reason)
    : `accepted ${a.accepted}, stored ${a.stored.default}+${a.stored.fallback}, ` +
      `by both ${a.storedByBoth}, twice ${a.storedTwice}, never stored ${a.acceptedNeverStored}, ` +
      `stored not accepted ${a.storedNotAccepted}`;
}

/** The runs side by side, one column each (rows a run lacks show "–"), then p99 ours/baseline. */
function runsTable(runs: RunResult[]): string {
  const figures = runs.map(runFigures);
  const names = [...new Set(figures.flatMap((f) => [...f.keys()]))];
  const head = `<tr><th></th>${runs.map((r) => `<th>${esc(r.label)}</th>`).join("")}</tr>`;
  const rows = names.map((k) =>
    `<tr><th>${esc(k)}</th>${figures.map((f) => `<td>${f.get(k) ?? "–"}</td>`).join("")}</tr>`
  );
  const [m, b] = runs;
  if (b && b.latency.expected.p99 > 0) {
    const [ours, floor] = [m.latency.expected.p99, b.latency.expected.p99];
    rows.push(
      `<tr><th>p99 ours / baseline</th><td colspan="${runs.length}">${fmt(ours, 3)} / ${
        fmt(floor, 3)
      } ms = ×${fmt(ours / floor)}</td></tr>`,
    );
  }
  return `<h2>Runs</h2>\n<table class="runs">${head}${rows.join("")}</table>`;
}

function checksTable(r: RunResult | undefined): string {
  if (!r) return "";
  const bad = r.consistency.checks.filter((c) => c.inconsistencies > 0 || c.backendError);
  if (bad.length === 0) {
    return `<p>${r.consistency.checks.length} consistency checks, none inconsistent.</p>`;
  }
  const rows = bad.slice(0, 200).map((c) =>
    `<tr><td>${
      (c.atMs / 1000).toFixed(1)
    } s</td><td>${c.inconsistencies}</td><td>${c.backend.default}/${c.backend.fallback}</td><td>${c.processors.default}/${c.processors.fallback}</td><td>${
      esc(c.backendError ?? "")
    }</td></tr>`
  );
  return `<table class="checks"><tr><th>t</th><th>count</th><th>backend d/f</th><th>processors d/f</th><th>backend error</th></tr>${
    rows.join("")
  }</table>`;
}

const STYLE =
  `body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1000px; }
table { border-collapse: collapse; margin: 8px 0 12px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
table.runs th { white-space: nowrap; }
.chart svg { background: #fff; border: 1px solid #eee; }
h2 { font-size: 16px; margin: 22px 0 4px; }
code { background: #f5f5f5; padding: 1px 4px; }
.provenance { color: #444; }
.notes, .caption, .key { color: #444; font-size: 13px; margin: 4px 0 8px; }
ul.notes, .key ul { padding-left: 20px; }
.key ul { margin: 2px 0 6px; }
.sw { display: inline-block; width: 14px; height: 10px; margin-right: 3px; border: 1px solid #ccc; }`;

/**
 * Renders the report. The result references nothing outside itself.
 * @throws {TypeError} when neither `main` nor `baseline` is given
 */
export function renderReport(input: ReportInput): string {
  if (!input.main && !input.baseline) throw new TypeError("nothing to report");
  const m = input.main ?? input.baseline!;
  const runs = [input.main, input.baseline].filter((r): r is RunResult => r !== undefined);
  const title = `Rinha bench — ${m.label} — ${m.scenario.name} ${
    Math.round(m.scenario.durationMs / 1000)
  } s`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
${STYLE}
</style></head>
<body data-rendered="0">
<h1>${esc(title)}</h1>
<p>Generated ${esc(input.generatedAt ?? new Date().toISOString())}${
    input.command ? ` by <code>${esc(input.command)}</code>` : ""
  }; backend ${esc(m.backendUrl)}.</p>
${provenance(m)}
${m.official ? scoreSection(m.official) : ""}
${runsTable(runs)}
${chartSections(m.scenario)}
<h2>Inconsistent checks</h2>
${checksTable(input.main)}
${chartScripts(m, input.main ? input.baseline : undefined)}
</body></html>
`;
}
