/**
 * The repository's layout holds (docs/DESIGN.md "Where things
 * live"): `src/` is only the product — bounded in size, importing nothing outside `src/`, and the
 * only code the Dockerfile copies — and the product's npm dependencies live in the root deno.json
 * while dev-only ones (tools, tests) live in tools/deno.json and tests/deno.json.
 */
import assert from "node:assert/strict";
import { importsOf, resolveRelative } from "./module_refs.ts";
import { filesUnder, lineCount, parseTs, readText } from "./repo_files.ts";

const MAX_SRC_LINES = 4_500;

Deno.test("layout: src/**/*.ts totals at most 4,500 lines", () => {
  const perFile = filesUnder("src", ".ts").map((path) => lineCount(readText(path)));
  const total = perFile.reduce((a, b) => a + b, 0);
  assert.ok(total <= MAX_SRC_LINES, `src/**/*.ts has ${total} lines (> ${MAX_SRC_LINES})`);
});

Deno.test("layout: src/ imports nothing outside src/ (no tools/, no tests/)", () => {
  const offenders: string[] = [];
  for (const path of filesUnder("src", ".ts")) {
    for (const ref of importsOf(parseTs(path))) {
      const target = resolveRelative(path, ref.specifier);
      if (target !== undefined && !target.startsWith("src/")) {
        offenders.push(`${path}:${ref.line} imports ${ref.specifier} (${target})`);
      }
    }
  }
  assert.deepEqual(offenders, [], `src/ must import only src/:\n${offenders.join("\n")}`);
});

/** Sources of every COPY/ADD in a Dockerfile (flags dropped, the destination left out). */
function copySources(dockerfile: string): { line: number; source: string }[] {
  const found: { line: number; source: string }[] = [];
  const lines = dockerfile.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let instruction = lines[i];
    while (instruction.trimEnd().endsWith("\\") && i + 1 < lines.length) {
      instruction = instruction.trimEnd().slice(0, -1) + " " + lines[++i];
    }
    const match = /^\s*(COPY|ADD)\s+(.*)$/i.exec(instruction);
    if (!match) continue;
    const rest = match[2].trim();
    const args = rest.startsWith("[")
      ? (JSON.parse(rest) as string[])
      : rest.split(/\s+/).filter((arg) => !arg.startsWith("--"));
    for (const source of args.slice(0, -1)) found.push({ line: first, source });
  }
  return found;
}

Deno.test("layout: the Dockerfile copies only deno.json, deno.lock and src/", () => {
  const allowed = (source: string) =>
    ["deno.json", "deno.lock", "deno.lock*", "src", "src/"].includes(source.replace(/^\.\//, "")) ||
    /^(\.\/)?src\/[^.]/.test(source) && !source.includes("..");
  const sources = copySources(readText("Dockerfile"));
  assert.ok(sources.length > 0, "the Dockerfile has no COPY");
  const offenders = sources.filter((s) => !allowed(s.source)).map((s) =>
    `Dockerfile:${s.line} ${s.source}`
  );
  assert.deepEqual(
    offenders,
    [],
    `the image copies more than the product:\n${offenders.join("\n")}`,
  );
});

/** The `imports` map of a deno.json. */
function importMap(path: string): Record<string, string> {
  return (JSON.parse(readText(path)).imports ?? {}) as Record<string, string>;
}

/** Bare specifiers (not relative, not `node:`) the given files import, with one place each. */
function bareSpecifiers(paths: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const path of paths) {
    for (const ref of importsOf(parseTs(path))) {
      const bare = !ref.specifier.startsWith(".") && !ref.specifier.startsWith("node:");
      if (bare && !found.has(ref.specifier)) found.set(ref.specifier, `${path}:${ref.line}`);
    }
  }
  return found;
}

/** Whether an import-map key maps `specifier` (exact key, or a `prefix/` key). */
function maps(keys: string[], specifier: string): boolean {
  return keys.some((key) => key === specifier || key.endsWith("/") && specifier.startsWith(key));
}

const MEMBERS = [
  { config: "deno.json", dirs: ["src"] },
  { config: "tools/deno.json", dirs: ["tools"] },
  { config: "tests/deno.json", dirs: ["tests"] },
];

Deno.test("layout: root deno.json imports are exactly what src/ imports", () => {
  const root = Object.keys(importMap("deno.json"));
  const used = bareSpecifiers(filesUnder("src", ".ts"));
  const unused = root.filter((key) => ![...used.keys()].some((s) => maps([key], s))).map((key) =>
    `deno.json ${key}: src/ does not import it (a dev-only dependency belongs in tools/ or tests/)`
  );
  const unmapped = [...used].filter(([s]) => !maps(root, s)).map(([s, at]) =>
    `${at} ${s}: not in the root deno.json imports`
  );
  const offenders = [...unused, ...unmapped];
  assert.deepEqual(offenders, [], `product dependencies out of place:\n${offenders.join("\n")}`);
});

Deno.test("layout: tools/ and tests/ import only what their deno.json (or the root) maps", () => {
  const root = Object.keys(importMap("deno.json"));
  const offenders = MEMBERS.slice(1).flatMap(({ config, dirs }) => {
    const keys = [...root, ...Object.keys(importMap(config))];
    const used = bareSpecifiers(dirs.flatMap((dir) => filesUnder(dir, ".ts")));
    return [...used].filter(([s]) => !maps(keys, s)).map(([s, at]) => `${at} ${s} (${config})`);
  });
  assert.deepEqual(offenders, [], `unmapped bare imports:\n${offenders.join("\n")}`);
});

Deno.test("layout: every deno.json import is an npm package pinned to an exact version", () => {
  const exact = /^npm:(@[a-z0-9._-]+\/)?[a-z0-9._-]+@\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\/.*)?$/;
  const offenders = MEMBERS.flatMap(({ config }) =>
    Object.entries(importMap(config)).filter(([, target]) => !exact.test(target)).map((
      [key, target],
    ) => `${config} ${key}: ${target}`)
  );
  assert.deepEqual(offenders, [], `not an exactly pinned npm package:\n${offenders.join("\n")}`);
});
