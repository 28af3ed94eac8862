/**
 * No dead code (docs/DESIGN.md "Conventions"): every name a non-test file of src/ or tools/
 * exports is used by non-test code — imported by another non-test file of src/ or tools/, or used
 * by its own module beyond its declaration (an options type in the signature of the function that
 * takes it, a parser the module calls that a test also checks directly). An export that only tests
 * use is dead code and fails. `export { x } from "./m.ts"` counts as a use of `m.ts`'s `x`; a
 * default export is named `default`. Entry points (src/main.ts, tools/<tool>/main.ts,
 * tools/bench/noop_server.ts) are run, not imported, so their own exports are exempt.
 */
import assert from "node:assert/strict";
import { ALL, exportsOf, importsOf, resolveRelative } from "./module_refs.ts";
import { parseTs, productAndToolFiles } from "./repo_files.ts";
import ts from "typescript";

const ENTRY_POINTS = /^(src\/main\.ts|tools\/[^/]+\/main\.ts|tools\/bench\/noop_server\.ts)$/;

/** For each file, the export names other files use ({@link ALL} when every export is). */
function usesByOthers(files: string[]): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>();
  for (const path of files) {
    for (const ref of importsOf(parseTs(path))) {
      const target = resolveRelative(path, ref.specifier);
      if (target === undefined || target === path) continue;
      const names = used.get(target) ?? new Set<string>();
      ref.names.forEach((name) => names.add(name));
      used.set(target, names);
    }
  }
  return used;
}

/** How many identifiers named `name` the module holds, its declaration included. */
function mentions(sf: ts.SourceFile, name: string): number {
  let count = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === name) count++;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return count;
}

Deno.test("exports: every export of src/ and tools/ is used by non-test code", () => {
  const files = productAndToolFiles();
  const used = usesByOthers(files);
  const offenders: string[] = [];
  for (const path of files.filter((p) => !ENTRY_POINTS.test(p))) {
    const names = used.get(path) ?? new Set<string>();
    if (names.has(ALL)) continue;
    const sf = parseTs(path);
    for (const { name, line } of exportsOf(sf)) {
      if (!names.has(name) && mentions(sf, name) < 2) {
        offenders.push(`${path} ${name} (line ${line})`);
      }
    }
  }
  assert.deepEqual(
    offenders,
    [],
    `${offenders.length} export(s) only tests use, or nothing (delete them):\n${
      offenders.join("\n")
    }`,
  );
});
