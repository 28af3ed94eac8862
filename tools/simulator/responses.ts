/**
 * The simulator's response shapes: bodiless statuses (as production ASP.NET answers errors) and
 * JSON with the content type ASP.NET sends.
 *
 * @module
 */

/** The content type of every JSON answer (ASP.NET's `Results.Json`/`Results.Ok`). */
export const JSON_TYPE = "application/json; charset=utf-8";

/** A response with `status` and no body. */
export function empty(status: number): Response {
  return new Response(null, { status });
}

/** A JSON response of `body` serialized. */
export function json(status: number, body: unknown): Response {
  return jsonText(status, JSON.stringify(body));
}

/** A JSON response of already-serialized `text` (used where decimals keep their scale). */
export function jsonText(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": JSON_TYPE } });
}
