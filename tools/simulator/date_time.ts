/**
 * `requestedAt` as the official Payment Processor sees it: parsed like a .NET `DateTime`, stored in
 * a PostgreSQL `timestamp` column (microsecond precision, no zone; the container runs in UTC, so
 * the stored wall time is the UTC time) and echoed back without a zone (Model.cs, init.sql).
 *
 * @module
 */

/** A UTC instant with PostgreSQL `timestamp` precision: epoch ms plus 0–999 µs below the ms. */
export interface Instant {
  readonly epochMs: number;
  readonly micros: number;
}

/** `DateTime.MinValue` (0001-01-01T00:00:00), what .NET binds when `requestedAt` is absent. */
export const MIN_DATE_TIME: Instant = { epochMs: -62135596800000, micros: 0 };

const MAX_EPOCH_MS = 253402300800000; // 10000-01-01T00:00:00Z, one past DateTime.MaxValue
const STRICT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,16}))?)?(Z|[+-]\d{2}(?::\d{2})?)?)?$/;
const LENIENT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,16}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Options of {@linkcode parseDateTime}. */
interface ParseDateTimeOptions {
  /**
   * Accept what the query-string binder (`DateTime.TryParse`) accepts in ISO shape: a space
   * instead of `T`, surrounding whitespace, `±hhmm` offsets. Default false: the stricter
   * System.Text.Json profile used for request bodies.
   */
  readonly lenient?: boolean;
}

/**
 * Parses an ISO-8601 date or date-time, e.g. `2025-08-21T00:40:25.070Z`. `Z` and `±hh[:mm]`
 * offsets are converted to UTC; a time without a zone is taken as UTC (what the official processor
 * ends up storing). Fractions beyond the microsecond are truncated, as Npgsql does.
 *
 * @returns the instant, or `undefined` if the text is not such a date-time, names no calendar
 *   date, or falls outside .NET's years 1–9999.
 */
export function parseDateTime(
  text: string,
  options: ParseDateTimeOptions = {},
): Instant | undefined {
  const match = (options.lenient ? LENIENT : STRICT).exec(options.lenient ? text.trim() : text);
  if (!match) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", zone = "Z"] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  if (
    date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day || date.getUTCHours() !== hour || date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  const offsetMinutes = parseOffset(zone.toUpperCase());
  if (offsetMinutes === undefined) return undefined;
  const micro = Number(fraction.padEnd(6, "0").slice(0, 6));
  const epochMs = date.getTime() - offsetMinutes * 60_000 + Math.floor(micro / 1000);
  if (epochMs < MIN_DATE_TIME.epochMs || epochMs >= MAX_EPOCH_MS) return undefined;
  return { epochMs, micros: micro % 1000 };
}

function parseOffset(zone: string): number | undefined {
  if (zone === "Z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || "0");
  if (hours > 14 || minutes > 59 || hours * 60 + minutes > 14 * 60) return undefined;
  return (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
}

/** Orders two instants: negative if `a` is earlier, 0 if equal, positive if later. */
export function compareInstants(a: Instant, b: Instant): number {
  return a.epochMs - b.epochMs || a.micros - b.micros;
}

/**
 * The official processor's echo of a stored `requestedAt` (`GET /payments/{id}`): System.Text.Json
 * writing a zone-less `DateTime`, fraction trimmed of trailing zeros and **no `Z`**, e.g.
 * `2025-08-21T00:40:25.07` for `…25.070Z`.
 */
export function formatDateTime(instant: Instant): string {
  const iso = new Date(instant.epochMs).toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ for years 1–9999
  const fraction = (iso.slice(20, 23) + String(instant.micros).padStart(3, "0")).replace(/0+$/, "");
  return iso.slice(0, 19) + (fraction ? "." + fraction : "");
}

/** UTC ISO form with `Z` for machine consumers: `toISOString()`, plus µs digits when non-zero. */
export function formatIsoUtc(instant: Instant): string {
  const iso = new Date(instant.epochMs).toISOString();
  return instant.micros ? `${iso.slice(0, 23)}${String(instant.micros).padStart(3, "0")}Z` : iso;
}
