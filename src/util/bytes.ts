/**
 * Byte helpers shared by the HTTP body reader, the Redis connection, the processors' HTTP pool,
 * the stack's probe and the load generator's client.
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

/** Writes all of `bytes` to `conn`, in as many writes as that takes. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}
