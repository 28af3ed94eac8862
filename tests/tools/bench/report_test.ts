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

Deno.test("report: a baseline-only report", () => {
  const html = renderReport({ baseline: fakeRun("baseline", "baseline") });
  assert.match(html, /baseline/);
  assert.throws(() => renderReport({}), TypeError);
});
