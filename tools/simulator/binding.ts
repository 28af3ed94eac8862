/**
 * Request-body binding as the official processor's ASP.NET minimal API does it (Endpoints.cs,
 * Model.cs, with `JsonSerializerDefaults.Web`): a JSON content type is required (else 415), the
 * body must be a JSON object (else 400), property names match case-insensitively, unknown ones are
 * ignored, **absent ones take the .NET default** (`Guid.Empty`, `0`, `DateTime.MinValue`, `false`,
 * `null`), numbers may also come as strings, and a value of the wrong type is a 400. These checks
 * run before the endpoint filters, so before the delay, the failure switch and the token check.
 * Error responses carry no body, as in production ASP.NET.
 *
 * @module
 */

import { type Decimal, parseDecimal } from "./decimal.ts";
import { type Instant, MIN_DATE_TIME, parseDateTime } from "./date_time.ts";
import { EMPTY_GUID, parseJsonGuid } from "./guid.ts";

/** Largest accepted body in bytes; larger ones get 413 (Kestrel's own limit is 30 MB). */
const MAX_BODY_BYTES = 64 * 1024;

/** A request the binder refuses; `status` is the HTTP answer (400, 413 or 415). */
export class BindingError extends Error {
  /** HTTP status to answer with. */
  readonly status: 400 | 413 | 415;

  /** @param status HTTP status; @param message why, for logs. */
  constructor(status: 400 | 413 | 415, message: string) {
    super(message);
    this.name = "BindingError";
    this.status = status;
  }
}

/** A JSON number kept as its source text, so decimals are read exactly. */
class JsonNumber {
  constructor(readonly source: string) {}
}

type ParseWithSource = (
  text: string,
  reviver: (key: string, value: unknown, context: { source?: string }) => unknown,
) => unknown;

/** `application/json` or any `…+json` type, parameters ignored (ASP.NET `HasJsonContentType`). */
function hasJsonContentType(request: Request): boolean {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  return mediaType === "application/json" || /^[^/\s]+\/[^/\s]+\+json$/.test(mediaType);
}

/**
 * Reads and parses the JSON object body of `request`.
 *
 * @throws {BindingError} 415 without a JSON content type, 413 beyond `maxBytes`, 400 if the body
 *   is not UTF-8 JSON or not an object.
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number = MAX_BODY_BYTES,
): Promise<JsonBody> {
  if (!hasJsonContentType(request)) throw new BindingError(415, "not a JSON content type");
  const text = await readText(request, maxBytes);
  let parsed: unknown;
  try {
    parsed = (JSON.parse as ParseWithSource)(
      text,
      (_key, value, context) =>
        typeof value === "number" ? new JsonNumber(context.source ?? String(value)) : value,
    );
  } catch {
    throw new BindingError(400, "body is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BindingError(400, "body is not a JSON object");
  }
  return new JsonBody(parsed as Record<string, unknown>);
}

async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBytes) throw new BindingError(413, "body too large");
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      size += chunk.value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new BindingError(413, "body too large");
      }
      chunks.push(chunk.value);
    }
  } catch (error) {
    throw error instanceof BindingError ? error : new BindingError(400, "body unreadable");
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BindingError(400, "body is not UTF-8");
  }
}

const INT = /^[+-]?\d+$/;
const MAX_DECIMAL_MANTISSA = 2n ** 96n;

/**
 * A bound JSON object. Each reader returns the .NET default when the property is absent and
 * throws {@linkcode BindingError} (400) when it has the wrong type or form.
 */
class JsonBody {
  #fields = new Map<string, unknown>();

  /** @param object the parsed body; later duplicates of a name (any case) win. */
  constructor(object: Record<string, unknown>) {
    for (const [key, value] of Object.entries(object)) this.#fields.set(key.toLowerCase(), value);
  }

  /** A `Guid`: a string in the hyphenated form; returns it lowercase. Default `Guid.Empty`. */
  guid(name: string): string {
    const value = this.#fields.get(name.toLowerCase());
    if (value === undefined) return EMPTY_GUID;
    const guid = typeof value === "string" ? parseJsonGuid(value) : undefined;
    return guid ?? fail(name);
  }

  /** A `decimal`: a number or numeric string within .NET's 96-bit range. Default `0`. */
  decimal(name: string): Decimal {
    const value = this.#fields.get(name.toLowerCase());
    if (value === undefined) return { mantissa: 0n, scale: 0 };
    const text = value instanceof JsonNumber ? value.source : value;
    const decimal = typeof text === "string" ? parseDecimal(text) : undefined;
    if (
      !decimal ||
      (decimal.mantissa < 0n ? -decimal.mantissa : decimal.mantissa) >= MAX_DECIMAL_MANTISSA
    ) {
      return fail(name);
    }
    return decimal;
  }

  /** A `DateTime`: an ISO-8601 string ({@linkcode parseDateTime}). Default `DateTime.MinValue`. */
  dateTime(name: string): Instant {
    const value = this.#fields.get(name.toLowerCase());
    if (value === undefined) return MIN_DATE_TIME;
    const instant = typeof value === "string" ? parseDateTime(value) : undefined;
    return instant ?? fail(name);
  }

  /** An `int`: an integral number or numeric string in the 32-bit range. Default `0`. */
  int32(name: string): number {
    const value = this.#fields.get(name.toLowerCase());
    if (value === undefined) return 0;
    const text = value instanceof JsonNumber ? value.source : value;
    const int = typeof text === "string" && INT.test(text) ? Number(text) : NaN;
    return int >= -(2 ** 31) && int < 2 ** 31 ? int + 0 : fail(name);
  }

  /** A `bool`: `true` or `false` only. Default `false`. */
  boolean(name: string): boolean {
    const value = this.#fields.get(name.toLowerCase());
    if (value === undefined) return false;
    return typeof value === "boolean" ? value : fail(name);
  }

  /** A `string`: a JSON string or `null`. Default `null`. */
  string(name: string): string | null {
    const value = this.#fields.get(name.toLowerCase());
    if (value === undefined || value === null) return null;
    return typeof value === "string" ? value : fail(name);
  }
}

function fail(name: string): never {
  throw new BindingError(400, `invalid "${name}"`);
}
