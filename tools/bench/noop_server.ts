/**
 * A no-op backend for the baseline run: answers `POST /payments` 202 at once without reading
 * anything else, and the other endpoints of docs/CONTRACT.md §1 with fixed bodies (an empty summary).
 * Its p99 under the test's load is the floor this machine, load balancer and load generator
 * impose on any backend.
 *
 * Run as a process:
 * ```sh
 * deno run --allow-net --allow-read --allow-write tools/bench/noop_server.ts --socket /tmp/x/api1.sock
 * deno run --allow-net tools/bench/noop_server.ts --port 9999 --reuse-port
 * ```
 *
 * With `--redis-url URL --prefix P` it is the intake floor instead (intake_handler.ts): the
 * product's real `POST /payments`, acknowledged by Redis before the 202, and nothing behind it.
 *
 * @module
 */

const EMPTY_SUMMARY =
  '{"default":{"totalRequests":0,"totalAmount":0},"fallback":{"totalRequests":0,"totalAmount":0}}';

/** Where the no-op server listens. */
type NoopListen =
  | { port: number; hostname?: string; reusePort?: boolean }
  | { path: string };

/** Options of {@linkcode startNoopServer}. */
interface NoopServerOptions {
  listen: NoopListen;
  /** Name reported by `GET /healthcheck` as `instanceId`. */
  instanceId?: string;
  /** Serve this handler instead of the no-op one (the intake floor, intake_handler.ts). */
  handler?: (request: Request) => Response | Promise<Response>;
  signal?: AbortSignal;
}

/** The request handler of the no-op backend. */
function noopHandler(instanceId: string): (req: Request) => Response | Promise<Response> {
  const health = JSON.stringify({ ok: true, instanceId, queue: 0 });
  const jsonHeaders = { "content-type": "application/json" };
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "POST" && path === "/payments") {
      await req.body?.cancel();
      return new Response(null, { status: 202 });
    }
    if (path === "/payments-summary") return new Response(EMPTY_SUMMARY, { headers: jsonHeaders });
    if (path === "/purge-payments") return new Response(null, { status: 200 });
    if (path === "/healthcheck") return new Response(health, { headers: jsonHeaders });
    return new Response(null, { status: 404 });
  };
}

/** Starts the no-op backend in this process. */
function startNoopServer(options: NoopServerOptions): Deno.HttpServer {
  const handler = options.handler ?? noopHandler(options.instanceId ?? "noop");
  const common = { signal: options.signal, onListen: () => {} };
  if ("path" in options.listen) {
    return Deno.serve({ ...common, transport: "unix", path: options.listen.path }, handler);
  }
  return Deno.serve({
    ...common,
    port: options.listen.port,
    hostname: options.listen.hostname ?? "127.0.0.1",
    reusePort: options.listen.reusePort ?? false,
  }, handler);
}

if (import.meta.main) {
  const args = Deno.args;
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const socket = value("--socket");
  const port = value("--port");
  const id = value("--id") ?? "noop";
  const redisUrl = value("--redis-url");
  const prefix = value("--prefix");
  if ((!socket && !port) || (redisUrl === undefined) !== (prefix === undefined)) {
    console.error(
      "usage: noop_server.ts (--socket PATH | --port N [--reuse-port]) [--id NAME]\n" +
        "                      [--redis-url URL --prefix P]",
    );
    Deno.exit(2);
  }
  const intake = redisUrl
    ? await (await import("./intake_handler.ts")).startIntakeHandler(redisUrl, prefix!, id)
    : undefined;
  if (socket) await Deno.remove(socket).catch(() => {});
  const ac = new AbortController();
  const stop = () => ac.abort();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  const server = startNoopServer({
    listen: socket
      ? { path: socket }
      : { port: Number(port), hostname: "127.0.0.1", reusePort: args.includes("--reuse-port") },
    instanceId: id,
    handler: intake?.handler,
    signal: ac.signal,
  });
  const kind = intake ? "intake floor" : "noop";
  console.log(`${kind} ${id} listening on ${socket ?? `127.0.0.1:${port}`}`);
  await server.finished;
  await intake?.close();
}
