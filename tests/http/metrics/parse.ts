/**
 * A strict reader of the Prometheus text exposition format 0.0.4 for the metrics tests: parses and
 * validates every line (names, labels, escapes, values, HELP/TYPE before samples, no duplicate
 * series) and checks histograms.
 *
 * @module
 */
import assert from "node:assert/strict";

/** One parsed sample line. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition: families by name (type, help) and samples in order. */
export interface Exposition {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;

function parseValue(text: string): number {
  assert.match(text, VALUE, `bad value "${text}"`);
  return text === "+Inf" ? Infinity : text === "-Inf" ? -Infinity : Number(text);
}

/** Parses `{a="x",b="y\"z"}` from `text` at `at`; returns the labels and the index after `}`. */
function parseLabels(text: string, at: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = at + 1;
  while (text[i] !== "}") {
    const eq = text.indexOf("=", i);
    assert.ok(eq > i, `label without "=" in ${text}`);
    const name = text.slice(i, eq);
    assert.match(name, LABEL_NAME, `bad label name in ${text}`);
    assert.equal(text[eq + 1], '"', `unquoted label value in ${text}`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const next = text[++j];
        assert.ok(next === "\\" || next === '"' || next === "n", `bad escape in ${text}`);
        value += next === "n" ? "\n" : next;
      } else {
        assert.notEqual(text[j], "\n");
        value += text[j];
      }
    }
    assert.equal(text[j], '"', `unterminated label value in ${text}`);
    assert.ok(!(name in labels), `label ${name} twice in ${text}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else assert.equal(text[i], "}", `expected "," or "}" in ${text}`);
  }
  return [labels, i + 1];
}

/** Parses and validates every line of a 0.0.4 text exposition; throws on the first bad one. */
export function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith("\n"), "exposition must end with a newline");
  const out: Exposition = { types: new Map(), helps: new Map(), samples: [] };
  const familyOf = (name: string) => {
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && out.types.get(base) === "histogram") return base;
    }
    return name;
  };
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const [name, ...rest] = line.slice(7).split(" ");
      assert.match(name, METRIC_NAME, line);
      assert.ok(!out.helps.has(name), `HELP twice: ${line}`);
      out.helps.set(name, rest.join(" "));
    } else if (line.startsWith("# TYPE ")) {
      const [name, type, ...rest] = line.slice(7).split(" ");
      assert.match(name, METRIC_NAME, line);
      assert.deepEqual(rest, [], line);
      assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(type), line);
      assert.ok(!out.types.has(name), `TYPE twice: ${line}`);
      out.types.set(name, type);
    } else {
      assert.ok(!line.startsWith("#") && line.trim() !== "", `stray line "${line}"`);
      const nameEnd = line.search(/[{ ]/);
      const name = line.slice(0, nameEnd);
      assert.match(name, METRIC_NAME, line);
      let labels: Record<string, string> = {};
      let at = nameEnd;
      if (line[at] === "{") [labels, at] = parseLabels(line, at);
      assert.equal(line[at], " ", `expected a space before the value: ${line}`);
      const [value, timestamp, ...rest] = line.slice(at + 1).split(" ");
      assert.deepEqual(rest, [], line);
      if (timestamp !== undefined) assert.match(timestamp, /^-?\d+$/, line);
      const family = familyOf(name);
      assert.ok(out.types.has(family), `sample before its TYPE: ${line}`);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      assert.ok(!seen.has(key), `duplicate series: ${line}`);
      seen.add(key);
      out.samples.push({ name, labels, value: parseValue(value) });
    }
  }
  return out;
}

export const seriesKey = (sample: Sample) => `${sample.name}${JSON.stringify(sample.labels)}`;

/** The one sample of `name` whose labels include `labels`. */
export function value(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = exposition.samples.filter((sample) =>
    sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)
  );
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0].value;
}

/** Checks every histogram: buckets ascending in `le`, counts cumulative, +Inf = _count. */
export function checkHistograms(exposition: Exposition): void {
  for (const [family, type] of exposition.types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Sample[]>();
    for (const sample of exposition.samples) {
      if (sample.name !== `${family}_bucket`) continue;
      const { le, ...rest } = sample.labels;
      assert.ok(le !== undefined, `bucket without le: ${JSON.stringify(sample)}`);
      const key = JSON.stringify(rest);
      groups.set(key, [...groups.get(key) ?? [], sample]);
    }
    assert.ok(groups.size > 0, `histogram ${family} has no buckets`);
    for (const [key, buckets] of groups) {
      const bounds = buckets.map((bucket) => parseValue(bucket.labels.le));
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(bounds[i] > bounds[i - 1], `${family}${key}: le not ascending`);
        assert.ok(buckets[i].value >= buckets[i - 1].value, `${family}${key}: not cumulative`);
      }
      assert.equal(bounds.at(-1), Infinity, `${family}${key}: no +Inf bucket`);
      const labels = JSON.parse(key);
      assert.equal(buckets.at(-1)!.value, value(exposition, `${family}_count`, labels));
      assert.ok(value(exposition, `${family}_sum`, labels) >= 0);
    }
  }
}
