/**
 * A minimal HTTP/1.1 GET over a fresh TCP or unix-socket connection, for readiness probes.
 *
 * A fresh connection per probe matters: behind SO_REUSEPORT the kernel picks the instance per
 * connection, so pooled keep-alive connections (as `fetch` uses) would keep asking the same one.
 *
 * @module
 */
import { concatBytes } from "../../src/util/bytes.ts";

/** Where to connect: a TCP host and port, or a unix domain socket path. */
export type ProbeTarget =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** The answer of one probe. */
export interface ProbeResponse {
  status: number;
  body: string;
}

/**
 * Sends `GET path` with `Connection: close` and reads the whole answer.
 *
 * @param signal aborts the connect and the read; give it a timeout (`AbortSignal.timeout`).
 * @param headers extra request headers (names and values without CR/LF).
 * @throws the connection error, `signal.reason` when aborted, or `TypeError` when the answer is
 *   not HTTP.
 */
export async function httpGet(
  target: ProbeTarget,
  path: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<ProbeResponse> {
  signal.throwIfAborted();
  const conn = target.transport === "tcp"
    ? await Deno.connect({ hostname: target.hostname, port: target.port })
    : await Deno.connect({ transport: "unix", path: target.path });
  const onAbort = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const host = target.transport === "tcp" ? `${target.hostname}:${target.port}` : "localhost";
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
    const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(request));
    const chunks: Uint8Array[] = [];
    let size = 0;
    const buffer = new Uint8Array(16 * 1024);
    while (size < 1024 * 1024) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
      size += n;
    }
    signal.throwIfAborted();
    const text = new TextDecoder().decode(concatBytes(chunks, size));
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
    if (!match) throw new TypeError(`not an HTTP answer: ${JSON.stringify(text.slice(0, 80))}`);
    const headerEnd = text.indexOf("\r\n\r\n");
    const head = headerEnd < 0 ? text : text.slice(0, headerEnd);
    let body = headerEnd < 0 ? "" : text.slice(headerEnd + 4);
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = dechunk(body);
    return { status: Number(match[1]), body };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
    onAbort();
  }
}

function dechunk(body: string): string {
  let out = "";
  let rest = body;
  while (rest.length > 0) {
    const lineEnd = rest.indexOf("\r\n");
    if (lineEnd < 0) break;
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) break;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
  return out;
}
