/**
 * The charts of the HTML report (report.ts): their sections (title, caption, the fault bands'
 * legend), the data they are drawn from (inline JSON) and the inline script that draws them as
 * SVG — no CDN, no external file. When the script has drawn every chart it sets
 * `data-rendered="<number of charts>"` on `<body>`, which tests/tools/bench/report_render_test.ts
 * checks in headless Chromium.
 *
 * Every series has its own colour and its own stroke (solid, dashed, wide and pale, circles), so
 * two series that coincide stay visible; the VUs get their own right-hand axis; the processors'
 * fault phases are lanes above the share's bars. The time axis ends where the last window, bar or
 * fault phase ends, so everything drawn is inside it.
 *
 * @module
 */

import { faultPhases } from "./faults.ts";
import type { RunResult } from "./run.ts";

/** The run's scenario, as a result holds it. */
type ScenarioFigures = RunResult["scenario"];
/** Seconds of a duration in ms, for a caption. */
const secs = (ms: number) => `${ms / 1000} s`;

/** The charts in page order: id, title, caption (HTML) of a run's scenario. */
const CHARTS: readonly [string, string, (sc: ScenarioFigures) => string][] = [
  [
    "chart-latency",
    "POST /payments latency over time",
    () =>
      "Percentiles of the successful POSTs answered in each second of the load (and the baseline's " +
      "p99 when it ran). The score's p99 is one figure over the whole run and every request of the " +
      "test (see the notes under the score), so it is not the peak of the p99 line.",
  ],
  [
    "chart-throughput",
    "Throughput and virtual users",
    (sc) =>
      "POSTs answered per second on the left axis: accepted (<i>ok/s</i>) and failed or timed out " +
      "(<i>fail/s</i>, circles where above 0). Virtual users on the right axis (wide grey line): " +
      `each VU sends a POST, then waits ${secs(sc.thinkTimeMs)}, so ok/s follows the VUs while ` +
      "the backend keeps up.",
  ],
  [
    "chart-share",
    "Default vs fallback over time, under the processors' faults",
    () =>
      "Payments each processor stored per second of their <code>requestedAt</code>, stacked " +
      "(read from the processors after the run), under the processors' fault lanes.",
  ],
  [
    "chart-backlog",
    "Backend backlog",
    () =>
      "Payments the backend accepted and no worker has taken yet: the <code>queue</code> of its " +
      "<code>GET /healthcheck</code>, polled every second outside the test.",
  ],
  [
    "chart-consistency",
    "Consistency checks",
    (sc) =>
      "At each check the test counts the payments of the same window (from " +
      `${secs(sc.consistencyFromAgoMs)} to ${secs(sc.consistencyToAgoMs)} before the check) in ` +
      "the backend's summary and in the processors'; any difference is an inconsistency " +
      "and costs the 35 % fine. <i>backend</i> is the wide pale line, <i>processors</i> the dashed " +
      "line with circles: they coincide when the backend is right. Red stripes: inconsistent " +
      "checks, labelled with their count.",
  ],
];

/** Legend of the fault lanes of the share chart (their colours match the script's). */
const FAULT_LEGEND = `<div class="key" id="fault-legend">
<p><b>Fault lanes</b>, above the bars: the state the test's timeline set on the <b>default</b>
processor (top lane) and on the <b>fallback</b> (bottom lane). Hover a band for its exact state and
times.</p>
<ul>
<li><span class="sw" style="background:#e03131;opacity:.6"></span> failing: the processor answers 500</li>
<li><span class="sw" style="background:#f59f00;opacity:.17"></span><span class="sw" style="background:#f59f00;opacity:.5"></span>
slow: the deeper the orange, the longer its delay (deepest from 2000 ms)</li>
<li><span class="sw" style="background:#f59f00;opacity:.06"></span> no delay, answering</li>
<li>Labels: <code>D 2000 FAIL</code> = default, 2000 ms delay, failing; <code>F 0</code> = fallback,
no delay, answering (a label that does not fit its band is left out).</li>
</ul></div>`;

/**
 * The chart sections (title, caption, the element the script draws into), in page order, with
 * the figures of the scenario `sc` in the captions.
 */
export function chartSections(sc: ScenarioFigures): string {
  return CHARTS.map(([id, title, caption]) =>
    `<h2>${title}</h2>\n<p class="caption">${caption(sc)}</p>\n` +
    (id === "chart-share" ? FAULT_LEGEND + "\n" : "") +
    `<div class="chart" id="${id}"></div>`
  ).join("\n");
}

/** What the script needs of one run. */
function chartRun(r: RunResult) {
  return {
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
}

/**
 * The data block and the drawing script: the charts show `main`, with the baseline's p99 beside
 * its latency when `baseline` is given.
 */
export function chartScripts(main: RunResult, baseline?: RunResult): string {
  const data = { main: chartRun(main), baseline: baseline && chartRun(baseline) };
  // Inline JSON: "<" escaped so no "</script>" can close the block early.
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<script type="application/json" id="bench-data">${json}</script>\n` +
    `<script>\n(function () {\n  "use strict";${CHART_PRIMITIVES}${CHARTS_DRAWN}})();\n</script>`;
}

/**
 * The drawing primitives (plain ES2017, no template literals): scales and axes, lanes of bands
 * above the plot, full-height marks, stacked bars, lines with dashes and circles, the legend. A
 * line is `{name, color, points: [t, value][], width?, dash?, opacity?, marker?: "all"|"nonzero",
 * right?: true}`; a bar series `{name, color, points: [t, value, base, len][]}`; a band
 * `{from, to, color, opacity, title, label?, labelAlways?}`; times in ms.
 */
const CHART_PRIMITIVES = String.raw`
  var NS = "http://www.w3.org/2000/svg";
  var W = 900, L = 70, R = 70, B = 70, PW = W - L - R, PH = 220, LANE = 18;
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(svg, x, y, s, attrs) {
    var a = { x: x, y: y, "font-size": 11, fill: "#333" };
    for (var k in attrs || {}) a[k] = attrs[k];
    var t = el("text", a, svg);
    t.textContent = s;
    return t;
  }
  function niceStep(v) {
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < m.length; i++) if (m[i] * p >= v) return m[i] * p;
    return 10 * p;
  }
  function axisMax(v) {
    var step = niceStep(v > 0 ? v / 4 : 0.25);
    return { max: step * Math.max(1, Math.ceil(v / step)), step: step };
  }
  function num(v) { return v >= 1000 ? Math.round(v).toLocaleString("en-US") : String(Math.round(v * 100) / 100); }
  function maxOf(arr, f) { var v = 0; arr.forEach(function (a) { var z = f(a); if (z > v) v = z; }); return v; }
  function scales(o) {
    var left = axisMax(o.yMax), right = o.y2Label ? axisMax(o.y2Max) : null;
    var T = 10 + LANE * (o.lanes || []).length;
    return { T: T, H: T + PH + B, left: left, right: right,
      x: function (v) { return L + (v / o.xMax) * PW; },
      y: function (v, onRight) { var m = onRight ? right.max : left.max; return T + PH - (Math.min(Math.max(v, 0), m) / m) * PH; } };
  }
  function grid(svg, s, o) {
    var left = s.left, right = s.right, base = s.T + PH;
    for (var v = 0; v <= left.max + left.step / 2; v += left.step) {
      el("line", { x1: L, x2: L + PW, y1: s.y(v), y2: s.y(v), stroke: "#e6e6e6" }, svg);
      text(svg, L - 6, s.y(v) + 4, num(v), { "text-anchor": "end" });
    }
    for (var u = 0; right && u <= right.max + right.step / 2; u += right.step) {
      text(svg, L + PW + 6, s.y(u, true) + 4, num(u), { "text-anchor": "start" });
    }
    var step = niceStep(o.xMax / 7000) * 1000;
    for (var xv = 0; xv <= o.xMax + 1; xv += step) {
      el("line", { x1: s.x(xv), x2: s.x(xv), y1: base, y2: base + 4, stroke: "#888" }, svg);
      text(svg, s.x(xv), base + 16, num(xv / 1000) + " s", { "text-anchor": "middle" });
    }
    text(svg, L + PW / 2, base + 32, "time since the start of the load", { "text-anchor": "middle", fill: "#666" });
    text(svg, 0, 0, o.yLabel, { "class": "axis-title", "text-anchor": "middle", fill: "#666",
      transform: "translate(16 " + (s.T + PH / 2) + ") rotate(-90)" });
    if (right) text(svg, 0, 0, o.y2Label, { "class": "axis-title", "text-anchor": "middle", fill: "#666",
      transform: "translate(" + (W - 14) + " " + (s.T + PH / 2) + ") rotate(90)" });
  }
  function axes(svg, s) {
    var a = { stroke: "#888", "stroke-width": 1 }, base = s.T + PH;
    el("line", Object.assign({ x1: L, x2: L, y1: s.T, y2: base }, a), svg);
    el("line", Object.assign({ x1: L, x2: L + PW, y1: base, y2: base }, a), svg);
    el("line", Object.assign({ x1: L + PW, x2: L + PW, y1: s.T, y2: base }, s.right ? a : { stroke: "#e6e6e6" }), svg);
  }
  function band(svg, s, b, y, h) {
    var x0 = s.x(b.from), w = Math.max(1, s.x(b.to) - x0);
    var r = el("rect", { x: x0, y: y, width: w, height: h, fill: b.color, opacity: b.opacity, "class": "band" }, svg);
    el("title", {}, r).textContent = b.title;
    if (b.label && (b.labelAlways || b.label.length * 6 + 4 <= w)) text(svg, x0 + 3, y + 12, b.label, { "font-size": 10, fill: "#222" });
  }
  function drawLanes(svg, s, lanes) {
    lanes.forEach(function (lane, i) {
      var y = 6 + i * LANE;
      text(svg, L - 6, y + 12, lane.name, { "text-anchor": "end", "font-size": 10, fill: "#555" });
      el("rect", { x: L, y: y, width: PW, height: LANE - 3, fill: "none", stroke: "#ddd" }, svg);
      lane.bands.forEach(function (b) { band(svg, s, b, y, LANE - 3); });
    });
  }
  function drawBars(svg, s, bars) {
    bars.forEach(function (b) {
      b.points.forEach(function (p) {
        var x0 = s.x(p[0]), y0 = s.y(p[2]), y1 = s.y(p[2] + p[1]);
        el("rect", { x: x0, y: y1, width: Math.max(1, s.x(p[0] + p[3]) - x0 - 0.5), height: Math.max(0, y0 - y1),
          fill: b.color, "class": "bar" }, svg);
      });
    });
  }
  function marker(svg, x, y, l) {
    el("circle", { cx: x, cy: y, r: 2.8, fill: "#fff", stroke: l.color, "stroke-width": 1.3 }, svg);
  }
  function stroke(l) {
    return { stroke: l.color, "stroke-width": l.width || 1.5, "stroke-dasharray": l.dash || "none",
      opacity: l.opacity || 1, fill: "none", "stroke-linejoin": "round" };
  }
  function drawLine(svg, s, l) {
    if (!l.points.length) return;
    var xy = l.points.map(function (p) { return [s.x(p[0]), s.y(p[1], l.right)]; });
    var d = xy.map(function (p, k) { return (k ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1); }).join(" ");
    el("path", Object.assign({ d: d, "class": "series", "data-series": l.name }, stroke(l)), svg);
    xy.forEach(function (p, k) {
      if (l.marker === "all" || (l.marker === "nonzero" && l.points[k][1] > 0)) marker(svg, p[0], p[1], l);
    });
  }
  function drawLegend(svg, s, bars, lines) {
    var lx = L, ly = s.H - 8;
    bars.map(function (b) { return Object.assign({ bar: true }, b); }).concat(lines).forEach(function (l) {
      var g = el("g", { "class": "legend-entry", "data-series": l.name }, svg);
      if (l.bar) el("rect", { x: lx, y: ly - 10, width: 12, height: 10, fill: l.color }, g);
      else el("line", Object.assign({ x1: lx, x2: lx + 26, y1: ly - 4, y2: ly - 4 }, stroke(l)), g);
      if (l.marker) marker(g, lx + 13, ly - 4, l);
      var t = text(g, lx + (l.bar ? 16 : 30), ly, l.name + (l.right ? " (right axis)" : ""));
      lx += (l.bar ? 16 : 30) + (t.getComputedTextLength() || t.textContent.length * 6.5) + 18;
    });
  }
  function chart(id, o) {
    var s = scales(o);
    var svg = el("svg", { viewBox: "0 0 " + W + " " + s.H, width: W, height: s.H, role: "img", "aria-label": o.yLabel },
      document.getElementById(id));
    grid(svg, s, o);
    drawLanes(svg, s, o.lanes || []);
    (o.marks || []).forEach(function (b) { band(svg, s, b, s.T, PH); });
    drawBars(svg, s, o.bars || []);
    axes(svg, s);
    (o.lines || []).forEach(function (l) { drawLine(svg, s, l); });
    drawLegend(svg, s, o.bars || [], o.lines || []);
  }
`;

/** The five charts of the report, drawn with the primitives above from the inline JSON. */
const CHARTS_DRAWN = String.raw`
  var data = JSON.parse(document.getElementById("bench-data").textContent);
  var m = data.main, b = data.baseline;
  function mid(w) { return w.t + w.len / 2; }
  function top(lines) { return maxOf(lines, function (l) { return maxOf(l.points, function (p) { return p[1]; }); }); }
  var xMax = Math.max(m.durationMs,
    maxOf(m.windows.concat(b ? b.windows : []), function (w) { return w.t + w.len; }),
    maxOf(m.share, function (s) { return s.t + s.len; }),
    maxOf(m.phases, function (p) { return p.toMs; }),
    maxOf(m.backlog, function (p) { return p.t; }),
    maxOf(m.checks, function (c) { return c.t; }), 1);
  function latency() {
    var pct = function (r, k) { return r.windows.filter(function (w) { return w.ok; }).map(function (w) { return [mid(w), w[k]]; }); };
    var lines = [
      { name: "p50", color: "#2b8a3e", dash: "2 3", points: pct(m, "p50") },
      { name: "p90", color: "#e67700", dash: "8 4", points: pct(m, "p90") },
      { name: "p99", color: "#c92a2a", width: 2, points: pct(m, "p99") }
    ];
    if (b) lines.unshift({ name: b.label + " p99", color: "#868e96", width: 5, opacity: 0.45, points: pct(b, "p99") });
    chart("chart-latency", { xMax: xMax, yMax: top(lines) * 1.05, yLabel: "POST latency, ms", lines: lines });
  }
  function throughput() {
    var rate = function (k) { return m.windows.map(function (w) { return [mid(w), (w[k] * 1000) / w.len]; }); };
    var vus = { name: "VUs", right: true, color: "#868e96", width: 8, opacity: 0.45,
      points: m.windows.map(function (w) { return [mid(w), w.vus]; }) };
    var lines = [vus,
      { name: "ok/s", color: "#1971c2", points: rate("ok") },
      { name: "fail/s", color: "#c92a2a", dash: "4 3", marker: "nonzero", points: rate("fail") }];
    chart("chart-throughput", { xMax: xMax, yMax: top(lines.slice(1)), yLabel: "POSTs answered per second",
      y2Max: top([vus]), y2Label: "virtual users", lines: lines });
  }
  function share() {
    var lane = function (name) {
      return { name: name, bands: m.phases.filter(function (p) { return p.processor === name; }).map(function (p) {
        return { from: p.fromMs, to: p.toMs, color: p.failing ? "#e03131" : "#f59f00",
          opacity: p.failing ? 0.6 : Math.round(60 + 440 * Math.min(1, p.delayMs / 2000)) / 1000,
          title: name + ": " + p.delayMs + " ms delay" + (p.failing ? ", failing" : "") + ", from " +
            Math.round(p.fromMs / 100) / 10 + " s to " + Math.round(p.toMs / 100) / 10 + " s",
          label: (name === "default" ? "D " : "F ") + p.delayMs + (p.failing ? " FAIL" : "") };
      }) };
    };
    var perS = function (s, n) { return (n * 1000) / s.len; };
    chart("chart-share", { xMax: xMax, yMax: maxOf(m.share, function (s) { return perS(s, s.default + s.fallback); }),
      yLabel: "payments stored per second", lanes: [lane("default"), lane("fallback")], bars: [
        { name: "default", color: "#1971c2", points: m.share.map(function (s) { return [s.t, perS(s, s.default), 0, s.len]; }) },
        { name: "fallback", color: "#9c36b5", points: m.share.map(function (s) { return [s.t, perS(s, s.fallback), perS(s, s.default), s.len]; }) }
      ] });
  }
  function backlog() {
    var lines = [{ name: "queue", color: "#5f3dc4", points: m.backlog.map(function (p) { return [p.t, p.queue]; }) }];
    chart("chart-backlog", { xMax: xMax, yMax: top(lines), yLabel: "payments waiting", lines: lines });
  }
  function consistency() {
    var marks = m.checks.filter(function (c) { return c.n > 0 || c.err; }).map(function (c) {
      return { from: Math.max(0, c.t - xMax / 300), to: Math.min(xMax, c.t + xMax / 300), color: "#e03131", opacity: 0.5, labelAlways: true,
        title: "check at " + Math.round(c.t / 1000) + " s: " + c.n + " inconsistencies" + (c.err ? " (backend failed)" : ""),
        label: String(c.n) };
    });
    var lines = [
      { name: "backend", color: "#74c0fc", width: 6, opacity: 0.8, points: m.checks.map(function (c) { return [c.t, c.b]; }) },
      { name: "processors", color: "#2b8a3e", dash: "5 3", marker: "all", points: m.checks.map(function (c) { return [c.t, c.p]; }) }
    ];
    chart("chart-consistency", { xMax: xMax, yMax: top(lines), yLabel: "payments in the check's window",
      marks: marks, lines: lines });
  }
  [latency, throughput, share, backlog, consistency].forEach(function (draw) { draw(); });
  document.body.setAttribute("data-rendered", String(document.querySelectorAll("div.chart > svg").length));
`;
