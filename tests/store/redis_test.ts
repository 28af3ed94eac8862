/**
 * Tests of the Redis client (src/store/redis.ts): URL parsing, RESP replies, pipelining, scripts,
 * connection loss and reconnection, closing, unix sockets.
 *
 * Tests on the shared server (TEST_REDIS_URL) only touch keys under a `test:<uuid>:` prefix and
 * delete them. Tests that kill connections, flush scripts or stop the server use a private
 * `redis-server`; tests of the wire behaviour use a fake server in this process.
 */
import assert from "node:assert/strict";
import {
  closeRedis,
  connectRedis,
  parseRedisUrl,
  type Redis,
  RedisConnectionError,
  type Reply,
  Script,
  send,
} from "../../src/store/redis/client.ts";
import { freePort, ManagedProcess } from "../../tools/stack/processes.ts";
import { PrivateRedis, waitFor } from "../support/cluster.ts";
import { TEST_REDIS_URL, withRedis } from "../support/redis.ts";

const NO_REDIS = !PrivateRedis.executable;
/** Generous bound for anything that must not hang (a loaded 2-core machine). */
const DEADLINE_MS = 10_000;

if (NO_REDIS) {
  console.warn("redis_test: redis-server is not installed: private-server tests skipped");
}

/** Resolves or rejects as `promise` does; rejects if it has not settled within `ms`. */
async function within<T>(what: string, promise: Promise<T>, ms = DEADLINE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` has settled by the next timer tick (no I/O can complete before it). */
async function settledAtOnce(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
}

/** Asserts that `promise` rejects with an error whose message matches `pattern`. */
async function rejectsWithMessage(promise: Promise<unknown>, pattern: RegExp, message?: string) {
  await assert.rejects(promise, (error: Error) => {
    assert.match(error.message, pattern, message);
    return true;
  });
}

/**
 * The rejection reason of `promise` (or an AssertionError if it resolves), observed from now on so
 * that a rejection before the test awaits it is not reported as unhandled.
 */
function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => new assert.AssertionError({ message: `resolved with ${JSON.stringify(value)}` }),
    (error) => error,
  );
}

/** `INFO <section>` as a map of its `field:value` lines. */
async function info(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await send(redis, ["INFO", section]) as string;
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Calls and failed calls of `command` from `INFO commandstats`. */
async function commandStats(redis: Redis, command: string) {
  const line = (await info(redis, "commandstats")).get(`cmdstat_${command}`) ?? "";
  const field = (name: string) => Number(line.match(new RegExp(`(?:^|,)${name}=(\\d+)`))?.[1] ?? 0);
  return { calls: field("calls"), failed: field("failed_calls") };
}

/** Waits until the connection is back and answers PING. */
async function waitReconnected(redis: Redis): Promise<void> {
  await waitFor(
    "the client to reconnect",
    async () => redis.connected && await send(redis, ["PING"]) === "PONG",
    DEADLINE_MS,
    { pollMs: 20 },
  );
}

/** A `redis-server` with extra arguments (unix socket, password), no persistence. */
async function startServer(name: string, args: string[], cliArgs: string[]) {
  const process = new ManagedProcess({
    name,
    command: PrivateRedis.executable!,
    args: [...args, "--save", "", "--appendonly", "no"],
    output: "quiet",
  });
  try {
    await waitFor(
      `${name} answers PING`,
      async () => {
        if (process.exited) throw new Error(process.tail());
        const output = await new Deno.Command("redis-cli", {
          args: [...cliArgs, "PING"],
          stdout: "piped",
          stderr: "piped",
        }).output();
        return new TextDecoder().decode(output.stdout).trim() === "PONG";
      },
      20_000,
      { pollMs: 50 },
    );
  } catch (error) {
    await process.stop("SIGKILL", 5_000);
    throw error;
  }
  return process;
}

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
function startFakeRedis(reply: (command: string[]) => FakeReply | undefined): FakeRedis {
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

// --- parseRedisUrl -----------------------------------------------------------------------------

Deno.test({
  name: "parseRedisUrl reads host, port, db and credentials of redis:// and unix:// URLs",
  fn: () => {
    const tcp = (hostname: string, port: number) => ({ transport: "tcp" as const, hostname, port });
    const cases: [string, ReturnType<typeof parseRedisUrl>][] = [
      [
        "redis://redis.internal:6380/3",
        { connect: tcp("redis.internal", 6380), db: 3, username: undefined, password: undefined },
      ],
      [
        "redis://localhost",
        { connect: tcp("localhost", 6379), db: 0, username: undefined, password: undefined },
      ],
      [
        "redis://127.0.0.1:6379/",
        { connect: tcp("127.0.0.1", 6379), db: 0, username: undefined, password: undefined },
      ],
      [
        "redis://app:p%40ss%3Aword@cache:7000/15",
        { connect: tcp("cache", 7000), db: 15, username: "app", password: "p@ss:word" },
      ],
      [
        "redis://:secret@cache",
        { connect: tcp("cache", 6379), db: 0, username: undefined, password: "secret" },
      ],
      [
        "redis://[::1]:7001/2",
        { connect: tcp("::1", 7001), db: 2, username: undefined, password: undefined },
      ],
      [
        "unix:///path/x.sock?db=2",
        {
          connect: { transport: "unix", path: "/path/x.sock" },
          db: 2,
          username: undefined,
          password: undefined,
        },
      ],
      [
        "unix:///var/run/redis/redis%20server.sock",
        {
          connect: { transport: "unix", path: "/var/run/redis/redis server.sock" },
          db: 0,
          username: undefined,
          password: undefined,
        },
      ],
    ];
    for (const [url, expected] of cases) assert.deepEqual(parseRedisUrl(url), expected, url);
  },
});

Deno.test({
  name: "parseRedisUrl throws TypeError for another scheme, a bad db or no URL at all",
  fn: () => {
    for (
      const url of [
        "http://127.0.0.1:6379",
        "rediss://127.0.0.1:6379",
        "tcp://127.0.0.1:6379",
        "redis://127.0.0.1:6379/abc",
        "redis://127.0.0.1:6379/-1",
        "redis://127.0.0.1:6379/1.5",
        "redis://127.0.0.1:6379/0/1",
        "redis://127.0.0.1:99999",
        "unix:///tmp/r.sock?db=x",
        "unix:///tmp/r.sock?db=-1",
        "unix:///tmp/r.sock?db=0.5",
        "unix:///tmp/r.sock?db=",
        "unix://",
        "unix:",
        "unix://tmp/r.sock", // a host, not a path: a typo of unix:///tmp/r.sock
        "redis://127.0.0.1:6379?db=3", // the db goes in the path
        "redis://user@127.0.0.1:6379", // a user without a password
        "127.0.0.1:6379",
        "",
      ]
    ) {
      assert.throws(() => parseRedisUrl(url), TypeError, url);
    }
    assert.throws(() => parseRedisUrl("http://h"), /not a redis:\/\/ or unix:\/\/ URL/);
    assert.throws(() => parseRedisUrl("redis://h/x"), /bad db/);
    assert.throws(() => parseRedisUrl("unix:///r.sock?db=x"), /bad db/);
    assert.throws(() => parseRedisUrl("unix://"), /absolute path/);
  },
});

// --- replies (shared server, own prefix) -------------------------------------------------------

Deno.test({
  name: "replies map to Reply: status and bulk strings, integers, nil as null, arrays",
  fn: () =>
    withRedis(async (redis, { prefix }) => {
      const k = (name: string) => `${prefix}${name}`;
      assert.equal(await send(redis, ["PING"]), "PONG");
      assert.equal(await send(redis, ["SET", k("s"), "hello"]), "OK");
      assert.equal(await send(redis, ["GET", k("s")]), "hello");
      assert.equal(await send(redis, ["GET", k("missing")]), null);
      assert.equal(await send(redis, ["SET", k("empty"), ""]), "OK");
      assert.equal(await send(redis, ["GET", k("empty")]), "", "an empty bulk string is not nil");
      assert.equal(await send(redis, ["INCR", k("n")]), 1);
      assert.equal(await send(redis, ["INCRBY", k("n"), -5]), -4);
      assert.equal(await send(redis, ["SET", k("f"), 1.5]), "OK", "numbers are sent as text");
      assert.equal(await send(redis, ["GET", k("f")]), "1.5");
      assert.equal(await send(redis, ["EXISTS", k("missing")]), 0);
      assert.equal(await send(redis, ["RPUSH", k("list"), "a", "b", "c"]), 3);
      assert.deepEqual(await send(redis, ["LRANGE", k("list"), 0, -1]), ["a", "b", "c"]);
      assert.deepEqual(await send(redis, ["LRANGE", k("missing"), 0, -1]), []);
      assert.deepEqual(await send(redis, ["MGET", k("s"), k("missing"), k("empty")]), [
        "hello",
        null,
        "",
      ]);
      assert.deepEqual(
        await send(redis, ["EVAL", "return {1, {'a', {2, 'b'}}, 'c', false}", 0]),
        [1, ["a", [2, "b"]], "c", null],
        "nested arrays; Lua false is nil",
      );
    }),
});

Deno.test({
  name: "SCAN replies are nested arrays [cursor, keys] and every key of the prefix is seen",
  fn: () =>
    withRedis(async (redis, { prefix }) => {
      const keys = Array.from({ length: 50 }, (_, i) => `${prefix}scan:${i}`);
      await send(redis, ["MSET", ...keys.flatMap((key) => [key, "v"])]);
      const seen = new Set<string>();
      let cursor = "0";
      do {
        const reply = await send(redis, ["SCAN", cursor, "MATCH", `${prefix}scan:*`, "COUNT", 100]);
        assert.ok(Array.isArray(reply) && reply.length === 2, JSON.stringify(reply));
        const [next, found] = reply as [Reply, Reply];
        assert.equal(typeof next, "string");
        assert.ok(Array.isArray(found));
        for (const key of found) {
          assert.equal(typeof key, "string");
          seen.add(key as string);
        }
        cursor = next as string;
      } while (cursor !== "0");
      assert.deepEqual([...seen].sort(), [...keys].sort());
    }),
});

Deno.test({
  name: "an error reply rejects with the Redis message; the connection and the order go on",
  fn: () =>
    withRedis(async (redis, { prefix }) => {
      const key = `${prefix}text`;
      await send(redis, ["SET", key, "abc"]);
      const incr = await send(redis, ["INCR", key]).then(
        () => assert.fail("INCR on a non-integer value resolved"),
        (error: Error) => error,
      );
      assert.match(incr.message, /^ERR /);
      assert.match(incr.message, /not an integer/);
      assert.ok(!(incr instanceof RedisConnectionError), "a Redis error is not a connection error");
      await rejectsWithMessage(send(redis, ["LPUSH", key, "x"]), /^WRONGTYPE /);
      await rejectsWithMessage(send(redis, ["NOSUCHCOMMAND", "x"]), /^ERR unknown command/);
      // In one pipeline: each reply goes to its own command, errors included.
      const settled = await Promise.allSettled([
        send(redis, ["SET", `${prefix}a`, "1"]),
        send(redis, ["INCR", key]),
        send(redis, ["INCR", `${prefix}a`]),
        send(redis, ["HGET", key, "f"]),
        send(redis, ["GET", `${prefix}a`]),
      ]);
      assert.deepEqual(settled.map((s) => s.status), [
        "fulfilled",
        "rejected",
        "fulfilled",
        "rejected",
        "fulfilled",
      ]);
      assert.deepEqual(
        settled.map((s) => s.status === "fulfilled" ? s.value : null),
        ["OK", null, 2, null, "2"],
      );
      assert.ok(redis.connected);
      assert.equal(await send(redis, ["GET", key]), "abc");
    }),
});

Deno.test({
  name: "UTF-8 keys and values with multi-byte characters and emoji round-trip byte-exact",
  fn: () =>
    withRedis(async (redis, { prefix }) => {
      const values = [
        "ação à vista — €",
        "中文字符",
        "😀🚀👍🏽",
        "👨‍👩‍👧‍👦 family",
        "𝄞 clef",
        "mixed: a é 中 😀 z",
        "\u0000nul and \r\n inside",
        "$5\r\nhello\r\n*1",
      ];
      const key = (i: number) => `${prefix}utf8:ключ:${i}:🔑`;
      // All in one pipeline: a wrong length prefix would shift every command after it.
      const replies = await Promise.all([
        ...values.map((value, i) => send(redis, ["SET", key(i), value])),
        ...values.map((_, i) => send(redis, ["GET", key(i)])),
        ...values.map((_, i) => send(redis, ["STRLEN", key(i)])),
        send(redis, ["PING"]),
      ]);
      const n = values.length;
      assert.deepEqual(replies.slice(0, n), values.map(() => "OK"));
      assert.deepEqual(replies.slice(n, 2 * n), values);
      assert.deepEqual(
        replies.slice(2 * n, 3 * n),
        values.map((value) => new TextEncoder().encode(value).length),
        "Redis stored exactly the UTF-8 bytes",
      );
      assert.equal(replies[3 * n], "PONG");
      await send(redis, ["RPUSH", `${prefix}utf8:list`, ...values]);
      assert.deepEqual(await send(redis, ["LRANGE", `${prefix}utf8:list`, 0, -1]), values);
      const script = new Script("return {KEYS[1], ARGV[1]}");
      assert.deepEqual(await script.run(redis, [key(0)], ["😀é"]), [key(0), "😀é"]);
    }),
});

Deno.test({
  name: "a value of about 1 MB round-trips (the reply spans many socket reads)",
  fn: () =>
    withRedis(async (redis, { prefix }) => {
      const ascii = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode(33 + i % 94))
        .join("");
      const multibyte = "é中😀x".repeat(100_000); // 1,000,000 bytes
      for (const [name, value] of [["ascii", ascii], ["multibyte", multibyte]]) {
        const key = `${prefix}big:${name}`;
        const bytes = new TextEncoder().encode(value).length;
        assert.ok(bytes >= 1_000_000, `${name}: ${bytes} bytes`);
        const [set, got, length, pong] = await Promise.all([
          send(redis, ["SET", key, value]),
          send(redis, ["GET", key]),
          send(redis, ["STRLEN", key]),
          send(redis, ["PING"]),
        ]);
        assert.equal(set, "OK", name);
        assert.equal(typeof got, "string", name);
        assert.equal((got as string).length, value.length, name);
        assert.ok(got === value, `${name}: the value read back differs`);
        assert.equal(length, bytes, name);
        assert.equal(pong, "PONG", name);
      }
    }),
});

Deno.test({
  name: "5,000 INCRs issued at once resolve in order with 1..5000",
  fn: () =>
    withRedis(async (redis, { prefix }) => {
      const key = `${prefix}counter`;
      const count = 5_000;
      const replies = await Promise.all(
        Array.from({ length: count }, () => send(redis, ["INCR", key])),
      );
      assert.deepEqual(replies, Array.from({ length: count }, (_, i) => i + 1));
      // A second burst mixed with other commands, on the same connection.
      const mixed = await Promise.all(
        Array.from({ length: 2_000 }, (_, i) =>
          i % 2 ? send(redis, ["INCR", key]) : send(redis, ["GET", key])),
      );
      for (let i = 0; i < mixed.length; i++) {
        const incrsBefore = Math.floor(i / 2) + (i % 2);
        assert.equal(
          mixed[i],
          i % 2 ? count + incrsBefore : String(count + incrsBefore),
          `reply ${i}`,
        );
      }
      assert.equal(await send(redis, ["GET", key]), String(count + 1_000));
    }),
});

Deno.test({
  name: "CLIENT SETNAME is applied: CLIENT GETNAME returns the name option",
  fn: async () => {
    const name = `test-redis-name-${crypto.randomUUID()}`;
    const redis = await connectRedis(TEST_REDIS_URL, { name });
    try {
      assert.equal(await send(redis, ["CLIENT", "GETNAME"]), name);
      const list = await send(redis, ["CLIENT", "LIST"]) as string;
      assert.equal(list.split("\n").filter((line) => line.includes(` name=${name} `)).length, 1);
    } finally {
      await closeRedis(redis);
    }
  },
});

// --- wire behaviour (fake server in this process) ----------------------------------------------

Deno.test({
  name: "commands issued in one tick go out in one write; replies split byte by byte are parsed",
  fn: async () => {
    const encoder = new TextEncoder();
    const byteByByte = (text: string) => Array.from(encoder.encode(text), (b) => Uint8Array.of(b));
    const fake = startFakeRedis((command) => {
      switch (command[0]) {
        case "GET":
          return byteByByte("$7\r\nvalué!\r\n"); // "valué!" is 6 chars, 7 bytes
        case "INCR":
          return byteByByte(":42\r\n");
        case "LRANGE":
          return byteByByte("*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n*0\r\n");
        case "BAD":
          return byteByByte("-ERR bad command\r\n");
        case "NIL":
          return byteByByte("$-1\r\n");
        default:
          return undefined;
      }
    });
    const redis = await connectRedis(fake.url, { name: "fake" });
    try {
      assert.deepEqual(fake.reads.flat(), [["CLIENT", "SETNAME", "fake"]]);
      const replies = await within(
        "pipelined commands",
        Promise.allSettled([
          send(redis, ["GET", "k"]),
          send(redis, ["INCR", "n"]),
          send(redis, ["LRANGE", "l", 0, -1]),
          send(redis, ["BAD"]),
          send(redis, ["NIL"]),
          send(redis, ["GET", "ключ😀"]),
        ]),
      );
      assert.deepEqual(
        replies.map((r) => r.status === "fulfilled" ? r.value : (r.reason as Error).message),
        ["valué!", 42, ["a", [1, null], []], "ERR bad command", null, "valué!"],
      );
      const read = fake.reads.find((commands) => commands.some((c) => c[0] === "GET"));
      assert.deepEqual(read, [
        ["GET", "k"],
        ["INCR", "n"],
        ["LRANGE", "l", "0", "-1"],
        ["BAD"],
        ["NIL"],
        ["GET", "ключ😀"],
      ], "the six commands arrived in the same read");
    } finally {
      await closeRedis(redis);
      await fake.close();
    }
  },
});

Deno.test({
  name: "a protocol error from the server fails what is in flight with RedisConnectionError",
  fn: async () => {
    const errors: Error[] = [];
    const fake = startFakeRedis((command) => command[0] === "GARBAGE" ? "?what\r\n" : undefined);
    const redis = await connectRedis(fake.url, { name: "fake", onError: (e) => errors.push(e) });
    try {
      const outcomes = await within(
        "commands on a broken stream",
        Promise.allSettled([send(redis, ["GARBAGE"]), send(redis, ["PING"])]),
      );
      for (const outcome of outcomes) {
        assert.equal(outcome.status, "rejected");
        assert.ok(
          (outcome as PromiseRejectedResult).reason instanceof RedisConnectionError,
          String((outcome as PromiseRejectedResult).reason),
        );
      }
      assert.match(errors[0]?.message ?? "", /Protocol error/, "onError got the parser's error");
      await waitReconnected(redis);
      const received = fake.reads.flat().map((command) => command.join(" "));
      assert.equal(received.filter((c) => c === "CLIENT SETNAME fake").length, 2, "reconnected");
      assert.equal(received.filter((c) => c === "GARBAGE").length, 1, "nothing is resent");
    } finally {
      await closeRedis(redis);
      await fake.close();
    }
  },
});

// --- private redis-server ----------------------------------------------------------------------

Deno.test({
  name: "Script runs by EVALSHA, and after SCRIPT FLUSH falls back to EVAL once (NOSCRIPT)",
  ignore: NO_REDIS,
  fn: async () => {
    const server = new PrivateRedis();
    await server.start();
    const redis = await connectRedis(server.url, { name: "test-script" });
    try {
      const source = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
      const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(source));
      const sha = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
        .join("");
      const script = new Script(source);
      const stats = async () => ({
        evalsha: await commandStats(redis, "evalsha"),
        eval: await commandStats(redis, "eval"),
      });

      assert.deepEqual(await send(redis, ["SCRIPT", "EXISTS", sha]), [0]);
      assert.equal(await script.run(redis, ["n"], [2]), 2, "first run: NOSCRIPT, then EVAL");
      assert.deepEqual(await stats(), {
        evalsha: { calls: 1, failed: 1 },
        eval: { calls: 1, failed: 0 },
      });
      assert.deepEqual(await send(redis, ["SCRIPT", "EXISTS", sha]), [1], "same SHA-1 as Redis");
      assert.equal(await script.run(redis, ["n"], [3]), 5);
      assert.deepEqual(await stats(), {
        evalsha: { calls: 2, failed: 1 },
        eval: { calls: 1, failed: 0 },
      }, "a cached script runs by EVALSHA alone");

      assert.equal(await send(redis, ["SCRIPT", "FLUSH"]), "OK");
      assert.deepEqual(await send(redis, ["SCRIPT", "EXISTS", sha]), [0]);
      assert.equal(await script.run(redis, ["n"], [10]), 15, "works again after SCRIPT FLUSH");
      assert.deepEqual(await stats(), {
        evalsha: { calls: 3, failed: 2 },
        eval: { calls: 2, failed: 0 },
      });
      assert.equal(await script.run(redis, ["n"], [1]), 16);
      assert.deepEqual((await stats()).eval, { calls: 2, failed: 0 });

      const failing = new Script("return redis.error_reply('MYERR custom failure')");
      await failing.run(redis, [], []).then(
        () => assert.fail("the failing script resolved"),
        (error: Error) => assert.equal(error.message, "MYERR custom failure"),
      );
      await rejectsWithMessage(failing.run(redis, [], []), /^MYERR custom failure$/);
      assert.equal(await send(redis, ["SET", "text", "abc"]), "OK");
      await rejectsWithMessage(
        new Script("return redis.call('INCR', KEYS[1])").run(redis, ["text"], []),
        /not an integer/,
        "an error inside the script rejects with the Redis message",
      );
      assert.deepEqual(
        await new Script("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}").run(redis, ["k1", "k2"], [
          "a",
          7,
        ]),
        ["k1", "k2", "a", "7"],
        "keys and args in order",
      );
    } finally {
      await closeRedis(redis);
      await server.stop();
    }
  },
});

Deno.test({
  name: "CLIENT KILL: the in-flight command fails, a new one fails at once, the client reconnects",
  ignore: NO_REDIS,
  fn: async () => {
    const server = new PrivateRedis();
    await server.start();
    const errors: Error[] = [];
    const redis = await connectRedis(server.url, {
      name: "test-victim",
      onError: (e) => errors.push(e),
    });
    const killer = await connectRedis(server.url, { name: "test-killer" });
    try {
      const blocked = failure(send(redis, ["BLPOP", "never", 0]));
      await waitFor(
        "BLPOP to block on the server",
        async () => (await info(killer, "clients")).get("blocked_clients") === "1",
        DEADLINE_MS,
        { pollMs: 20 },
      );
      assert.equal(errors.length, 0);
      assert.equal(await send(killer, ["CLIENT", "KILL", "TYPE", "normal"]), 1, "only the victim");
      const lost = await within("the in-flight BLPOP", blocked);
      assert.ok(lost instanceof RedisConnectionError, String(lost));
      assert.equal(redis.connected, false);
      const whileDown = send(redis, ["PING"]);
      assert.ok(await settledAtOnce(whileDown), "a command while disconnected settles at once");
      await assert.rejects(whileDown, RedisConnectionError);

      await waitReconnected(redis);
      assert.ok(errors.length >= 1, "onError was called");
      assert.equal(await send(redis, ["CLIENT", "GETNAME"]), "test-victim", "set-up re-run");
      assert.equal(await send(redis, ["SET", "after", "1"]), "OK");
      assert.equal(await send(redis, ["GET", "after"]), "1");
      // Nothing is resent: the killed BLPOP is not waiting again, so this push stays in the list.
      assert.equal(await send(killer, ["LPUSH", "never", "x"]), 1);
      assert.equal(await send(killer, ["LLEN", "never"]), 1);
      assert.equal((await info(killer, "clients")).get("blocked_clients"), "0");
    } finally {
      await closeRedis(redis);
      await closeRedis(killer);
      await server.stop();
    }
  },
});

Deno.test({
  name: "a killed server: commands fail fast while it is down; the client reconnects on restart",
  ignore: NO_REDIS,
  fn: async () => {
    const server = new PrivateRedis();
    await server.start();
    const errors: Error[] = [];
    const redis = await connectRedis(server.url, {
      name: "test-restart",
      onError: (e) => errors.push(e),
    });
    try {
      assert.equal(await send(redis, ["SET", "before", "1"]), "OK");
      const blocked = failure(send(redis, ["BLPOP", "never", 0]));
      await waitFor(
        "BLPOP to block on the server",
        async () => /blocked_clients:1\r?\n/.test(await server.cli("INFO", "clients")),
        DEADLINE_MS,
        { pollMs: 20 },
      );
      await server.kill();
      const lost = await within("the in-flight BLPOP", blocked);
      assert.ok(lost instanceof RedisConnectionError, String(lost));
      assert.equal(redis.connected, false);
      // Reconnect attempts fail while the server is down; every command is refused at once.
      const enough = () => Promise.resolve(errors.length >= 3);
      await waitFor("failed reconnect attempts", enough, DEADLINE_MS, { pollMs: 20 });
      for (let i = 0; i < 3; i++) {
        const attempt = send(redis, ["GET", "before"]);
        assert.ok(await settledAtOnce(attempt), "a command while down settles at once");
        await assert.rejects(attempt, RedisConnectionError);
      }
      assert.equal(redis.connected, false);

      await server.start();
      await waitReconnected(redis);
      assert.equal(await send(redis, ["GET", "before"]), null, "a new, empty server");
      assert.equal(await send(redis, ["CLIENT", "GETNAME"]), "test-restart");
      assert.equal(await send(redis, ["INCR", "after"]), 1);
    } finally {
      await closeRedis(redis);
      await server.stop();
    }
  },
});

Deno.test({
  name: "connectRedis to a port where nothing listens rejects and leaves nothing running",
  fn: async () => {
    const port = freePort();
    await within(
      "connect to a closed port",
      assert.rejects(
        connectRedis(`redis://127.0.0.1:${port}`, { name: "nobody" }),
        Deno.errors.ConnectionRefused,
      ),
    );
    const dir = await Deno.makeTempDir({ prefix: "redis_test_" });
    try {
      await within(
        "connect to a missing unix socket",
        assert.rejects(
          connectRedis(`unix://${dir}/none.sock`, { name: "nobody" }),
          Deno.errors.NotFound,
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    // The test sanitizers fail this test if a reconnect timer or a socket was left behind.
  },
});

Deno.test({
  name: "connectRedis rejects when AUTH or SELECT fails, and leaves nothing running",
  ignore: NO_REDIS,
  fn: async () => {
    const port = freePort();
    const process = await startServer(
      `redis-auth-${port}`,
      ["--port", String(port), "--bind", "127.0.0.1", "--requirepass", "s3cret"],
      ["-p", String(port), "-a", "s3cret", "--no-auth-warning"],
    );
    const base = `127.0.0.1:${port}`;
    try {
      await rejectsWithMessage(connectRedis(`redis://:wrong@${base}`, { name: "x" }), /^WRONGPASS/);
      await rejectsWithMessage(connectRedis(`redis://${base}`, { name: "x" }), /^NOAUTH/);
      await rejectsWithMessage(
        connectRedis(`redis://:s3cret@${base}/99`, { name: "x" }),
        /DB index is out of range/,
      );
      for (const url of [`redis://:s3cret@${base}/1`, `redis://default:s3cret@${base}/1`]) {
        const redis = await connectRedis(url, { name: "auth-ok" });
        try {
          assert.match(await send(redis, ["CLIENT", "INFO"]) as string, / db=1 /, url);
          assert.equal(await send(redis, ["CLIENT", "GETNAME"]), "auth-ok", url);
        } finally {
          await closeRedis(redis);
        }
      }
    } finally {
      await process.stop("SIGKILL", 5_000);
    }
  },
});

Deno.test({
  name: "closeRedis resolves, is idempotent, and no reconnect happens afterwards",
  ignore: NO_REDIS,
  fn: async () => {
    const server = new PrivateRedis();
    await server.start();
    const observer = await connectRedis(server.url, { name: "test-observer" });
    const clientNames = async () =>
      ((await send(observer, ["CLIENT", "LIST"])) as string).match(/ name=\S+/g) ?? [];
    try {
      const errors: Error[] = [];
      const redis = await connectRedis(server.url, {
        name: "test-closing",
        onError: (e) => errors.push(e),
      });
      assert.deepEqual((await clientNames()).sort(), [" name=test-closing", " name=test-observer"]);
      await within("close twice at once", Promise.all([closeRedis(redis), closeRedis(redis)]));
      await within("close again", closeRedis(redis));
      assert.equal(redis.connected, false);
      await assert.rejects(send(redis, ["PING"]), RedisConnectionError);
      await waitFor(
        "the server to forget the closed client",
        async () => (await clientNames()).length === 1,
        DEADLINE_MS,
        { pollMs: 20 },
      );
      // Longer than the longest reconnect delay (500 ms): a reconnect would show in CLIENT LIST.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.deepEqual(await clientNames(), [" name=test-observer"]);
      assert.equal(redis.connected, false);
      assert.deepEqual(errors, [], "closing is not an error");

      // Closing while disconnected stops the reconnect attempts.
      const closedWhileDown = await connectRedis(server.url, { name: "test-closed-while-down" });
      const dropped = failure(send(closedWhileDown, ["BLPOP", "never", 0]));
      await waitFor(
        "BLPOP to block on the server",
        async () => (await info(observer, "clients")).get("blocked_clients") === "1",
        DEADLINE_MS,
        { pollMs: 20 },
      );
      assert.equal(await send(observer, ["CLIENT", "KILL", "TYPE", "normal"]), 1);
      const lost = await within("the killed BLPOP", dropped);
      assert.ok(lost instanceof RedisConnectionError, String(lost));
      assert.equal(closedWhileDown.connected, false);
      await within("close while down", closeRedis(closedWhileDown));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(closedWhileDown.connected, false);
      assert.deepEqual(await clientNames(), [" name=test-observer"], "no reconnect after close");
    } finally {
      await closeRedis(observer);
      await server.stop();
    }
  },
});

Deno.test({
  name: "unix socket: unix://<path> reaches the server, ?db=1 puts keys in database 1",
  ignore: NO_REDIS,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "redis_test_" });
    const path = `${dir}/r.sock`;
    let process: ManagedProcess | undefined;
    try {
      process = await startServer(
        "redis-unix",
        ["--unixsocket", path, "--unixsocketperm", "700", "--port", "0"],
        ["-s", path],
      );
      const db1 = await connectRedis(`unix://${path}?db=1`, { name: "test-unix-db1" });
      const db0 = await connectRedis(`unix://${path}`, { name: "test-unix-db0" });
      try {
        assert.ok(db1.connected && db0.connected);
        assert.equal(await send(db1, ["SET", "k", "in db 1"]), "OK");
        assert.equal(await send(db1, ["GET", "k"]), "in db 1");
        assert.equal(await send(db0, ["EXISTS", "k"]), 0, "db 0 does not see the key");
        assert.equal(await send(db0, ["DBSIZE"]), 0);
        assert.equal(await send(db1, ["DBSIZE"]), 1);
        assert.match(await send(db1, ["CLIENT", "INFO"]) as string, / db=1 /);
        assert.match(await send(db0, ["CLIENT", "INFO"]) as string, / db=0 /);
        assert.equal(await send(db1, ["CLIENT", "GETNAME"]), "test-unix-db1");
        assert.equal(await send(db1, ["DEL", "k"]), 1);
      } finally {
        await closeRedis(db1);
        await closeRedis(db0);
      }
    } finally {
      await process?.stop("SIGKILL", 5_000);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
