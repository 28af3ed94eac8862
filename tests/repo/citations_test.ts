/**
 * Citations point inside the repository and resolve (docs/DESIGN.md "Conventions"): in src/,
 * tools/, tests/, docs/, README.md and the deployment files,
 * - every cited Markdown file exists (a path under docs/ is read from the repository root, a
 *   `./` or `../` path from the citing file's folder; a bare file name is read beside the citing
 *   document inside docs/, else from the root);
 * - a `§N` or `§N.M` after a cited file names a heading `N.` or a numbered item `N.M` in it;
 * - a quoted section after the design document names one of its headings (any case);
 * - nothing names the old shared folder, the old challenge notes or an issue number;
 * - every relative Markdown link in README.md and docs/ points at an existing file;
 * - every repository path (under src/, tools/, tests/, docs/) in a code comment, a Markdown
 *   document or a deployment file exists (paths with an extension this repository does not use,
 *   such as the official processor's C# sources, name other repositories' files and are skipped;
 *   so does `<commit>:path`, a file of an earlier commit as `git show` reads it).
 */
import assert from "node:assert/strict";
import { posix } from "node:path";
import { commentsOf } from "./comments.ts";
import { exists, filesUnder, parseTs, readText } from "./repo_files.ts";

const ROOT_FILES = ["README.md", "Dockerfile", "docker-compose.yml", "nginx.conf"];

/** Every file whose text is checked, sorted. */
function scannedFiles(): string[] {
  return [
    ...ROOT_FILES.filter(exists),
    ...filesUnder("docs", ".md"),
    ...filesUnder("src"),
    ...filesUnder("tools"),
    ...filesUnder("tests"),
  ];
}

const markdownFiles = () => scannedFiles().filter((p) => p.endsWith(".md"));

/** 1-based line of an offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Repository-relative candidates for a cited Markdown path, most specific first. */
function candidates(from: string, cited: string): string[] {
  const beside = posix.normalize(posix.join(posix.dirname(from), cited));
  if (cited.startsWith("./") || cited.startsWith("../")) return [beside];
  if (cited.startsWith("docs/") || !from.startsWith("docs/")) return [posix.normalize(cited)];
  return cited.includes("/") ? [beside] : [beside, posix.normalize(cited)];
}

/** Lower-cased heading titles of a Markdown file, with any leading `N.` / `§N` numbering dropped. */
function headings(path: string): string[] {
  return [...readText(path).matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)].map((m) =>
    m[1].replace(/^§?\s*\d+(\.\d+)*\.?\s+/, "").toLowerCase()
  );
}

/** Whether `path` has a heading `N.` (for `§N`) or a heading or numbered item `N.M`. */
function hasSection(path: string, section: string): boolean {
  const text = readText(path);
  const escaped = section.replace(/\./g, "\\.");
  if (!section.includes(".")) {
    return new RegExp(`^#{1,6}[ \\t]+§?${escaped}(\\.|[ \\t]|$)`, "m").test(text);
  }
  const item = `^[ \\t]*(#{1,6}[ \\t]+|[-*+][ \\t]+|\\*\\*)?§?${escaped}(?!\\d|\\.\\d)`;
  return new RegExp(item, "m").test(text);
}

const CITED_MD = /(?<![\w./-])((?:[\w.-]+\/)*[\w-]+\.md)(?![\w-])/g;
const SECTIONS = /^\s*§\s*(\d+(?:\.\d+)?)(?:\s*[–-]\s*§?\s*(\d+(?:\.\d+)?))?/;
/** The design document, whose quoted section names are checked. */
const DESIGN_DOC = /(^|\/)DESIGN\.md$/;
const QUOTED_SECTION = /^\s+\(?["“]([^"”\n]+)["”]/;

/** Problems with one cited Markdown path (`at` is the text right after it). */
function citationProblems(from: string, cited: string, at: string): string[] {
  const target = candidates(from, cited).find(exists);
  if (!target) return [`${cited}: no such file`];
  const problems: string[] = [];
  const sections = SECTIONS.exec(at);
  for (const section of sections ? [sections[1], sections[2]].filter(Boolean) : []) {
    if (!hasSection(target, section)) problems.push(`${cited} §${section}: no such section`);
  }
  const quoted = DESIGN_DOC.test(target) ? QUOTED_SECTION.exec(at) : null;
  if (quoted && !headings(target).includes(quoted[1].trim().toLowerCase())) {
    problems.push(`${cited} "${quoted[1]}": no such heading in ${target}`);
  }
  return problems;
}

Deno.test("citations: cited Markdown files, § sections and design sections exist", () => {
  const offenders: string[] = [];
  for (const path of scannedFiles()) {
    const text = readText(path);
    for (const match of text.matchAll(CITED_MD)) {
      const after = text.slice(match.index + match[0].length, match.index + match[0].length + 80);
      for (const problem of citationProblems(path, match[1], after)) {
        offenders.push(`${path}:${lineAt(text, match.index)} ${problem}`);
      }
    }
  }
  assert.deepEqual(offenders, [], `unresolved citations:\n${offenders.join("\n")}`);
});

const FORBIDDEN: [RegExp, string][] = [
  [/\.\.\/shared/g, "cites the shared folder outside the repository"],
  [/RINHA\.md/g, "cites the old challenge notes (cite the contract under docs/)"],
  [/\bissues?[ \t]+#?\d+/gi, "cites an issue number (say what the rule is and where it lives)"],
];

Deno.test("citations: no shared folder, old challenge notes or issue numbers", () => {
  const offenders: string[] = [];
  for (const path of scannedFiles()) {
    const text = readText(path);
    for (const [pattern, why] of FORBIDDEN) {
      for (const match of text.matchAll(pattern)) {
        offenders.push(`${path}:${lineAt(text, match.index)} "${match[0]}" ${why}`);
      }
    }
  }
  assert.deepEqual(offenders, [], `forbidden citations:\n${offenders.join("\n")}`);
});

/** Markdown text with fenced code blocks blanked (line breaks kept, so lines still count). */
function withoutFences(text: string): string {
  return text.replace(
    /^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm,
    (block) => block.replace(/.+/g, ""),
  );
}

const INLINE_LINK = /\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g;
const LINK_DEFINITION = /^[ ]{0,3}\[[^\]]+\]:[ \t]*<?([^\s>]+)>?/gm;

Deno.test("citations: relative Markdown links in README.md and docs/ point at existing files", () => {
  const offenders: string[] = [];
  for (const path of markdownFiles()) {
    const text = withoutFences(readText(path));
    for (const match of [...text.matchAll(INLINE_LINK), ...text.matchAll(LINK_DEFINITION)]) {
      const href = match[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("#")) continue;
      const file = decodeURIComponent(href.replace(/[#?].*$/, ""));
      const target = posix.normalize(
        file.startsWith("/") ? file.slice(1) : posix.join(posix.dirname(path), file),
      );
      if (target.startsWith("../") || !exists(target)) {
        offenders.push(`${path}:${lineAt(text, match.index)} ${href}: no such file`);
      }
    }
  }
  assert.deepEqual(offenders, [], `broken links:\n${offenders.join("\n")}`);
});

/** A repository path; one after `<commit>:` (git's `rev:path`) names a file of that commit. */
const REPO_PATH = /(?<![\w./-]|\b[0-9a-f]{7,40}:)((?:src|tools|tests|docs)\/[\w./-]*)/g;
/** Extensions of files this repository holds; a path with another one names someone else's file. */
const OWN_EXTENSIONS = new Set(["ts", "md", "json", "yml", "yaml", "conf", "lock", "sh"]);

/** `path:line path` for every repository path in `text` (offset `base` in the file) that is missing. */
function missingPaths(path: string, fileText: string, text: string, base: number): string[] {
  const missing: string[] = [];
  for (const match of text.matchAll(REPO_PATH)) {
    const next = text[match.index + match[0].length] ?? "";
    const cited = match[1].replace(/[.]+$/, "");
    const ext = /\.([A-Za-z0-9]+)$/.exec(posix.basename(cited))?.[1];
    const placeholder = next !== "" && "*<{$".includes(next);
    // Markdown files are checked, with their sections, by the citation test above.
    if (placeholder || ext === "md" || ext && !OWN_EXTENSIONS.has(ext)) continue;
    if (!exists(posix.normalize(cited)) || cited.includes("..")) {
      missing.push(`${path}:${lineAt(fileText, base + match.index)} ${cited}`);
    }
  }
  return missing;
}

Deno.test("citations: repository paths in code comments exist", () => {
  const offenders = scannedFiles().filter((path) => path.endsWith(".ts")).flatMap((path) => {
    const text = readText(path);
    return commentsOf(parseTs(path)).flatMap((c) => missingPaths(path, text, c.text, c.offset));
  });
  assert.deepEqual(offenders, [], `paths that do not exist:\n${offenders.join("\n")}`);
});

Deno.test("citations: repository paths in README.md, docs/ and deployment files exist", () => {
  const offenders = scannedFiles().filter((path) => !path.includes("/") || path.endsWith(".md"))
    .flatMap((path) => {
      const text = readText(path);
      return missingPaths(path, text, text, 0);
    });
  assert.deepEqual(offenders, [], `paths that do not exist:\n${offenders.join("\n")}`);
});
