/**
 * What a parsed module imports and exports, read from its syntax tree (no type checking): static
 * imports, `export … from` re-exports, dynamic `import("…")` calls and `import("…")` types, and the
 * names a module exports (a default export is named `default`).
 *
 * @module
 */
import { posix } from "node:path";
import ts from "typescript";
import { lineOf } from "./repo_files.ts";

/** Every export of the target module, for uses that cannot be narrowed to names. */
export const ALL = "*";

/** One reference from a module to another. */
export interface ModuleRef {
  /** The specifier as written: `./x.ts`, `node:fs`, `redis-parser`. */
  specifier: string;
  /** 1-based line of the reference. */
  line: number;
  /** Export names used from the target ({@link ALL} for every export); empty for `import "x"`. */
  names: string[];
}

/** One export of a module. */
export interface ModuleExport {
  name: string;
  line: number;
}

/**
 * The repository-relative path a relative specifier (`./`, `../`) of the file `from` points at,
 * normalised (`./a/../b.ts` from `x/m.ts` → `x/b.ts`; a path that leaves the repository starts with `../`);
 * `undefined` for any other specifier.
 */
export function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  return posix.normalize(posix.join(posix.dirname(from), specifier));
}

/** Every reference of `sf` to another module, in source order. */
export function importsOf(sf: ts.SourceFile): ModuleRef[] {
  const refs: ModuleRef[] = [];
  const visit = (node: ts.Node) => {
    const ref = refOf(sf, node);
    if (ref) refs.push(ref);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

function refOf(sf: ts.SourceFile, node: ts.Node): ModuleRef | undefined {
  const at = (specifier: ts.Expression | ts.TypeNode, names: string[]) =>
    ts.isStringLiteralLike(specifier)
      ? { specifier: specifier.text, line: lineOf(sf, node), names }
      : undefined;
  if (ts.isImportDeclaration(node)) return at(node.moduleSpecifier, importedNames(sf, node));
  if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
    const clause = node.exportClause;
    const names = clause && ts.isNamedExports(clause)
      ? clause.elements.map((e) => (e.propertyName ?? e.name).text)
      : [ALL];
    return at(node.moduleSpecifier, names);
  }
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
    return node.arguments[0] ? at(node.arguments[0], dynamicImportNames(node)) : undefined;
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
    const names = node.qualifier ? [leftmost(node.qualifier)] : [ALL];
    return at(node.argument.literal as ts.Expression, names);
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return at(node.moduleReference.expression, [ALL]);
  }
  return undefined;
}

function leftmost(name: ts.EntityName): string {
  return ts.isIdentifier(name) ? name.text : leftmost(name.left);
}

function importedNames(sf: ts.SourceFile, node: ts.ImportDeclaration): string[] {
  const clause = node.importClause;
  if (!clause) return [];
  const names = clause.name ? ["default"] : [];
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamedImports(bindings)) {
    names.push(...bindings.elements.map((e) => (e.propertyName ?? e.name).text));
  } else if (bindings && ts.isNamespaceImport(bindings)) {
    names.push(...namespaceNames(sf, bindings.name));
  }
  return names;
}

/** `ns.x` and `ns.T` (types) give `x` and `T`; any other use of `ns` uses every export. */
function namespaceNames(sf: ts.SourceFile, ns: ts.Identifier): string[] {
  const names = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node) && node !== ns && node.text === ns.text) {
      const parent = node.parent;
      if (ts.isPropertyAccessExpression(parent) && parent.expression === node) {
        names.add(parent.name.text);
      } else if (ts.isQualifiedName(parent) && parent.left === node) {
        names.add(parent.right.text);
      } else if (!(ts.isPropertyAccessExpression(parent) && parent.name === node)) {
        names.add(ALL);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return [...names];
}

/**
 * `(await import("x")).f` gives `f`; `const { f, g: h } = await import("x")` gives `f`, `g`;
 * anything else uses every export.
 */
function dynamicImportNames(call: ts.CallExpression): string[] {
  let node: ts.Node = call;
  while (ts.isAwaitExpression(node.parent) || ts.isParenthesizedExpression(node.parent)) {
    node = node.parent;
  }
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.expression === node) {
    return [parent.name.text];
  }
  if (
    ts.isVariableDeclaration(parent) && parent.initializer === node &&
    ts.isObjectBindingPattern(parent.name)
  ) {
    const names = parent.name.elements.map((e) => e.propertyName ?? e.name);
    if (names.every(ts.isIdentifier)) return names.map((n) => n.text);
  }
  return [ALL];
}

/** Every name `sf` exports, in source order; `export * from` adds none (its names are unknown). */
export function exportsOf(sf: ts.SourceFile): ModuleExport[] {
  const found: ModuleExport[] = [];
  const add = (name: string, node: ts.Node) => found.push({ name, line: lineOf(sf, node) });
  for (const statement of sf.statements) {
    if (ts.isExportAssignment(statement)) add("default", statement);
    else if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause && ts.isNamedExports(clause)) clause.elements.forEach((e) => add(e.name.text, e));
      else if (clause) add(clause.name.text, clause);
    } else if (hasModifier(statement, ts.SyntaxKind.ExportKeyword)) {
      declaredNames(statement).forEach((name) => add(name, statement));
    }
  }
  return found;
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

function declaredNames(statement: ts.Statement): string[] {
  if (hasModifier(statement, ts.SyntaxKind.DefaultKeyword)) return ["default"];
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((d) => bindingNames(d.name));
  }
  const name = (statement as ts.DeclarationStatement).name;
  return name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) ? [name.text] : [];
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => ts.isBindingElement(e) ? bindingNames(e.name) : []);
}
