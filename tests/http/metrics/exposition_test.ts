/**
 * The text exposition format 0.0.4 (src/http/metrics/exposition.ts): values, escaping, layout.
 *
 * @module
 */
import assert from "node:assert/strict";
import { formatFamilies, formatValue } from "../../../src/http/metrics/exposition.ts";
import { parseExposition } from "./parse.ts";

Deno.test("formatValue writes Go-style infinities and NaN, else the shortest round-trip form", () => {
  assert.deepEqual(
    [Infinity, -Infinity, NaN, 0, 1, 0.1 + 0.2, 1e21, -2.5].map(formatValue),
    ["+Inf", "-Inf", "NaN", "0", "1", "0.30000000000000004", "1e+21", "-2.5"],
  );
});

Deno.test("formatFamilies escapes HELP text and label values, writes suffixes and no empty braces", () => {
  const text = formatFamilies([
    {
      name: "a_total",
      type: "counter",
      help: 'back\\slash\nnewline "quoted"',
      samples: [{ labels: {}, value: 1 }, { labels: { k: 'x"y\\z\nw', n: 7 }, value: 2 }],
    },
    { name: "empty", type: "gauge", help: "no samples", samples: [] },
    {
      name: "h",
      type: "histogram",
      help: "h",
      samples: [
        { suffix: "_bucket", labels: { le: "+Inf" }, value: 0 },
        { suffix: "_sum", labels: {}, value: 0 },
        { suffix: "_count", labels: {}, value: 0 },
      ],
    },
  ]);
  assert.equal(
    text,
    [
      '# HELP a_total back\\\\slash\\nnewline "quoted"',
      "# TYPE a_total counter",
      "a_total 1",
      'a_total{k="x\\"y\\\\z\\nw",n="7"} 2',
      "# HELP empty no samples",
      "# TYPE empty gauge",
      "# HELP h h",
      "# TYPE h histogram",
      'h_bucket{le="+Inf"} 0',
      "h_sum 0",
      "h_count 0",
      "",
    ].join("\n"),
  );
  assert.equal(
    parseExposition(text).samples.find((s) => s.labels.k !== undefined)!.labels.k,
    'x"y\\z\nw',
  );
});
