/**
 * The listener choice (src/http/listen.ts): a TCP port, or a unix socket that replaces a stale
 * socket file and lets every user connect; a failure to bind names the address and its variables.
 */
import assert from "node:assert/strict";
import { type Listen, StartError } from "../../src/config.ts";
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
  // The socket file of a crashed predecessor: a process that listened there and was SIGKILLed.
  const code =
    `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); console.log("up");` +
    " setTimeout(() => {}, 60_000);";
  const child = new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "piped" })
    .spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.match((await reader.read()).value ?? "", /up/);
  child.kill("SIGKILL");
  await reader.cancel();
  await child.status;
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
    await Deno.remove(dir, { recursive: true });
  }
});

/** The StartError `serve(listen)` rejects with. */
async function startError(listen: Listen): Promise<string> {
  const error = await serve(listen, handler).then(
    async (server) => {
      await server.shutdown();
      assert.fail(`serve(${JSON.stringify(listen)}) listened`);
    },
    (error) => error,
  );
  assert.ok(error instanceof StartError, String(error));
  return error.message;
}

Deno.test("a busy port is named with PORT/HOSTNAME_BIND", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = taken.addr;
    assert.equal(
      await startError({ kind: "tcp", hostname: "127.0.0.1", port, reusePort: false }),
      `cannot listen on 127.0.0.1:${port}: address already in use (PORT/HOSTNAME_BIND)`,
    );
  } finally {
    taken.close();
  }
});

Deno.test("a live instance's unix socket is not taken over: SOCKET_PATH in use", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/api.sock`;
  const live = Deno.listen({ transport: "unix", path });
  const accepting = (async () => {
    for await (const conn of live) conn.close();
  })();
  try {
    assert.equal(
      await startError({ kind: "unix", path }),
      `cannot listen on unix socket ${path}: address already in use (SOCKET_PATH)`,
    );
    assert.ok((await Deno.lstat(path)).isSocket, "the live socket file is still there");
  } finally {
    live.close();
    await accepting.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an address of no local interface is named with PORT/HOSTNAME_BIND", async () => {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it.
  assert.equal(
    await startError({ kind: "tcp", hostname: "192.0.2.1", port: 0, reusePort: false }),
    "cannot listen on 192.0.2.1:0: cannot assign requested address (PORT/HOSTNAME_BIND)",
  );
});

Deno.test("a socket path in a missing folder is named with SOCKET_PATH", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/missing/api.sock`;
    assert.equal(
      await startError({ kind: "unix", path }),
      `cannot listen on unix socket ${path}: no such file or directory (SOCKET_PATH)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
