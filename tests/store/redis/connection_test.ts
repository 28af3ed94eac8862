/**
 * Tests of one connection's wire behaviour (src/store/redis/connection.ts): RESP replies and
 * errors, UTF-8 framing, large replies, the FIFO of pending replies, pipelining in one write, a
 * stream that is not RESP. On the shared server under a fresh prefix, or a fake server.
 */
import assert from "node:assert/strict";
import { Redis, Script } from "../../../src/store/redis/client.ts";
import { RedisConnectionError, type Reply } from "../../../src/store/redis/connection.ts";
import { withRedis } from "../../support/redis.ts";
import { startFakeRedis } from "./fake_server.ts";
import { rejectsWithMessage, waitReconnected, within } from "./helpers.ts";

Deno.test({
  name: "replies map to Reply: status and bulk strings, integers, nil as null, arrays",
  fn: () =>
    withRedis(async (redis, { prefix }) => {
      const k = (name: string) => `${prefix}${name}`;
      assert.equal(await redis.send(["PING"]), "PONG");
      assert.equal(await redis.send(["SET", k("s"), "hello"]), "OK");
      assert.equal(await redis.send(["GET", k("s")]), "hello");
      assert.equal(await redis.send(["GET", k("missing")]), null);
      assert.equal(await redis.send(["SET", k("empty"), ""]), "OK");
      assert.equal(await redis.send(["GET", k("empty")]), "", "an empty bulk string is not nil");
      assert.equal(await redis.send(["INCR", k("n")]), 1);
      assert.equal(await redis.send(["INCRBY", k("n"), -5]), -4);
      assert.equal(await redis.send(["SET", k("f"), 1.5]), "OK", "numbers are sent as text");
      assert.equal(await redis.send(["GET", k("f")]), "1.5");
      assert.equal(await redis.send(["EXISTS", k("missing")]), 0);
      assert.equal(await redis.send(["RPUSH", k("list"), "a", "b", "c"]), 3);
      assert.deepEqual(await redis.send(["LRANGE", k("list"), 0, -1]), ["a", "b", "c"]);
      assert.deepEqual(await redis.send(["LRANGE", k("missing"), 0, -1]), []);
      assert.deepEqual(await redis.send(["MGET", k("s"), k("missing"), k("empty")]), [
        "hello",
        null,
        "",
      ]);
      assert.deepEqual(
        await redis.send(["EVAL", "return {1, {'a', {2, 'b'}}, 'c', false}", 0]),
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
      await redis.send(["MSET", ...keys.flatMap((key) => [key, "v"])]);
      const seen = new Set<string>();
      let cursor = "0";
      do {
        const reply = await redis.send(["SCAN", cursor, "MATCH", `${prefix}scan:*`, "COUNT", 100]);
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
      await redis.send(["SET", key, "abc"]);
      const incr = await redis.send(["INCR", key]).then(
        () => assert.fail("INCR on a non-integer value resolved"),
        (error: Error) => error,
      );
      assert.match(incr.message, /^ERR /);
      assert.match(incr.message, /not an integer/);
      assert.ok(!(incr instanceof RedisConnectionError), "a Redis error is not a connection error");
      await rejectsWithMessage(redis.send(["LPUSH", key, "x"]), /^WRONGTYPE /);
      await rejectsWithMessage(redis.send(["NOSUCHCOMMAND", "x"]), /^ERR unknown command/);
      // In one pipeline: each reply goes to its own command, errors included.
      const settled = await Promise.allSettled([
        redis.send(["SET", `${prefix}a`, "1"]),
        redis.send(["INCR", key]),
        redis.send(["INCR", `${prefix}a`]),
        redis.send(["HGET", key, "f"]),
        redis.send(["GET", `${prefix}a`]),
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
      assert.equal(await redis.send(["GET", key]), "abc");
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
        ...values.map((value, i) => redis.send(["SET", key(i), value])),
        ...values.map((_, i) => redis.send(["GET", key(i)])),
        ...values.map((_, i) => redis.send(["STRLEN", key(i)])),
        redis.send(["PING"]),
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
      await redis.send(["RPUSH", `${prefix}utf8:list`, ...values]);
      assert.deepEqual(await redis.send(["LRANGE", `${prefix}utf8:list`, 0, -1]), values);
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
          redis.send(["SET", key, value]),
          redis.send(["GET", key]),
          redis.send(["STRLEN", key]),
          redis.send(["PING"]),
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
        Array.from({ length: count }, () => redis.send(["INCR", key])),
      );
      assert.deepEqual(replies, Array.from({ length: count }, (_, i) => i + 1));
      // A second burst mixed with other commands, on the same connection.
      const mixed = await Promise.all(
        Array.from({ length: 2_000 }, (_, i) =>
          i % 2 ? redis.send(["INCR", key]) : redis.send(["GET", key])),
      );
      for (let i = 0; i < mixed.length; i++) {
        const incrsBefore = Math.floor(i / 2) + (i % 2);
        assert.equal(
          mixed[i],
          i % 2 ? count + incrsBefore : String(count + incrsBefore),
          `reply ${i}`,
        );
      }
      assert.equal(await redis.send(["GET", key]), String(count + 1_000));
    }),
});

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
    const redis = await Redis.connect(fake.url, { name: "fake" });
    try {
      assert.deepEqual(fake.reads.flat(), [["CLIENT", "SETNAME", "fake"]]);
      const replies = await within(
        "pipelined commands",
        Promise.allSettled([
          redis.send(["GET", "k"]),
          redis.send(["INCR", "n"]),
          redis.send(["LRANGE", "l", 0, -1]),
          redis.send(["BAD"]),
          redis.send(["NIL"]),
          redis.send(["GET", "ключ😀"]),
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
      await redis.close();
      await fake.close();
    }
  },
});

Deno.test({
  name: "a protocol error from the server fails what is in flight with RedisConnectionError",
  fn: async () => {
    const errors: Error[] = [];
    const fake = startFakeRedis((command) => command[0] === "GARBAGE" ? "?what\r\n" : undefined);
    const redis = await Redis.connect(fake.url, { name: "fake", onError: (e) => errors.push(e) });
    try {
      const outcomes = await within(
        "commands on a broken stream",
        Promise.allSettled([redis.send(["GARBAGE"]), redis.send(["PING"])]),
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
      await redis.close();
      await fake.close();
    }
  },
});
