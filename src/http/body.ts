/**
 * Request bodies read with a size limit (docs/DESIGN.md "Ingress", "Conventions": every buffer
 * bounded).
 *
 * @module
 */
import { ValidationError } from "./validation.ts";
import { concatBytes } from "../util/bytes.ts";

/** Fatal: invalid UTF-8 throws. Without `stream`, each decode stands alone, so one is shared. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads `request`'s body as UTF-8 text of at most `maxBytes`.
 *
 * @throws {ValidationError} 413 when the declared or actual size exceeds `maxBytes`, 400 when the
 *   body is not valid UTF-8 or cannot be read to its end (a malformed chunked encoding, or the
 *   client closed or half-closed its side before sending all it declared: Deno then errors the
 *   body stream, which would otherwise have become a 503).
 */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw new ValidationError(413, `body exceeds ${maxBytes} bytes`);
  let bytes: Uint8Array;
  try {
    // A declared length bounds the body, so it is read in one go, without touching the
    // `request.body` getter (it builds a stream; docs/DESIGN.md "Ingress"). Else count.
    if (Number.isFinite(declared)) bytes = await request.bytes();
    else if (!request.body) return "";
    else bytes = await readChunks(request.body, maxBytes);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(400, `body could not be read: ${(error as Error)?.message ?? error}`);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ValidationError(400, "body is not valid UTF-8");
  }
}

async function readChunks(body: ReadableStream<Uint8Array>, maxBytes: number) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new ValidationError(413, `body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks, size);
}
