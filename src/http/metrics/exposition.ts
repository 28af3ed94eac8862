/**
 * The Prometheus text exposition format 0.0.4: families (`# HELP`, `# TYPE`, then their samples)
 * as text, with the format's escaping rules. Knows nothing of which series exist (catalogue.ts).
 *
 * @module
 */

/** Content type of the text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A sample's labels, written in insertion order; numbers are written with `String`. */
export type Labels = Record<string, string | number>;

/** One sample line of a family. */
export interface Sample {
  /** Appended to the family's name: a histogram's `_bucket`, `_sum` and `_count` lines. */
  suffix?: "_bucket" | "_sum" | "_count";
  labels: Labels;
  value: number;
}

/** A metric family: its name, type and help text once, then its samples in order. */
export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram";
  /** One line of text; a backslash or newline in it is escaped. */
  help: string;
  samples: readonly Sample[];
}

/** A sample value: Go-style `+Inf`, `-Inf`, `NaN`, else JavaScript's shortest round-trip form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** HELP text escaping: backslash and newline. */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Label value escaping: as HELP text, and the double quote. */
function escapeLabelValue(raw: string | number): string {
  return escapeHelp(String(raw)).replace(/"/g, '\\"');
}

/** `name{key="value",...} value`; no braces when there are no labels. */
function sampleLine(name: string, { suffix, labels, value }: Sample): string {
  const pairs = Object.entries(labels).map(([key, raw]) => `${key}="${escapeLabelValue(raw)}"`);
  const set = pairs.length ? `{${pairs.join(",")}}` : "";
  return `${name}${suffix ?? ""}${set} ${formatValue(value)}`;
}

/** The exposition text of `families`, in order, each line ending with `\n`. */
export function formatFamilies(families: Iterable<Family>): string {
  const lines: string[] = [];
  for (const { name, type, help, samples } of families) {
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const sample of samples) lines.push(sampleLine(name, sample));
  }
  return lines.join("\n") + "\n";
}
