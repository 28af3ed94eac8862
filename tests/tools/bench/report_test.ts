import assert from "node:assert/strict";
import { renderReport } from "../../../tools/bench/report.ts";

/** The report's charts: latency, throughput, processors' share, backlog, consistency checks. */
const REPORT_CHARTS = 5;
import { fakeRun } from "./fixtures.ts";

Deno.test("report: self-contained HTML (no http(s) src/href, no external resources)", () => {
  const html = renderReport({ main: fakeRun(), baseline: fakeRun("baseline", "baseline") });
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /@import|url\(/i);
  assert.equal((html.match(/<script\b/g) ?? []).length, 2, "the data block and the drawing script");
  assert.equal((html.match(/class="chart"/g) ?? []).length, REPORT_CHARTS);
  // Injected text cannot close the data block.
  assert.doesNotMatch(html, /<script>alert/);
  const data = /<script type="application\/json" id="bench-data">(.*?)<\/script>/s.exec(html);
  assert.ok(data);
  const parsed = JSON.parse(data[1]);
  assert.equal(parsed.main.windows.length, 60);
  assert.equal(parsed.baseline.windows.length, 60);
  assert.match(html, /p99 ours \/ baseline/);
  // Per-service resources and the machine's CPU, with service names escaped.
  assert.match(
    html,
    /api1&#60;b&#62;<\/th><td>CPU 5\.5 s, run-queue wait 3\.7 s, peak RSS 81\.5 MB \(anon 34\.5 MB, file 47\.0 MB\)/,
  );
  assert.match(html, /machine cores busy \(stolen\)<\/th><td>0\.45 \(0\.08\) of 2/);
});

Deno.test("report: the header names the commit, the Deno version and the machine", () => {
  const html = renderReport({ main: fakeRun() });
  assert.match(
    html,
    /<p class="provenance">Commit <code>0123abc<\/code> · Deno 2\.9\.6 · machine: 2 cores, Fixture CPU &#60;x&#62; @ 2\.6GHz<\/p>/,
  );
});

Deno.test("report: the score's formula with the run's figures, the p99s and the lag explained", () => {
  const html = renderReport({ main: fakeRun() });
  assert.match(
    html,
    /<b>score<\/b> = \(gross − fees\) × \(1 \+ bonus − fine\) = \(340,850\.00 − 26,867\.00\) × \(1 \+ 16% − 35 %\) = 254,326\.23\./,
  );
  assert.match(html, /<b>bonus<\/b> = max\(round2\(\(11 − p99\) × 0\.02\), 0\)/);
  assert.match(html, /<b>p99 \(score\)<\/b> is the 99th percentile of <i>every<\/i> request/);
  assert.match(html, /<b>POST p99<\/b> covers the successful POST \/payments only/);
  assert.match(
    html,
    /<b>lag<\/b> = successful POSTs − payments the processors hold at the end = 17000 − 17000 = 0/,
  );
});

Deno.test("report: captions with the scenario's figures; the fault lanes have a legend", () => {
  const html = renderReport({ main: fakeRun() });
  assert.equal((html.match(/<p class="caption">/g) ?? []).length, REPORT_CHARTS);
  assert.match(html, /each VU sends a POST, then waits 1 s, so ok\/s follows the VUs/);
  assert.match(html, /the same window \(from 15 s to 2 s before the check\)/);
  const legend = /<div class="key" id="fault-legend">(.*?)<\/div>/s.exec(html)?.[1] ?? "";
  assert.match(legend, /<b>default<\/b>\s+processor \(top lane\)/);
  assert.match(legend, /<b>fallback<\/b> \(bottom lane\)/);
  assert.match(legend, /failing: the processor answers 500/);
  assert.match(legend, /the deeper the orange, the longer its delay/);
  assert.match(legend, /<code>D 2000 FAIL<\/code> = default, 2000 ms delay, failing/);
  assert.match(legend, /<code>F 0<\/code> = fallback,\s+no delay, answering/);
  // The legend sits right above the chart it explains.
  assert.ok(html.indexOf('id="fault-legend"') < html.indexOf('id="chart-share"'));
  assert.ok(html.indexOf('id="fault-legend"') > html.indexOf('id="chart-throughput"'));
});

Deno.test("report: the runs side by side, one column each, no label repeated on every row", () => {
  const html = renderReport({ main: fakeRun(), baseline: fakeRun("baseline", "baseline") });
  assert.match(html, /<table class="runs"><tr><th><\/th><th>backend<\/th><th>baseline<\/th><\/tr>/);
  assert.doesNotMatch(html, /<th>(backend|baseline): /);
  assert.match(
    html,
    /<tr><th>POST ok \/ fail \(timeouts\)<\/th><td>17000 \/ 9 \(2\)<\/td><td>17000 \/ 9 \(2\)<\/td><\/tr>/,
  );
  assert.match(html, /<th>p99 ours \/ baseline<\/th><td colspan="2">3\.100 \/ 3\.100 ms = ×1\.00/);
});

Deno.test("report: a baseline-only report", () => {
  const html = renderReport({ baseline: fakeRun("baseline", "baseline") });
  assert.match(html, /baseline/);
  assert.throws(() => renderReport({}), TypeError);
});
