import assert from "node:assert/strict";
import { renderReport, REPORT_CHARTS } from "../../src/bench/report.ts";
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
});

Deno.test("report: a baseline-only report", () => {
  const html = renderReport({ baseline: fakeRun("baseline", "baseline") });
  assert.match(html, /baseline/);
  assert.throws(() => renderReport({}), TypeError);
});
