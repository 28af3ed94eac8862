/**
 * Renders the HTML report in headless Chromium and checks what the inline script drew: every
 * chart (it sets `data-rendered` on <body>), series told apart by their strokes, the VUs on their
 * own axis, bars and bands inside the time axis. Skipped, with a message, when chromium is absent
 * (`apt-get install -y chromium`).
 */
import assert from "node:assert/strict";
import { renderReport } from "../../../tools/bench/report.ts";

/** The report's charts: latency, throughput, processors' share, backlog, consistency checks. */
const REPORT_CHARTS = 5;
/** The plot area's horizontal extent in the charts' SVG units (left margin, left + width). */
const PLOT_X = { from: 70, to: 830 };
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

/** The DOM of the fixture's report after its script ran (`--dump-dom`). */
async function renderInChromium(): Promise<string> {
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
    assert.ok(out.success, new TextDecoder().decode(out.stderr).slice(-2000));
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

let rendered: Promise<string> | undefined;
/** One rendering shared by the tests below. */
const renderedDom = () => rendered ??= renderInChromium();

/** The SVG drawn into the chart `id`. */
function chartSvg(dom: string, id: string): string {
  const svg = new RegExp(`<div class="chart" id="${id}"><svg\\b.*?</svg>`, "s").exec(dom)?.[0];
  assert.ok(svg, `chart ${id} drawn`);
  return svg;
}

/** The attributes of every `<tag …>` of `svg` whose class is `cls`. */
function elements(svg: string, tag: string, cls: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${tag}\\b[^>]*>`, "g"))]
    .map((m) =>
      Object.fromEntries([...m[0].matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]))
    )
    .filter((a) => a.class === cls);
}

Deno.test({
  name: "report: headless Chromium draws every chart",
  ignore: !chromium,
  async fn() {
    const dom = await renderedDom();
    assert.match(dom, new RegExp(`<body data-rendered="${REPORT_CHARTS}"`));
    assert.equal((dom.match(/<svg\b/g) ?? []).length, REPORT_CHARTS);
    assert.ok((dom.match(/<path\b/g) ?? []).length >= 8, "lines drawn");
    assert.ok((dom.match(/<rect\b/g) ?? []).length >= 60, "bars and fault bands drawn");
  },
});

Deno.test({
  name: "report: every series of a chart has its own stroke, and a legend entry",
  ignore: !chromium,
  async fn() {
    const dom = await renderedDom();
    for (const id of ["chart-latency", "chart-throughput", "chart-consistency"]) {
      const svg = chartSvg(dom, id);
      const series = elements(svg, "path", "series");
      const styles = series.map((a) =>
        `${a.stroke} ${a["stroke-width"]} ${a["stroke-dasharray"]} ${a.opacity}`
      );
      assert.ok(series.length >= 2, `${id}: several series`);
      assert.equal(new Set(styles).size, series.length, `${id}: distinct strokes ${styles}`);
      assert.deepEqual(
        elements(svg, "g", "legend-entry").map((a) => a["data-series"]),
        series.map((a) => a["data-series"]),
      );
    }
    const throughput = chartSvg(dom, "chart-throughput");
    const [vus, ok] = elements(throughput, "path", "series");
    assert.equal(vus["data-series"], "VUs");
    assert.ok(Number(vus["stroke-width"]) > 2 * Number(ok["stroke-width"]), "VUs: a wide halo");
    assert.match(throughput, /rotate\(90\)[^>]*>virtual users<\/text>/);
    assert.match(throughput, />VUs \(right axis\)<\/text>/);
    const [backend, processors] = elements(chartSvg(dom, "chart-consistency"), "path", "series");
    assert.equal(backend["stroke-dasharray"], "none");
    assert.notEqual(processors["stroke-dasharray"], "none");
    assert.ok((chartSvg(dom, "chart-consistency").match(/<circle\b/g) ?? []).length >= 30);
  },
});

Deno.test({
  name: "report: axis titles in the margins, fault lanes labelled, bars and bands inside the axis",
  ignore: !chromium,
  async fn() {
    const dom = await renderedDom();
    for (const id of ["chart-latency", "chart-share", "chart-backlog", "chart-consistency"]) {
      const titles = elements(chartSvg(dom, id), "text", "axis-title");
      assert.equal(titles.length, 1, `${id}: one axis title`);
      assert.match(titles[0].transform, /^translate\(16 \d+(\.\d+)?\) rotate\(-90\)$/);
    }
    const share = chartSvg(dom, "chart-share");
    assert.ok(/>default<\/text>/.test(share) && />fallback<\/text>/.test(share), "lane names");
    assert.ok(/>D 2000 FAIL<\/text>/.test(share), "band labels");
    const title =
      /<title>default: 2000 ms delay, failing, from \d+(\.\d)? s to \d+(\.\d)? s<\/title>/;
    assert.ok(title.test(share), "a band's title tells its state and times");
    const boxes = [...elements(share, "rect", "bar"), ...elements(share, "rect", "band")];
    assert.ok(boxes.length >= 120, "bars and bands");
    for (const r of boxes) {
      const [x, w] = [Number(r.x), Number(r.width)];
      assert.ok(x >= PLOT_X.from && x + w <= PLOT_X.to + 0.01, `inside the axis: ${x} + ${w}`);
    }
    const widths = elements(share, "rect", "bar").map((r) => Number(r.width).toFixed(1));
    assert.deepEqual([...new Set(widths)], [widths[0]], "no bar cut short at the end of the axis");
    const ends = boxes.map((r) => Number(r.x) + Number(r.width));
    assert.ok(Math.max(...ends) > PLOT_X.to - 1, "the axis ends where the last band ends");
  },
});
