/**
 * Readiness probes: one HTTP GET over a fresh TCP or unix-socket connection, through `fetch` with
 * a client of its own (`Deno.createHttpClient`) that is closed after the answer.
 *
 * A fresh connection per probe matters: behind SO_REUSEPORT the kernel picks the instance per
 * connection, so pooled keep-alive connections (as a shared `fetch` client uses) would keep asking
 * the same one.
 *
 * @module
 */

/** Where to connect: a TCP host and port, or a unix domain socket path. */
export type ProbeTarget =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** The answer of one probe. */
interface ProbeResponse {
  status: number;
  body: string;
}

/**
 * Sends `GET path` on a new connection and reads the whole answer.
 *
 * @param signal aborts the connect and the read; give it a timeout (`AbortSignal.timeout`).
 * @param headers extra request headers (names and values without CR/LF).
 * @throws the connection error (a `TypeError` from `fetch`, also when the answer is not HTTP) or
 *   `signal.reason` when aborted.
 */
export async function httpGet(
  target: ProbeTarget,
  path: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<ProbeResponse> {
  signal.throwIfAborted();
  const client = Deno.createHttpClient({
    poolMaxIdlePerHost: 0,
    http2: false,
    ...(target.transport === "unix" ? { proxy: { transport: "unix", path: target.path } } : {}),
  });
  try {
    const response = await fetch(`http://${hostOf(target)}${path}`, { headers, signal, client });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  } finally {
    client.close();
  }
}

/** The URL's host: `localhost` over a unix socket (the proxy ignores it), else `host:port`. */
function hostOf(target: ProbeTarget): string {
  if (target.transport === "unix") return "localhost";
  const name = target.hostname.includes(":") ? `[${target.hostname}]` : target.hostname;
  return `${name}:${target.port}`;
}
