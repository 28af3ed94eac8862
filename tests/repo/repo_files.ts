/**
 * The repository as the structure tests see it: files by repository-relative POSIX path
 * (`src/app.ts`), listed in sorted order so every run reports the same way, read as UTF-8, and
 * TypeScript files parsed (syntax only, no type checking) with the `typescript` package pinned in
 * tests/deno.json.
 *
 * @module
 */
import ts from "typescript";

/** Absolute path of the repository root, without a trailing slash. */
export const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/**
 * Every file under `dir` (repository-relative), recursively, sorted; with `suffix`, only the names
 * ending with it. A missing `dir` gives an empty list.
 */
export function filesUnder(dir: string, suffix = ""): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${ROOT}/${rel}`)];
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const entry of entries) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory) walk(child);
      else if (entry.isFile && entry.name.endsWith(suffix)) found.push(child);
    }
  };
  walk(dir.replace(/\/$/, ""));
  return found.sort();
}

/** The non-test `.ts` files of `src/` and `tools/` (test files end in `_test.ts`). */
export function productAndToolFiles(): string[] {
  return [...filesUnder("src", ".ts"), ...filesUnder("tools", ".ts")].filter((path) =>
    !path.endsWith("_test.ts")
  );
}

/** The text of a repository file. */
export function readText(path: string): string {
  return Deno.readTextFileSync(`${ROOT}/${path}`);
}

/** Whether a repository-relative path names an existing file or directory. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(`${ROOT}/${path}`);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Number of lines, as `wc -l` counts them when the file ends with a newline. */
export function lineCount(text: string): number {
  if (text === "") return 0;
  const lines = text.split("\n").length;
  return text.endsWith("\n") ? lines - 1 : lines;
}

const parsed = new Map<string, ts.SourceFile>();

/** A repository `.ts` file parsed with parent pointers set; parsed once per run. */
export function parseTs(path: string): ts.SourceFile {
  let sf = parsed.get(path);
  if (!sf) {
    sf = ts.createSourceFile(path, readText(path), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    parsed.set(path, sf);
  }
  return sf;
}

/** 1-based line of a node's first token (leading comments and JSDoc excluded). */
export function lineOf(sf: ts.SourceFile, node: ts.Node): number {
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}
