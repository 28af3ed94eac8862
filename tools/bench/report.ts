/**
 * The self-contained HTML report of a bench run: summary tables and five SVG charts drawn by an
 * inline script from inline JSON (no CDN, no external file). When the script has drawn every
 * chart it sets `data-rendered="<number of charts>"` on `<body>`, which the headless-Chromium
 * test (tests/tools/bench/report_render_test.ts) checks.
 *
 * Charts: POST latency percentiles over time; throughput and VUs; default vs fallback share over
 * time with the fault phases shaded; backend backlog; consistency checks.
 *
 * @module
 */

import { faultPhases } from "./faults.ts";
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

function summaryTable(input: ReportInput): string {
  const m = input.main;
  const b = input.baseline;
  const rows = m?.official ? officialRows(m.official) : [];
  for (const r of [m, b]) if (r) rows.push(...runRows(r));
  if (m && b && b.latency.expected.p99 > 0) {
    rows.push(
      row(
        "p99 ours / baseline",
        `${fmt(m.latency.expected.p99, 3)} / ${fmt(b.latency.expected.p99, 3)} ms = ×${
          fmt(m.latency.expected.p99 / b.latency.expected.p99)
        }`,
      ),
    );
  }
  if (m?.audit) rows.push(auditRow(m.audit));
  return `<table class="summary">${rows.join("")}</table>`;
}

/** The score and what it is made of. */
function officialRows(o: NonNullable<RunResult["official"]>): string[] {
  return [
    row("score (total_liquido)", `<b>${fmt(o.total_liquido)}</b>`),
    row("gross / fees", `${fmt(o.total_bruto)} / ${fmt(o.total_taxas)}`),
    row("p99 (score) / bonus", `${esc(o.p99.valor)} / ${esc(o.p99.bonus)}`),
    row(
      "inconsistencies / fine",
      `${o.multa.composicao.num_inconsistencias} / ${o.multa.porcentagem * 100} %`,
    ),
    row("lag", String(o.lag.lag)),
    row(
      "payments default / fallback",
      `${o.pagamentos_realizados_default.num_pagamentos} / ${o.pagamentos_realizados_fallback.num_pagamentos}`,
    ),
  ];
}

/** One run's POSTs, latency, generator and machine cost, services' resources. */
function runRows(r: RunResult): string[] {
  const p = r.latency.posts;
  const rows = [
    row(
      `${r.label}: POST ok / fail (timeouts)`,
      `${r.posts.ok} / ${r.posts.fail} (${r.posts.timeouts})`,
    ),
    row(
      `${r.label}: POST p50 / p90 / p99 / max`,
      `${fmt(p.p50)} / ${fmt(p.p90)} / ${fmt(p.p99)} / ${fmt(p.max)} ms`,
    ),
    row(`${r.label}: p99 of all expected responses`, `${fmt(r.latency.expected.p99, 3)} ms`),
    row(
      `${r.label}: load generator CPU`,
      `${
        fmt(r.generator.cpuPercentOfOneCore, 1)
      } % of one core (${r.generator.cpuUserMs} ms user, ${r.generator.cpuSystemMs} ms sys); ` +
        `event-loop lag p99 ${fmt(r.generator.loopLagP99Ms)} / max ${
          fmt(r.generator.loopLagMaxMs)
        } ms`,
    ),
    row(
      `${r.label}: machine load average (1 min) before / after`,
      `${r.machine.loadavgBefore[0] ?? "?"} / ${r.machine.loadavgAfter[0] ?? "?"}`,
    ),
  ];
  const cpu = r.machine.cpu;
  if (cpu) {
    rows.push(
      row(
        `${r.label}: machine cores busy (stolen)`,
        `${fmt(cpu.busyCores)} (${fmt(cpu.stealCores)}) of ${cpu.cores}`,
      ),
    );
  }
  for (const x of r.resources ?? []) {
    rows.push(
      row(
        `${r.label}: ${x.service}`,
        `CPU ${fmt(x.cpuSeconds, 1)} s, run-queue wait ${fmt(x.runQueueWaitSeconds, 1)} s, ` +
          `peak RSS ${formatMB(x.peakRssBytes)} (anon ${formatMB(x.peakAnonBytes)}, ` +
          `file ${formatMB(x.peakFileBytes)})`,
      ),
    );
  }
  if (r.aborted) rows.push(row(`${r.label}: aborted`, esc(r.aborted)));
  return rows;
}

function auditRow(a: NonNullable<RunResult["audit"]>): string {
  return row(
    "exactly-once audit",
    "available" in a
      ? esc(a.reason)
      : `accepted ${a.accepted}, stored ${a.stored.default}+${a.stored.fallback}, ` +
        `by both ${a.storedByBoth}, twice ${a.storedTwice}, never stored ${a.acceptedNeverStored}, ` +
        `stored not accepted ${a.storedNotAccepted}`,
  );
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

/** Data handed to the inline script. */
function chartData(input: ReportInput) {
  const m = input.main ?? input.baseline!;
  const pick = (r: RunResult | undefined) =>
    r && {
      label: r.label,
      durationMs: r.scenario.durationMs,
      windows: r.timeseries.windows,
      backlog: r.timeseries.backlog,
      share: r.timeseries.share,
      checks: r.consistency.checks.map((c) => ({
        t: c.atMs,
        n: c.inconsistencies,
        b: c.backend.default + c.backend.fallback,
        p: c.processors.default + c.processors.fallback,
        err: c.backendError ? 1 : 0,
      })),
      phases: faultPhases(r.faults.planned, Math.max(r.scenario.durationMs, r.loadMs)),
    };
  return { main: pick(m), baseline: input.main ? pick(input.baseline) : undefined };
}

/** The inline drawing script (plain ES2017, no template literals). */
const SCRIPT = String.raw`
(function () {
  var data = JSON.parse(document.getElementById("bench-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var W = 900, H = 280, L = 56, R = 16, T = 16, B = 50;
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < m.length; i++) if (m[i] * p >= v) return m[i] * p;
    return 10 * p;
  }
  function chart(id, opts) {
    var host = document.getElementById(id);
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img" }, host);
    var xMax = opts.xMax > 0 ? opts.xMax : 1;
    var yMax = niceMax(opts.yMax);
    var x = function (v) { return L + (v / xMax) * (W - L - R); };
    var y = function (v) { return H - B - (Math.min(v, yMax) / yMax) * (H - T - B); };
    (opts.bands || []).forEach(function (b) {
      var r = el("rect", { x: x(b.from), width: Math.max(1, x(b.to) - x(b.from)), y: b.top ? T : T + (H - T - B) / 2,
        height: (H - T - B) / (b.full ? 1 : 2), fill: b.color, opacity: b.opacity }, svg);
      el("title", {}, r).textContent = b.title;
      if (b.label && (b.full || x(b.to) - x(b.from) > 34)) {
        el("text", { x: x(b.from) + 3, y: (b.top || b.full ? T : T + (H - T - B) / 2) + 11, "font-size": 10, fill: "#555" }, svg)
          .textContent = b.label;
      }
    });
    for (var i = 0; i <= 4; i++) {
      var v = (yMax * i) / 4;
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#ddd" }, svg);
      el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 11 }, svg).textContent =
        Math.round(v * 100) / 100;
    }
    var step = niceMax(xMax / 7000) * 1000;
    for (var xv = 0; xv <= xMax + 1; xv += step) {
      el("text", { x: x(xv), y: H - B + 16, "text-anchor": "middle", "font-size": 11 }, svg).textContent =
        Math.round(xv / 100) / 10 + " s";
    }
    el("text", { x: 4, y: 12, "font-size": 11 }, svg).textContent = opts.yLabel || "";
    (opts.bars || []).forEach(function (s) {
      s.points.forEach(function (p) {
        var y0 = y(p[2] || 0), y1 = y((p[2] || 0) + p[1]);
        el("rect", { x: x(p[0]), y: y1, width: Math.max(1, x(p[0] + s.width) - x(p[0]) - 0.5),
          height: Math.max(0, y0 - y1), fill: s.color }, svg);
      });
    });
    (opts.lines || []).forEach(function (s) {
      if (!s.points.length) return;
      var d = s.points.map(function (p, k) { return (k ? "L" : "M") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1); }).join(" ");
      el("path", { d: d, fill: "none", stroke: s.color, "stroke-width": s.width || 1.5, opacity: s.opacity || 1 }, svg);
    });
    var lx = L + 8;
    (opts.bars || []).concat(opts.lines || []).forEach(function (s) {
      el("rect", { x: lx, y: H - 16, width: 10, height: 10, fill: s.color }, svg);
      var t = el("text", { x: lx + 14, y: H - 7, "font-size": 11 }, svg);
      t.textContent = s.name;
      lx += 24 + s.name.length * 6.5;
    });
    return svg;
  }
  var m = data.main, b = data.baseline;
  var xMax = m.durationMs;
  m.windows.forEach(function (w) { if (w.t + w.len > xMax) xMax = w.t + w.len; });
  var mid = function (w) { return w.t + w.len / 2; };
  var maxOf = function (arr, f) { var v = 0; arr.forEach(function (a) { var z = f(a); if (z > v) v = z; }); return v; };
  var lat = [
    { name: "p50", color: "#2b8a3e", points: m.windows.filter(function (w) { return w.ok; }).map(function (w) { return [mid(w), w.p50]; }) },
    { name: "p90", color: "#e67700", points: m.windows.filter(function (w) { return w.ok; }).map(function (w) { return [mid(w), w.p90]; }) },
    { name: "p99", color: "#c92a2a", points: m.windows.filter(function (w) { return w.ok; }).map(function (w) { return [mid(w), w.p99]; }) }
  ];
  if (b) lat.push({ name: "baseline p99", color: "#868e96", points: b.windows.filter(function (w) { return w.ok; }).map(function (w) { return [mid(w), w.p99]; }) });
  var p99max = maxOf(lat[2].points, function (p) { return p[1]; });
  chart("chart-latency", { xMax: xMax, yMax: Math.max(1, p99max * 1.1), yLabel: "POST latency per window, ms", lines: lat });
  var vusScale = Math.max(1, maxOf(m.windows, function (w) { return w.posts; })) / Math.max(1, maxOf(m.windows, function (w) { return w.vus; }));
  chart("chart-throughput", { xMax: xMax, yMax: Math.max(1, maxOf(m.windows, function (w) { return (w.posts * 1000) / w.len; })),
    yLabel: "POST/s (VUs scaled ×" + (Math.round(vusScale * 100) / 100) + ")", lines: [
      { name: "ok/s", color: "#1971c2", points: m.windows.map(function (w) { return [mid(w), (w.ok * 1000) / w.len]; }) },
      { name: "fail/s", color: "#c92a2a", points: m.windows.map(function (w) { return [mid(w), (w.fail * 1000) / w.len]; }) },
      { name: "VUs", color: "#868e96", opacity: 0.7, points: m.windows.map(function (w) { return [mid(w), w.vus * vusScale]; }) }
    ] });
  var bands = m.phases.map(function (p) {
    var heat = Math.min(1, p.delayMs / 2000);
    return { from: p.fromMs, to: p.toMs, top: p.processor === "default", color: p.failing ? "#e03131" : "#f59f00",
      opacity: p.failing ? 0.35 : 0.06 + 0.3 * heat,
      title: p.processor + " " + p.delayMs + " ms" + (p.failing ? " FAILING" : "") + " from " + Math.round(p.fromMs / 1000) + " s",
      label: (p.processor === "default" ? "D " : "F ") + p.delayMs + (p.failing ? " FAIL" : "") };
  });
  var shareMax = maxOf(m.share, function (s) { return (s.default + s.fallback) * 1000 / s.len; });
  chart("chart-share", { xMax: xMax, yMax: Math.max(1, shareMax), yLabel: "payments stored per s by requestedAt (bands: top default, bottom fallback faults)", bands: bands, bars: [
    { name: "default", color: "#1971c2", width: m.share.length ? m.share[0].len : 1000, points: m.share.map(function (s) { return [s.t, (s.default * 1000) / s.len, 0]; }) },
    { name: "fallback", color: "#9c36b5", width: m.share.length ? m.share[0].len : 1000, points: m.share.map(function (s) { return [s.t, (s.fallback * 1000) / s.len, (s.default * 1000) / s.len]; }) }
  ] });
  chart("chart-backlog", { xMax: xMax, yMax: Math.max(1, maxOf(m.backlog, function (p) { return p.queue; })), yLabel: "backend backlog (healthcheck queue)", lines: [
    { name: "queue", color: "#5f3dc4", points: m.backlog.map(function (p) { return [p.t, p.queue]; }) }
  ] });
  var marks = m.checks.filter(function (c) { return c.n > 0 || c.err; }).map(function (c) {
    return { from: c.t - xMax / 300, to: c.t + xMax / 300, full: true, top: true, color: "#e03131", opacity: 0.5,
      title: "check at " + Math.round(c.t / 1000) + " s: " + c.n + " inconsistencies" + (c.err ? " (backend failed)" : ""), label: String(c.n) };
  });
  chart("chart-consistency", { xMax: xMax, yMax: Math.max(1, maxOf(m.checks, function (c) { return Math.max(c.b, c.p); })),
    yLabel: "payments in each check window (red: inconsistent checks, with their count)", bands: marks,
    lines: [
      { name: "backend", color: "#1971c2", points: m.checks.map(function (c) { return [c.t, c.b]; }) },
      { name: "processors", color: "#2b8a3e", points: m.checks.map(function (c) { return [c.t, c.p]; }) }
    ] });
  document.body.setAttribute("data-rendered", String(document.querySelectorAll("div.chart > svg").length));
})();
`;

/**
 * Renders the report. The result references nothing outside itself.
 * @throws {TypeError} when neither `main` nor `baseline` is given
 */
export function renderReport(input: ReportInput): string {
  if (!input.main && !input.baseline) throw new TypeError("nothing to report");
  const m = input.main ?? input.baseline!;
  // Inline JSON: "<" escaped so no "</script>" can close the block early.
  const json = JSON.stringify(chartData(input)).replace(/</g, "\\u003c");
  const title = `Rinha bench — ${m.label} — ${m.scenario.name} ${
    Math.round(m.scenario.durationMs / 1000)
  } s`;
  const charts = [
    ["chart-latency", "POST /payments latency over time"],
    ["chart-throughput", "Throughput and virtual users"],
    ["chart-share", "Default vs fallback over time, fault phases shaded"],
    ["chart-backlog", "Backend backlog"],
    ["chart-consistency", "Consistency checks"],
  ].map(([id, h]) => `<h2>${h}</h2><div class="chart" id="${id}"></div>`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th { background: #f5f5f5; font-weight: 600; }
.chart svg { background: #fff; border: 1px solid #eee; }
h2 { font-size: 16px; margin: 20px 0 4px; }
code { background: #f5f5f5; padding: 1px 4px; }
</style></head>
<body data-rendered="0">
<h1>${esc(title)}</h1>
<p>Generated ${esc(input.generatedAt ?? new Date().toISOString())}${
    input.command ? ` by <code>${esc(input.command)}</code>` : ""
  }; backend ${esc(m.backendUrl)}.</p>
${summaryTable(input)}
${charts}
<h2>Inconsistent checks</h2>
${checksTable(input.main)}
<script type="application/json" id="bench-data">${json}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
