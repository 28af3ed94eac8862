/**
 * Byte helpers shared by the HTTP body reader, the Redis connection, the stack's probe and the
 * load generator's client.
 *
 * @module
 */

/**
 * One array holding `chunks` back to back.
 *
 * @param size their total length, when the caller already knows it.
 */
export function concatBytes(chunks: readonly Uint8Array[], size?: number): Uint8Array {
  const out = new Uint8Array(size ?? chunks.reduce((n, chunk) => n + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
