/**
 * The listener choice (src/http/listen.ts): a TCP port, or a unix socket that replaces a stale
 * socket file and lets every user connect.
 */
import assert from "node:assert/strict";
import { serve } from "../../src/http/listen.ts";

const handler = () => new Response("ok");

/** Sends one HTTP/1.1 request over `conn` and returns the whole answer. */
async function roundTrip(conn: Deno.Conn): Promise<string> {
  await conn.write(
    new TextEncoder().encode("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
  );
  return await new Response(conn.readable).text();
}

Deno.test("serve listens on a TCP port", async () => {
  const server = await serve(
    { kind: "tcp", hostname: "127.0.0.1", port: 0, reusePort: false },
    handler,
  );
  try {
    const { port } = server.addr as Deno.NetAddr;
    const answer = await roundTrip(await Deno.connect({ hostname: "127.0.0.1", port }));
    assert.match(answer, /^HTTP\/1\.1 200/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve replaces a stale unix socket and opens it to every user", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/api.sock`;
  // The socket file of a predecessor (Deno removes the file on close, so it stays open here).
  const stale = Deno.listen({ transport: "unix", path });
  try {
    assert.equal((await Deno.lstat(path)).isSocket, true);
    const server = await serve({ kind: "unix", path }, handler);
    try {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o666);
      const answer = await roundTrip(await Deno.connect({ transport: "unix", path }));
      assert.match(answer, /^HTTP\/1\.1 200/);
    } finally {
      await server.shutdown();
    }
  } finally {
    stale.close();
    await Deno.remove(dir, { recursive: true });
  }
});
