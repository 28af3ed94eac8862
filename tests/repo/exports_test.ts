/**
 * No export without a user (docs/DESIGN.md "Conventions"): every name a non-test file of src/ or
 * tools/ exports is imported by some other non-test file of src/ or tools/. Tests do not count as
 * users; `export { x } from "./m.ts"` counts as a use of `m.ts`'s `x`; a default export is named
 * `default`. Entry points (src/main.ts, tools/<tool>/main.ts, tools/bench/noop_server.ts) are run,
 * not imported, so their own exports are exempt.
 */
import assert from "node:assert/strict";
import { ALL, exportsOf, importsOf, resolveRelative } from "./module_refs.ts";
import { parseTs, productAndToolFiles } from "./repo_files.ts";

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

Deno.test("exports: every export of src/ and tools/ is imported by another non-test file", () => {
  const files = productAndToolFiles();
  const used = usesByOthers(files);
  const offenders: string[] = [];
  for (const path of files.filter((p) => !ENTRY_POINTS.test(p))) {
    const names = used.get(path) ?? new Set<string>();
    if (names.has(ALL)) continue;
    for (const { name, line } of exportsOf(parseTs(path))) {
      if (!names.has(name)) offenders.push(`${path} ${name} (line ${line})`);
    }
  }
  assert.deepEqual(
    offenders,
    [],
    `${offenders.length} export(s) no other non-test file imports (unexport or delete them):\n${
      offenders.join("\n")
    }`,
  );
});
