/**
 * Renders the HTML report in headless Chromium and checks that the inline script drew every
 * chart (it sets `data-rendered` on <body>). Skipped, with a message, when chromium is absent
 * (`apt-get install -y chromium`).
 */
import assert from "node:assert/strict";
import { renderReport } from "../../../tools/bench/report.ts";

/** The report's charts: latency, throughput, processors' share, backlog, consistency checks. */
const REPORT_CHARTS = 5;
import { fakeRun } from "./fixtures.ts";

function findChromium(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/bin"])) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch { /* not here */ }
    }
  }
  return undefined;
}

const chromium = findChromium();
if (!chromium) {
  console.warn("report_render_test: chromium not found, skipping (apt-get install -y chromium)");
}

Deno.test({
  name: "report: headless Chromium draws every chart",
  ignore: !chromium,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bench-report-" });
    try {
      const file = `${dir}/report.html`;
      await Deno.writeTextFile(
        file,
        renderReport({ main: fakeRun(), baseline: fakeRun("baseline", "baseline") }),
      );
      const out = await new Deno.Command(chromium!, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          `--user-data-dir=${dir}/profile`,
          "--virtual-time-budget=5000",
          "--dump-dom",
          `file://${file}`,
        ],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const dom = new TextDecoder().decode(out.stdout);
      assert.ok(out.success, new TextDecoder().decode(out.stderr).slice(-2000));
      assert.match(dom, new RegExp(`<body data-rendered="${REPORT_CHARTS}"`));
      assert.equal((dom.match(/<svg\b/g) ?? []).length, REPORT_CHARTS);
      assert.ok((dom.match(/<path\b/g) ?? []).length >= 8, "lines drawn");
      assert.ok((dom.match(/<rect\b/g) ?? []).length >= 60, "bars and fault bands drawn");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
