/**
 * Tests of the supervised client (src/store/redis/client.ts): connecting and its set-up commands,
 * failing fast while disconnected, reconnecting, closing, SCAN, unix sockets, and Lua scripts on a
 * private `redis-server`.
 */
import assert from "node:assert/strict";
import { Redis, Script } from "../../../src/store/redis/client.ts";
import { RedisConnectionError } from "../../../src/store/redis/connection.ts";
import { freePort, type ManagedProcess } from "../../../tools/stack/processes.ts";
import { PrivateRedis, waitFor } from "../../support/cluster.ts";
import { TEST_REDIS_URL, withRedis } from "../../support/redis.ts";
import {
  commandStats,
  DEADLINE_MS,
  failure,
  info,
  NO_REDIS,
  rejectsWithMessage,
  settledAtOnce,
  startServer,
  waitReconnected,
  within,
} from "./helpers.ts";
import { startFakeRedis } from "./fake_server.ts";

Deno.test({
  name: "CLIENT SETNAME is applied: CLIENT GETNAME returns the name option",
  fn: async () => {
    const name = `test-redis-name-${crypto.randomUUID()}`;
    const redis = await Redis.connect(TEST_REDIS_URL, { name });
    try {
      assert.equal(await redis.send(["CLIENT", "GETNAME"]), name);
      const list = await redis.send(["CLIENT", "LIST"]) as string;
      assert.equal(list.split("\n").filter((line) => line.includes(` name=${name} `)).length, 1);
    } finally {
      await redis.close();
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
    const redis = await Redis.connect(server.url, {
      name: "test-victim",
      onError: (e) => errors.push(e),
    });
    const killer = await Redis.connect(server.url, { name: "test-killer" });
    try {
      const blocked = failure(redis.send(["BLPOP", "never", 0]));
      await waitFor(
        "BLPOP to block on the server",
        async () => (await info(killer, "clients")).get("blocked_clients") === "1",
        DEADLINE_MS,
        { pollMs: 20 },
      );
      assert.equal(errors.length, 0);
      assert.equal(await killer.send(["CLIENT", "KILL", "TYPE", "normal"]), 1, "only the victim");
      const lost = await within("the in-flight BLPOP", blocked);
      assert.ok(lost instanceof RedisConnectionError, String(lost));
      assert.equal(redis.connected, false);
      const whileDown = redis.send(["PING"]);
      assert.ok(await settledAtOnce(whileDown), "a command while disconnected settles at once");
      await assert.rejects(whileDown, RedisConnectionError);

      await waitReconnected(redis);
      assert.ok(errors.length >= 1, "onError was called");
      assert.equal(await redis.send(["CLIENT", "GETNAME"]), "test-victim", "set-up re-run");
      assert.equal(await redis.send(["SET", "after", "1"]), "OK");
      assert.equal(await redis.send(["GET", "after"]), "1");
      // Nothing is resent: the killed BLPOP is not waiting again, so this push stays in the list.
      assert.equal(await killer.send(["LPUSH", "never", "x"]), 1);
      assert.equal(await killer.send(["LLEN", "never"]), 1);
      assert.equal((await info(killer, "clients")).get("blocked_clients"), "0");
    } finally {
      await redis.close();
      await killer.close();
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
    const redis = await Redis.connect(server.url, {
      name: "test-restart",
      onError: (e) => errors.push(e),
    });
    try {
      assert.equal(await redis.send(["SET", "before", "1"]), "OK");
      const blocked = failure(redis.send(["BLPOP", "never", 0]));
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
        const attempt = redis.send(["GET", "before"]);
        assert.ok(await settledAtOnce(attempt), "a command while down settles at once");
        await assert.rejects(attempt, RedisConnectionError);
      }
      assert.equal(redis.connected, false);

      await server.start();
      await waitReconnected(redis);
      assert.equal(await redis.send(["GET", "before"]), null, "a new, empty server");
      assert.equal(await redis.send(["CLIENT", "GETNAME"]), "test-restart");
      assert.equal(await redis.send(["INCR", "after"]), 1);
    } finally {
      await redis.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "Redis.connect to a port where nothing listens rejects and leaves nothing running",
  fn: async () => {
    const port = freePort();
    await within(
      "connect to a closed port",
      assert.rejects(
        Redis.connect(`redis://127.0.0.1:${port}`, { name: "nobody" }),
        Deno.errors.ConnectionRefused,
      ),
    );
    const dir = await Deno.makeTempDir({ prefix: "redis_test_" });
    try {
      await within(
        "connect to a missing unix socket",
        assert.rejects(
          Redis.connect(`unix://${dir}/none.sock`, { name: "nobody" }),
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
  name: "Redis.connect to a server that accepts but never answers gives up, naming the timeout",
  fn: async () => {
    const silent = startFakeRedis(() => []); // reads every command, answers none
    try {
      await within(
        "connect to a silent server",
        assert.rejects(Redis.connect(silent.url, { name: "silent" }), (error: unknown) => {
          assert.ok(error instanceof RedisConnectionError, String(error));
          assert.equal(error.message, "no answer to connect and set-up within 2000 ms");
          return true;
        }),
      );
      assert.deepEqual(silent.reads.flat(), [["CLIENT", "SETNAME", "silent"]]);
    } finally {
      await silent.close();
    }
    // The test sanitizers fail this test if the timer or the socket was left behind.
  },
});

Deno.test({
  name: "Redis.connect rejects when AUTH or SELECT fails, and leaves nothing running",
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
      await rejectsWithMessage(
        Redis.connect(`redis://:wrong@${base}`, { name: "x" }),
        /^WRONGPASS/,
      );
      await rejectsWithMessage(Redis.connect(`redis://${base}`, { name: "x" }), /^NOAUTH/);
      await rejectsWithMessage(
        Redis.connect(`redis://:s3cret@${base}/99`, { name: "x" }),
        /DB index is out of range/,
      );
      for (const url of [`redis://:s3cret@${base}/1`, `redis://default:s3cret@${base}/1`]) {
        const redis = await Redis.connect(url, { name: "auth-ok" });
        try {
          assert.match(await redis.send(["CLIENT", "INFO"]) as string, / db=1 /, url);
          assert.equal(await redis.send(["CLIENT", "GETNAME"]), "auth-ok", url);
        } finally {
          await redis.close();
        }
      }
    } finally {
      await process.stop("SIGKILL", 5_000);
    }
  },
});

Deno.test({
  name: "close resolves, is idempotent, and no reconnect happens afterwards",
  ignore: NO_REDIS,
  fn: async () => {
    const server = new PrivateRedis();
    await server.start();
    const observer = await Redis.connect(server.url, { name: "test-observer" });
    const clientNames = async () =>
      ((await observer.send(["CLIENT", "LIST"])) as string).match(/ name=\S+/g) ?? [];
    try {
      const errors: Error[] = [];
      const redis = await Redis.connect(server.url, {
        name: "test-closing",
        onError: (e) => errors.push(e),
      });
      assert.deepEqual((await clientNames()).sort(), [" name=test-closing", " name=test-observer"]);
      await within("close twice at once", Promise.all([redis.close(), redis.close()]));
      await within("close again", redis.close());
      assert.equal(redis.connected, false);
      await assert.rejects(redis.send(["PING"]), RedisConnectionError);
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
      const closedWhileDown = await Redis.connect(server.url, { name: "test-closed-while-down" });
      const dropped = failure(closedWhileDown.send(["BLPOP", "never", 0]));
      await waitFor(
        "BLPOP to block on the server",
        async () => (await info(observer, "clients")).get("blocked_clients") === "1",
        DEADLINE_MS,
        { pollMs: 20 },
      );
      assert.equal(await observer.send(["CLIENT", "KILL", "TYPE", "normal"]), 1);
      const lost = await within("the killed BLPOP", dropped);
      assert.ok(lost instanceof RedisConnectionError, String(lost));
      assert.equal(closedWhileDown.connected, false);
      await within("close while down", closedWhileDown.close());
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(closedWhileDown.connected, false);
      assert.deepEqual(await clientNames(), [" name=test-observer"], "no reconnect after close");
    } finally {
      await observer.close();
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
      const db1 = await Redis.connect(`unix://${path}?db=1`, { name: "test-unix-db1" });
      const db0 = await Redis.connect(`unix://${path}`, { name: "test-unix-db0" });
      try {
        assert.ok(db1.connected && db0.connected);
        assert.equal(await db1.send(["SET", "k", "in db 1"]), "OK");
        assert.equal(await db1.send(["GET", "k"]), "in db 1");
        assert.equal(await db0.send(["EXISTS", "k"]), 0, "db 0 does not see the key");
        assert.equal(await db0.send(["DBSIZE"]), 0);
        assert.equal(await db1.send(["DBSIZE"]), 1);
        assert.match(await db1.send(["CLIENT", "INFO"]) as string, / db=1 /);
        assert.match(await db0.send(["CLIENT", "INFO"]) as string, / db=0 /);
        assert.equal(await db1.send(["CLIENT", "GETNAME"]), "test-unix-db1");
        assert.equal(await db1.send(["DEL", "k"]), 1);
      } finally {
        await db1.close();
        await db0.close();
      }
    } finally {
      await process?.stop("SIGKILL", 5_000);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "scan yields every key matching a pattern, page by page, and nothing else",
  fn: () =>
    withRedis(async (redis, { prefix }) => {
      const names = Array.from({ length: 2_500 }, (_, i) => `${prefix}scan:${i}`);
      await redis.send(["MSET", ...names.flatMap((name) => [name, "v"])]);
      await redis.send(["SET", `${prefix}other`, "v"]);
      const pages: string[][] = [];
      for await (const page of redis.scan(`${prefix}scan:*`)) pages.push(page);
      assert.ok(pages.every((page) => page.length > 0), "no empty page");
      assert.deepEqual([...new Set(pages.flat())].sort(), [...names].sort());
    }),
});

Deno.test({
  name: "Script runs by EVALSHA, and after SCRIPT FLUSH falls back to EVAL once (NOSCRIPT)",
  ignore: NO_REDIS,
  fn: async () => {
    const server = new PrivateRedis();
    await server.start();
    const redis = await Redis.connect(server.url, { name: "test-script" });
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

      assert.deepEqual(await redis.send(["SCRIPT", "EXISTS", sha]), [0]);
      assert.equal(await script.run(redis, ["n"], [2]), 2, "first run: NOSCRIPT, then EVAL");
      assert.deepEqual(await stats(), {
        evalsha: { calls: 1, failed: 1 },
        eval: { calls: 1, failed: 0 },
      });
      assert.deepEqual(await redis.send(["SCRIPT", "EXISTS", sha]), [1], "same SHA-1 as Redis");
      assert.equal(await script.run(redis, ["n"], [3]), 5);
      assert.deepEqual(await stats(), {
        evalsha: { calls: 2, failed: 1 },
        eval: { calls: 1, failed: 0 },
      }, "a cached script runs by EVALSHA alone");

      assert.equal(await redis.send(["SCRIPT", "FLUSH"]), "OK");
      assert.deepEqual(await redis.send(["SCRIPT", "EXISTS", sha]), [0]);
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
      assert.equal(await redis.send(["SET", "text", "abc"]), "OK");
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
      await redis.close();
      await server.stop();
    }
  },
});
