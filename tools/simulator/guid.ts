/**
 * `correlationId` as .NET `Guid`: canonical lowercase `8-4-4-4-12` hex text (Model.cs).
 *
 * @module
 */

/** `Guid.Empty`, what .NET binds when `correlationId` is absent from the body. */
export const EMPTY_GUID = "00000000-0000-0000-0000-000000000000";

const D_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ANY_FORMAT =
  /^(?:([0-9a-f]{32})|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|\{([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}|\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\))$/i;

/**
 * Reads a GUID in the only form System.Text.Json accepts in a body: 36 characters, hyphenated,
 * any hex case.
 *
 * @returns the lowercase canonical form, or `undefined` if `text` is not in that form.
 */
export function parseJsonGuid(text: string): string | undefined {
  return D_FORMAT.test(text) ? text.toLowerCase() : undefined;
}

/**
 * Reads a GUID the way a route value is bound (`Guid.TryParse`): surrounding whitespace ignored;
 * the `D` (hyphenated), `N` (32 hex digits), `B` (`{…}`) and `P` (`(…)`) forms. The rarely used
 * `X` form (`{0x…,…}`) is not supported.
 *
 * @returns the lowercase canonical form, or `undefined` if `text` is not a GUID.
 */
export function parseRouteGuid(text: string): string | undefined {
  const match = ANY_FORMAT.exec(text.trim());
  if (!match) return undefined;
  const [, n, d, b, p] = match;
  if (n !== undefined) {
    const hex = n.toLowerCase();
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
      hex.slice(20)
    }`;
  }
  return (d ?? b ?? p).toLowerCase();
}
