/**
 * Functions stay short enough to read at once (docs/DESIGN.md "Conventions"): no function-like
 * node in src/ or tools/ — function declaration or expression, arrow function, method,
 * constructor, get/set accessor — spans more than 80 lines from its first line to its last, and
 * the composition root src/app.ts stays at most 100 lines.
 */
import assert from "node:assert/strict";
import ts from "typescript";
import { filesUnder, lineCount, lineOf, parseTs, readText } from "./repo_files.ts";

const MAX_FUNCTION_LINES = 80;
const MAX_APP_LINES = 100;

/** A readable name for a function-like node: its own, or the one it is assigned to. */
function nameOf(node: ts.SignatureDeclaration): string {
  const named = (name: ts.Node | undefined) =>
    name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name))
      ? name.text
      : name && ts.isComputedPropertyName(name)
      ? `[${name.expression.getText()}]`
      : undefined;
  if (ts.isConstructorDeclaration(node)) return "constructor";
  if (ts.isGetAccessorDeclaration(node)) return `get ${named(node.name)}`;
  if (ts.isSetAccessorDeclaration(node)) return `set ${named(node.name)}`;
  const own = named(node.name);
  if (own) return own;
  const parent = node.parent;
  const assigned = ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent)
    ? named(parent.name)
    : undefined;
  return assigned ?? "<anonymous>";
}

function isFunctionLike(node: ts.Node): node is ts.SignatureDeclaration {
  return ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) || ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) || ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node);
}

/** `path:line name (N lines)` for every function-like node of `path` longer than the limit. */
function longFunctions(path: string): string[] {
  const sf = parseTs(path);
  const offenders: string[] = [];
  const visit = (node: ts.Node) => {
    if (isFunctionLike(node)) {
      const first = lineOf(sf, node);
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const span = last - first + 1;
      if (span > MAX_FUNCTION_LINES) {
        offenders.push(`${path}:${first} ${nameOf(node)} (${span} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return offenders;
}

Deno.test(`function length: no function in src/ or tools/ spans more than ${MAX_FUNCTION_LINES} lines`, () => {
  const files = [...filesUnder("src", ".ts"), ...filesUnder("tools", ".ts")];
  const offenders = files.flatMap(longFunctions);
  assert.deepEqual(
    offenders,
    [],
    `${offenders.length} function(s) over ${MAX_FUNCTION_LINES} lines:\n${offenders.join("\n")}`,
  );
});

Deno.test(`function length: src/app.ts is at most ${MAX_APP_LINES} lines`, () => {
  const lines = lineCount(readText("src/app.ts"));
  assert.ok(lines <= MAX_APP_LINES, `src/app.ts has ${lines} lines (> ${MAX_APP_LINES})`);
});
