/**
 * Time at the edges: epoch ms inside, ISO-8601 UTC strings with ms and `Z` outside
 * (docs/CONTRACT.md §1).
 *
 * @module
 */

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an ISO-8601 date-time with an explicit zone (`Z` or `±hh:mm`) to epoch ms.
 * Digits below the millisecond are truncated, as JavaScript's Date does.
 *
 * @throws {RangeError} if the text is not such a date-time or names no real instant.
 */
export function parseIso(text: string): number {
  const match = ISO.exec(text);
  const ms = match ? Date.parse(text) : NaN;
  if (!match || !Number.isFinite(ms) || !isCalendarDate(+match[1], +match[2], +match[3])) {
    throw new RangeError(`not an ISO-8601 date-time: "${text}"`);
  }
  return ms;
}

/** Epoch ms to `YYYY-MM-DDTHH:mm:ss.sssZ`, as the processors receive it (docs/CONTRACT.md §2). */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
