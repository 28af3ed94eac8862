/**
 * Redis URLs, shared by the client (client.ts), the configuration check (config.ts) and the local
 * stack.
 *
 * @module
 */

/** Where and how to connect to Redis, read from its URL. */
export interface RedisEndpoint {
  connect: Deno.ConnectOptions | Deno.UnixConnectOptions;
  db: number;
  username?: string;
  password?: string;
}

/**
 * Parses `redis://[[user]:password@]host[:port][/db]` or `unix:///path/to.sock[?db=N]`.
 *
 * @throws {TypeError} on another scheme or a bad port/db.
 */
export function parseRedisUrl(url: string): RedisEndpoint {
  const u = new URL(url);
  const auth = {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
  if (auth.username !== undefined && auth.password === undefined) {
    throw new TypeError(`a user needs a password (redis://user:password@host): ${url}`);
  }
  if (u.protocol === "unix:") {
    const path = decodeURIComponent(u.pathname);
    if (u.host !== "" || path.length < 2) {
      throw new TypeError(`a unix URL names an absolute path, unix:///path/to.sock: ${url}`);
    }
    const dbText = u.searchParams.get("db") ?? "0";
    const db = Number(dbText);
    if (dbText === "" || !Number.isInteger(db) || db < 0) throw new TypeError(`bad db in ${url}`);
    return { connect: { transport: "unix", path }, db, ...auth };
  }
  if (u.protocol !== "redis:") throw new TypeError(`not a redis:// or unix:// URL: ${url}`);
  if (u.search !== "") {
    throw new TypeError(`no query in a redis:// URL (db: redis://host/N): ${url}`);
  }
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new TypeError(`bad db in ${url}`);
  const hostname = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  return { connect: { transport: "tcp", hostname, port }, db, ...auth };
}
