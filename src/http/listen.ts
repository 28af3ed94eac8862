/**
 * Where one instance's HTTP server listens (config.ts `Listen`): a TCP port, or a unix domain
 * socket that the load balancer reaches (docs/DESIGN.md "Ingress").
 *
 * @module
 */
import { type Listen, StartError } from "../config.ts";

/** A socket file's mode: the load balancer runs as another user (in compose, another container). */
const SOCKET_MODE = 0o666;

/**
 * Starts `Deno.serve` with `handler` on `listen`. For a unix socket it first removes a socket file
 * left by a crashed predecessor, and then lets every user connect ({@link SOCKET_MODE}).
 *
 * @throws {StartError} naming the address and its variables when it cannot be bound.
 */
export async function serve(
  listen: Listen,
  handler: Deno.ServeHandler,
): Promise<Deno.HttpServer<Deno.Addr>> {
  try {
    if (listen.kind === "tcp") {
      const { hostname, port, reusePort } = listen;
      return Deno.serve({ hostname, port, reusePort, onListen: () => {} }, handler);
    }
    await removeStaleSocket(listen.path);
    const server = Deno.serve({ path: listen.path, onListen: () => {} }, handler);
    await Deno.chmod(listen.path, SOCKET_MODE);
    return server;
  } catch (error) {
    const [where, variables] = listen.kind === "tcp"
      ? [`${listen.hostname}:${listen.port}`, "PORT/HOSTNAME_BIND"]
      : [`unix socket ${listen.path}`, "SOCKET_PATH"];
    throw new StartError(`cannot listen on ${where}`, error, variables);
  }
}

/** Removes a crashed predecessor's socket file; a live instance's one (it accepts) is in use. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!(await Deno.lstat(path)).isSocket) return;
    const conn = await Deno.connect({ transport: "unix", path }).catch(() => undefined);
    if (conn) {
      conn.close();
      throw new Deno.errors.AddrInUse("address already in use");
    }
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
