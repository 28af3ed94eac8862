/**
 * Test support: a fake Redis in this process, for the wire behaviour of the client (what arrives
 * in one read, replies split byte by byte, a stream that is not RESP).
 *
 * @module
 */
import assert from "node:assert/strict";

/** What a fake server answers to one command: a RESP text, or byte chunks written one by one. */
type FakeReply = string | Uint8Array[];

/** A TCP server in this process that speaks just enough RESP to look like Redis. */
interface FakeRedis {
  url: string;
  /** Commands received, per socket read: which commands arrived in the same read. */
  reads: string[][][];
  close(): Promise<void>;
}

/**
 * Starts a fake Redis. `reply` answers every command but QUIT (answered `+OK`, then the socket is
 * closed); `undefined` means `+PONG` to PING and `+OK` to anything else.
 */
export function startFakeRedis(reply: (command: string[]) => FakeReply | undefined): FakeRedis {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving: Promise<void>[] = [];
  const reads: string[][][] = [];
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  const serve = async (conn: Deno.Conn) => {
    let buffered = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) return;
        const joined = new Uint8Array(buffered.length + n);
        joined.set(buffered);
        joined.set(chunk.subarray(0, n), buffered.length);
        const { commands, rest } = parseCommands(joined, decoder);
        buffered = rest;
        if (commands.length) reads.push(commands);
        for (const command of commands) {
          if (command[0].toUpperCase() === "QUIT") {
            await conn.write(encoder.encode("+OK\r\n"));
            return;
          }
          const answer = reply(command) ??
            (command[0].toUpperCase() === "PING" ? "+PONG\r\n" : "+OK\r\n");
          if (typeof answer === "string") await conn.write(encoder.encode(answer));
          else for (const bytes of answer) await conn.write(bytes);
        }
      }
    } catch {
      // The client went away, or close() closed this socket.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        serving.push(serve(conn));
      }
    } catch {
      // listener closed
    }
  })();
  return {
    url: `redis://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    reads,
    close: async () => {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await accepting;
      await Promise.all(serving);
    },
  };
}

/** Complete RESP commands (arrays of bulk strings) at the start of `bytes`, and the rest. */
function parseCommands(bytes: Uint8Array, decoder: TextDecoder) {
  const commands: string[][] = [];
  let off = 0;
  const line = (from: number): [string, number] | undefined => {
    for (let i = from; i + 1 < bytes.length; i++) {
      if (bytes[i] === 13 && bytes[i + 1] === 10) {
        return [decoder.decode(bytes.subarray(from, i)), i + 2];
      }
    }
    return undefined;
  };
  outer: while (off < bytes.length) {
    const header = line(off);
    if (!header) break;
    assert.equal(header[0][0], "*", `fake server: not an array: ${header[0]}`);
    const count = Number(header[0].slice(1));
    let at = header[1];
    const args: string[] = [];
    for (let i = 0; i < count; i++) {
      const size = line(at);
      if (!size) break outer;
      assert.equal(size[0][0], "$", `fake server: not a bulk string: ${size[0]}`);
      const length = Number(size[0].slice(1));
      if (size[1] + length + 2 > bytes.length) break outer;
      args.push(decoder.decode(bytes.subarray(size[1], size[1] + length)));
      assert.equal(bytes[size[1] + length], 13, "fake server: bulk string not followed by CR");
      at = size[1] + length + 2;
    }
    commands.push(args);
    off = at;
  }
  return { commands, rest: bytes.slice(off) };
}
