/**
 * HTTP origins: the one form the processors' URLs take (docs/CONTRACT.md §2: plain HTTP/1.1 on a
 * host and port), shared by the configuration check (config.ts) and the HTTP pool
 * (processors/http_pool.ts).
 *
 * @module
 */

/**
 * Parses `origin` as a plain `http://host[:port]` origin (a trailing `/` is allowed).
 *
 * @throws {TypeError} for another scheme, a path, query, fragment or user info, or no URL at all.
 */
export function parseOrigin(origin: string): URL {
  const url = new URL(origin);
  if (
    url.protocol !== "http:" || url.pathname !== "/" || url.search || url.hash || url.username ||
    url.password
  ) {
    throw new TypeError(`expected an http://host[:port] origin, got ${origin}`);
  }
  return url;
}
