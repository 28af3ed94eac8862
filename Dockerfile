# API instance image (docs/CONTRACT.md §5: public linux/amd64 image; docker-compose.yml runs two of it).
#
# Dependencies are fetched at build time; at run time the instance uses only the cache
# (--cached-only) and runs as the image's unprivileged `deno` user (uid 1993).
FROM denoland/deno:2.9.6

WORKDIR /app

# /sockets is the mount point of the volume shared with nginx: a fresh named volume copies this
# directory's owner and mode, so the non-root instances can create their sockets in it.
RUN mkdir -p /sockets \
 && chown deno:deno /app /sockets \
 && chmod 1777 /sockets

USER deno

COPY --chown=deno:deno deno.json deno.lock ./
# The workspace members tools/ and tests/ (deno.json "workspace") are dev-only and are not copied:
# drop the key so Deno neither looks for them nor installs their dependencies (the image caches
# the product's npm packages only; tests/deploy/compose_test.ts checks this file).
RUN deno eval --no-config 'const c = JSON.parse(Deno.readTextFileSync("deno.json")); delete c.workspace; Deno.writeTextFileSync("deno.json", JSON.stringify(c, null, 2));'
COPY --chown=deno:deno src/ ./src/
RUN deno install --entrypoint src/main.ts

# The instance makes its unix socket connectable by nginx's workers (another user, in another
# container) itself; the socket is the only file it writes. /redis holds Redis's unix socket.
# The V8 flags bound the heap (RSS 152 → 81 MB at peak load, docs/BENCHMARKS.md).
CMD ["deno", "run", "--cached-only", "--allow-net", "--allow-env", "--allow-sys=hostname", "--allow-read=/sockets,/redis", "--allow-write=/sockets,/redis", "--v8-flags=--max-semi-space-size=2,--max-old-space-size=64", "src/main.ts"]
