/**
 * Workloads for the Redis client benchmark (see `redis_clients.ts` and `docs/REDIS_CLIENT.md`).
 *
 * Each workload runs against one client in the current process. All three clients are wrapped in
 * the same small {@link BenchClient} interface, configured the way the product would use them:
 * one shared command connection (auto-pipelined), no offline queue, no auto-resend of commands
 * that were in flight when a connection dropped, and a duplicate connection for blocking commands.
 * `store` is the product's own client (`src/store/redis.ts`), which behaves that way by design.
 *
 * Each client's package is imported dynamically, when the client is opened, so that a process
 * loads only the client it measures and its RSS after connecting is that client's idle cost.
 *
 * Every key lives under {@link KEY_PREFIX} plus the client name and process id, and is deleted
 * when the workload ends. The {@link behaviour} experiments run against a throwaway redis-server
 * on port 6390 that they start and kill themselves.
 *
 * @module
 */
import process from "node:process";
import type { Redis as Ioredis } from "ioredis";

/** Every key this benchmark touches starts with this prefix. */
export const KEY_PREFIX = "bench:redisclients:";

/** The clients measured. */
export const CLIENTS = ["ioredis", "redis", "store"] as const;
/**
 * `ioredis` = npm:ioredis@6.0.0, `redis` = npm:redis@6.3.1 (node-redis), `store` = the product's
 * `src/store/redis.ts` (Deno.connect + npm:redis-parser).
 */
export type ClientName = typeof CLIENTS[number];

/**
 * The clients {@link behaviour} covers. It compares option sets and connection events, which
 * `store` does not have; the store's connection-loss behaviour is tested in
 * `tests/store/redis_test.ts`.
 */
export const BEHAVIOUR_CLIENTS = ["ioredis", "redis"] as const;
/** A client {@link behaviour} covers. */
export type BehaviourClientName = typeof BEHAVIOUR_CLIENTS[number];

/** Intake-style script: dedupe on a set, then enqueue. Returns the list length or 0 (duplicate). */
export const INTAKE_LUA = "if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then " +
  "return redis.call('LPUSH', KEYS[2], ARGV[2]) end return 0";

/** The commands the workloads need, implemented once per client with its idiomatic API. */
export interface BenchClient {
  lpush(key: string, value: string): Promise<unknown>;
  /**
   * EVALSHA of `sha` (the workloads only pass {@link INTAKE_LUA}'s) through the client's typed
   * API. `store` has none: it runs its `Script` of {@link INTAKE_LUA}, which is the same SHA-1.
   */
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  lmove(src: string, dst: string): Promise<unknown>;
  blmove(src: string, dst: string, timeoutSeconds: number): Promise<unknown>;
  zadd(key: string, score: number, member: string): Promise<unknown>;
  zcount(key: string, min: number, max: number): Promise<unknown>;
  get(key: string): Promise<unknown>;
  setPx(key: string, value: string, ms: number): Promise<unknown>;
  /** Raw command (`call` in ioredis, `sendCommand` in node-redis, `send` in store). */
  raw(args: string[]): Promise<unknown>;
  /** A second connection with the same options, for blocking commands. */
  duplicate(): Promise<BenchClient>;
  close(): Promise<void>;
}

/**
 * ioredis options that make a lost connection fail commands instead of replaying them:
 * without `maxRetriesPerRequest: 0`, commands in flight at a disconnect wait for up to 20
 * reconnect attempts and, with `autoResendUnfulfilledCommands: false`, are then dropped
 * without ever settling if the reconnect succeeds first.
 */
export const IOREDIS_OPTIONS = {
  lazyConnect: true, // connect() resolves when ready and rejects on failure
  enableAutoPipelining: true, // commands issued in the same tick go out in one write
  enableOfflineQueue: false, // reject commands while disconnected instead of queueing them
  autoResendUnfulfilledCommands: false, // never replay in-flight commands after a reconnect
  maxRetriesPerRequest: 0, // reject in-flight commands as soon as the connection drops
  retryStrategy: (times: number) => Math.min(times * 50, 500), // keep reconnecting, ≤ 500 ms
};

/** node-redis options: in-flight commands are always rejected on a disconnect, never resent. */
export const NODE_REDIS_OPTIONS = {
  disableOfflineQueue: true, // reject commands while disconnected instead of queueing them
  maintNotifications: "disabled" as const, // Redis Enterprise only; skips a handshake command
  socket: { reconnectStrategy: (retries: number) => Math.min(retries * 50, 500) },
};

/**
 * Opens a ready connection: ioredis and node-redis with the options recommended in
 * docs/REDIS_CLIENT.md, `store` as the product opens it. Imports the client's package first.
 */
export async function openClient(
  name: ClientName,
  host = "127.0.0.1",
  port = 6379,
): Promise<BenchClient> {
  switch (name) {
    case "ioredis":
      return await openIoredis(host, port);
    case "redis":
      return await openNodeRedis(host, port);
    case "store":
      return await openStore(host, port);
  }
}

async function openIoredis(host: string, port: number): Promise<BenchClient> {
  const { Redis } = await import("ioredis");
  const r = new Redis({ host, port, ...IOREDIS_OPTIONS });
  r.on("error", () => {}); // else ioredis prints "[ioredis] Unhandled error event" per failure
  await r.connect();
  return wrapIoredis(r);
}

function wrapIoredis(r: Ioredis): BenchClient {
  return {
    lpush: (k, v) => r.lpush(k, v),
    evalsha: (sha, keys, args) => r.evalsha(sha, keys.length, ...keys, ...args),
    lmove: (s, d) => r.lmove(s, d, "RIGHT", "LEFT"),
    blmove: (s, d, t) => r.blmove(s, d, "RIGHT", "LEFT", t),
    zadd: (k, score, m) => r.zadd(k, score, m),
    zcount: (k, min, max) => r.zcount(k, min, max),
    get: (k) => r.get(k),
    setPx: (k, v, ms) => r.set(k, v, "PX", ms),
    raw: ([cmd, ...args]) => r.call(cmd, ...args),
    duplicate: async () => {
      const d = r.duplicate(); // lazyConnect is inherited
      d.on("error", () => {});
      await d.connect();
      return wrapIoredis(d);
    },
    close: async () => void await r.quit(),
  };
}

async function openNodeRedis(host: string, port: number): Promise<BenchClient> {
  const c = await createNodeRedis(host, port);
  await c.connect();
  return wrapNodeRedis(c);
}

async function createNodeRedis(host: string, port: number) {
  const { createClient } = await import("redis");
  const c = createClient({
    ...NODE_REDIS_OPTIONS,
    socket: { host, port, ...NODE_REDIS_OPTIONS.socket },
  });
  c.on("error", () => {}); // an 'error' event without a listener would throw
  return c;
}

type NodeRedis = Awaited<ReturnType<typeof createNodeRedis>>;

function wrapNodeRedis(c: NodeRedis): BenchClient {
  return {
    lpush: (k, v) => c.lPush(k, v),
    evalsha: (sha, keys, args) => c.evalSha(sha, { keys, arguments: args }),
    lmove: (s, d) => c.lMove(s, d, "RIGHT", "LEFT"),
    blmove: (s, d, t) => c.blMove(s, d, "RIGHT", "LEFT", t),
    zadd: (k, score, m) => c.zAdd(k, { score, value: m }),
    zcount: (k, min, max) => c.zCount(k, min, max),
    get: (k) => c.get(k),
    setPx: (k, v, ms) => c.set(k, v, { expiration: { type: "PX", value: ms } }),
    raw: (args) => c.sendCommand(args),
    duplicate: async () => {
      const d = c.duplicate();
      d.on("error", () => {});
      await d.connect();
      return wrapNodeRedis(d);
    },
    close: () => c.close(),
  };
}

/**
 * The product's client, opened as the product opens it (`connectRedis` with a connection name).
 * `evalsha` is `Script.run` (EVALSHA with the NOSCRIPT → EVAL fallback, as the product runs its
 * scripts) and `raw` is `send`, so "EVALSHA raw" is `send(["EVALSHA", sha, ...])`.
 */
async function openStore(host: string, port: number): Promise<BenchClient> {
  const store = await import("../store/redis.ts");
  const intake = new store.Script(INTAKE_LUA);
  const open = async (): Promise<BenchClient> => {
    const r = await store.connectRedis(`redis://${host}:${port}`, { name: "bench-redisclients" });
    const send = (command: (string | number)[]) => store.send(r, command);
    return {
      lpush: (k, v) => send(["LPUSH", k, v]),
      evalsha: (_sha, keys, args) => intake.run(r, keys, args),
      lmove: (s, d) => send(["LMOVE", s, d, "RIGHT", "LEFT"]),
      blmove: (s, d, t) => send(["BLMOVE", s, d, "RIGHT", "LEFT", t]),
      zadd: (k, score, m) => send(["ZADD", k, score, m]),
      zcount: (k, min, max) => send(["ZCOUNT", k, min, max]),
      get: (k) => send(["GET", k]),
      setPx: (k, v, ms) => send(["SET", k, v, "PX", ms]),
      raw: send,
      duplicate: open,
      close: () => store.closeRedis(r),
    };
  };
  return await open();
}

/** A ~60-byte payload shaped like a queued payment. */
function payload(id: string): string {
  return `{"id":"${id}","amount":19.9}`;
}

/** Speed of one command in a throughput run. */
export interface Rate {
  /** Wall-clock commands per second. */
  opsPerSec: number;
  /** CPU time (user + system) of this Deno process per command, in µs: less sensitive to
   * other load on the machine than ops/s. Redis's own CPU is not included. */
  cpuUsPerOp: number;
}

/** Result of one throughput run (one fresh process). */
export interface ThroughputResult {
  client: ClientName;
  lpush: Rate;
  evalsha: Rate;
  /** The same EVALSHA through the raw API (`call` / `sendCommand` / `send`). */
  evalshaRaw: Rate;
  /**
   * RSS right after importing the client and connecting, before the workload: the client's idle
   * cost on top of Deno and this harness (`node:process`).
   */
  rssIdleMiB: number;
  /** RSS at the end of the run (includes the 200,000 pre-built payloads). */
  rssMiB: number;
}

/**
 * Issues `total` commands in chunks of `inFlight` concurrent promises: LPUSH, then EVALSHA of
 * {@link INTAKE_LUA} through the typed API (`store`: `Script.run`), then through the raw API
 * (`store`: `send`); returns the rate of each. A 10,000-command warm-up is not timed. Also
 * records RSS after connecting and at the end.
 */
export async function throughput(
  name: ClientName,
  total = 200_000,
  inFlight = 1_000,
): Promise<ThroughputResult> {
  const c = await openClient(name);
  const rssIdleMiB = Deno.memoryUsage().rss / 2 ** 20;
  const base = `${KEY_PREFIX}${name}:${Deno.pid}:`;
  const [list, set] = [base + "list", base + "set"];
  const ids = Array.from({ length: total }, () => crypto.randomUUID());
  const payloads = ids.map(payload);
  const sha = String(await c.raw(["SCRIPT", "LOAD", INTAKE_LUA]));

  const timed = async (op: (i: number) => Promise<unknown>, n: number): Promise<Rate> => {
    const [t0, cpu0] = [performance.now(), process.cpuUsage()];
    for (let i = 0; i < n; i += inFlight) {
      const batch = [];
      for (let j = i; j < Math.min(i + inFlight, n); j++) batch.push(op(j));
      await Promise.all(batch);
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      opsPerSec: n / ((performance.now() - t0) / 1000),
      cpuUsPerOp: (cpu.user + cpu.system) / n,
    };
  };
  try {
    await timed((i) => c.lpush(list, payloads[i]), 10_000); // warm-up, not reported
    await c.raw(["DEL", list]);
    const lpush = await timed((i) => c.lpush(list, payloads[i]), total);
    await c.raw(["DEL", list]);
    await timed((i) => c.evalsha(sha, [set, list], ["w" + i, payloads[i]]), 10_000);
    await c.raw(["DEL", list, set]);
    const evalsha = await timed((i) => c.evalsha(sha, [set, list], [ids[i], payloads[i]]), total);
    await c.raw(["DEL", list, set]);
    const evalshaRaw = await timed(
      (i) => c.raw(["EVALSHA", sha, "2", set, list, ids[i], payloads[i]]),
      total,
    );
    const rssMiB = Deno.memoryUsage().rss / 2 ** 20;
    return { client: name, lpush, evalsha, evalshaRaw, rssIdleMiB, rssMiB };
  } finally {
    await c.raw(["DEL", list, set]);
    await c.close();
  }
}

/** One memory sample of a soak. */
export interface SoakSample {
  t: number;
  rssMiB: number;
  heapUsedMiB: number;
  ops: number;
  blmoves: number;
  errors: number;
}

/**
 * Runs a steady mixed load for `seconds`: every 20 ms, 60 commands cycling through LPUSH, LMOVE,
 * EVALSHA, ZADD, ZCOUNT, GET and SET PX (≈3,000 ops/s), while a duplicate connection loops on
 * BLMOVE with a 1 s timeout. Once a second the keys are trimmed so Redis memory stays flat.
 * Calls `onSample` at t=0 and every 10 s with RSS and heapUsed.
 */
export async function soak(
  name: ClientName,
  seconds: number,
  onSample: (s: SoakSample) => void,
): Promise<SoakSample[]> {
  const c = await openClient(name);
  const blocker = await c.duplicate();
  const base = `${KEY_PREFIX}${name}:${Deno.pid}:`;
  const [q, p, set, zset] = [base + "q", base + "p", base + "set", base + "z"];
  const sha = String(await c.raw(["SCRIPT", "LOAD", INTAKE_LUA]));
  const keys = [q, p, set, zset, ...Array.from({ length: 100 }, (_, i) => base + "k" + i)];
  const counts = { ops: 0, blmoves: 0, errors: 0 };
  const ok = () => counts.ops++;
  const fail = () => counts.errors++;
  let seq = 0;
  const mix: Array<() => Promise<unknown>> = [
    () => c.lpush(q, payload(String(seq))),
    () => c.lmove(q, p),
    () => c.evalsha(sha, [set, q], [String(seq), payload(String(seq))]),
    () => c.zadd(zset, Date.now(), String(seq)),
    () => c.zcount(zset, Date.now() - 1000, Date.now()),
    () => c.get(base + "k" + (seq % 100)),
    () => c.setPx(base + "k" + (seq % 100), payload(String(seq)), 5000),
  ];

  let running = true;
  const blockLoop = (async () => {
    while (running) {
      await blocker.blmove(p, q, 1).then(() => counts.blmoves++, fail);
    }
  })();

  const samples: SoakSample[] = [];
  const t0 = performance.now();
  const sample = () => {
    const m = Deno.memoryUsage();
    const s = {
      t: Math.round((performance.now() - t0) / 1000),
      rssMiB: +(m.rss / 2 ** 20).toFixed(1),
      heapUsedMiB: +(m.heapUsed / 2 ** 20).toFixed(1),
      ...counts,
    };
    samples.push(s);
    onSample(s);
  };
  sample();
  const tickMs = 20, perTick = 60, end = t0 + seconds * 1000;
  let nextSample = t0 + 10_000, nextTrim = t0 + 1000;
  for (let tick = 1; performance.now() < end; tick++) {
    const batch = [];
    for (let i = 0; i < perTick; i++, seq++) batch.push(mix[seq % mix.length]().then(ok, fail));
    await Promise.all(batch);
    const now = performance.now();
    if (now >= nextTrim) {
      nextTrim += 1000;
      await Promise.all([
        c.raw(["LTRIM", q, "0", "999"]),
        c.raw(["LTRIM", p, "0", "999"]),
        c.raw(["DEL", set]),
        c.raw(["ZREMRANGEBYRANK", zset, "0", "-1001"]),
      ]).catch(fail);
    }
    if (now >= nextSample) {
      nextSample += 10_000;
      sample();
    }
    const wait = t0 + tick * tickMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  sample();
  running = false;
  await blockLoop;
  await c.raw(["DEL", ...keys]);
  await blocker.close();
  await c.close();
  return samples;
}

// ---------------------------------------------------------------------------------------------
// Behaviour experiments against a throwaway redis-server on port 6390.

const THROWAWAY_PORT = 6390;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `redis-cli -p 6390 ...args` and returns its trimmed output. */
async function cli(...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-p", String(THROWAWAY_PORT), ...args],
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** Starts `redis-server --port 6390 --save "" --appendonly no` and waits for PING. */
async function startThrowaway(): Promise<Deno.ChildProcess> {
  const proc = new Deno.Command("redis-server", {
    args: ["--port", String(THROWAWAY_PORT), "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100 && await cli("PING") !== "PONG"; i++) await sleep(20);
  return proc;
}

async function killThrowaway(proc: Deno.ChildProcess) {
  proc.kill("SIGKILL");
  await proc.status;
}

/** Describes how a promise settled (or not) within `ms`, with the elapsed time. */
async function outcome(p: Promise<unknown>, ms: number): Promise<string> {
  const t0 = performance.now();
  const took = () => `${Math.round(performance.now() - t0)} ms`;
  return await Promise.race([
    p.then(
      (v) => `resolved ${JSON.stringify(v)} after ${took()}`,
      (e) => `rejected "${e?.constructor?.name}: ${e?.message}" after ${took()}`,
    ),
    sleep(ms).then(() => `still pending after ${ms} ms`),
  ]);
}

/** What the experiments need from a client, independent of its options. */
interface Probe {
  /** Raw command on the shared connection. */
  cmd(args: string[]): Promise<unknown>;
  /** Raw command on the dedicated blocking connection. */
  blocking(args: string[]): Promise<unknown>;
  /** The client's script feature (defineCommand / defineScript) running {@link INTAKE_LUA}. */
  intake(set: string, list: string, id: string, body: string): Promise<unknown>;
  /** Connection events seen so far, as `name@ms` since the probe was opened. */
  events: string[];
  close(): void;
}

/** Option sets tried per client: library defaults, a partial fix, and the recommended ones. */
const FLAVOURS = {
  ioredis: {
    defaults: {},
    "autoResend off only": { autoResendUnfulfilledCommands: false },
    recommended: IOREDIS_OPTIONS,
  },
  redis: { defaults: {}, recommended: NODE_REDIS_OPTIONS },
};

async function probeIoredis(options: object): Promise<Probe> {
  const { Redis } = await import("ioredis");
  const r = new Redis({
    host: "127.0.0.1",
    port: THROWAWAY_PORT,
    lazyConnect: true,
    scripts: { intake: { lua: INTAKE_LUA, numberOfKeys: 2 } },
    ...options,
  });
  const events: string[] = [];
  const t0 = performance.now();
  const watch = (c: Ioredis, tag: string) => {
    for (const e of ["connect", "ready", "close", "reconnecting", "end", "error"]) {
      c.on(e, () => events.push(`${tag}${e}@${Math.round(performance.now() - t0)}`));
    }
  };
  watch(r, "");
  await r.connect();
  const b = r.duplicate();
  watch(b, "blocking:");
  await b.connect();
  const withIntake = r as unknown as { intake(...args: string[]): Promise<unknown> };
  return {
    cmd: ([c, ...a]) => r.call(c, ...a),
    blocking: ([c, ...a]) => b.call(c, ...a),
    intake: (...args) => withIntake.intake(...args),
    events,
    close: () => (r.disconnect(), b.disconnect()),
  };
}

async function probeNodeRedis(options: { socket?: object }): Promise<Probe> {
  const { createClient, defineScript } = await import("redis");
  const intake = defineScript({
    SCRIPT: INTAKE_LUA,
    NUMBER_OF_KEYS: 2,
    parseCommand(parser, set: string, list: string, id: string, body: string) {
      parser.pushKeys([set, list]);
      parser.push(id, body);
    },
    transformReply: (reply: unknown) => reply,
  });
  const c = createClient({
    ...options,
    socket: { host: "127.0.0.1", port: THROWAWAY_PORT, ...options.socket },
    scripts: { intake },
  });
  const events: string[] = [];
  const t0 = performance.now();
  const watch = (x: typeof c, tag: string) => {
    for (const e of ["connect", "ready", "reconnecting", "end", "error"]) {
      x.on(e, () => events.push(`${tag}${e}@${Math.round(performance.now() - t0)}`));
    }
  };
  watch(c, "");
  await c.connect();
  const b = c.duplicate();
  watch(b, "blocking:");
  await b.connect();
  return {
    cmd: (args) => c.sendCommand(args),
    blocking: (args) => b.sendCommand(args),
    intake: (...args) => c.intake(...args),
    events,
    close: () => (c.destroy(), b.destroy()),
  };
}

/**
 * Prints what `name` does, with its default options and with the recommended ones, when:
 * Redis dies with a write and a BLMOVE in flight; a command is issued while Redis is down;
 * Redis comes back empty; a script is flushed (NOSCRIPT). Also how `connect()` behaves when
 * nothing listens.
 */
export async function behaviour(name: BehaviourClientName): Promise<void> {
  const log = (flavour: string, what: string, text: string) =>
    console.log(`${name} [${flavour}] ${what}: ${text}`);
  const key = `${KEY_PREFIX}behaviour:`;
  const open = name === "ioredis" ? probeIoredis : probeNodeRedis;
  for (const [flavour, options] of Object.entries(FLAVOURS[name])) {
    let server = await startThrowaway();
    const p = await open(options);

    // Script feature, then the same after SCRIPT FLUSH (server answers NOSCRIPT to EVALSHA).
    log(flavour, "script call", await outcome(p.intake(key + "s", key + "q", "a", "x"), 2000));
    await cli("SCRIPT", "FLUSH");
    log(
      flavour,
      "script after FLUSH",
      await outcome(p.intake(key + "s", key + "q", "b", "x"), 2000),
    );
    const sha = String(await p.cmd(["SCRIPT", "LOAD", INTAKE_LUA]));
    await cli("SCRIPT", "FLUSH");
    log(flavour, "raw EVALSHA after FLUSH", await outcome(p.cmd(["EVALSHA", sha, "0"]), 2000));

    // A write held by CLIENT PAUSE and a BLMOVE are in flight when Redis is killed.
    await cli("CLIENT", "PAUSE", "10000", "WRITE");
    const write = p.cmd(["LPUSH", key + "w", "once"]);
    const blmove = p.blocking(["BLMOVE", key + "src", key + "dst", "LEFT", "LEFT", "5"]);
    write.catch(() => {}), blmove.catch(() => {});
    await sleep(200);
    const killedAt = p.events.length;
    await killThrowaway(server);
    log(flavour, "in-flight LPUSH when killed", await outcome(write, 1000));
    log(flavour, "in-flight BLMOVE when killed", await outcome(blmove, 1000));
    log(flavour, "GET while down", await outcome(p.cmd(["GET", key + "w"]), 3000));

    // Redis comes back (empty). Does the client reconnect, and does it replay the write?
    server = await startThrowaway();
    const t0 = performance.now();
    let back = "no successful PING within 10 s";
    while (performance.now() - t0 < 10_000) {
      if (await p.cmd(["PING"]).catch(() => null) === "PONG") {
        back = `PING ok ${Math.round(performance.now() - t0)} ms after restart`;
        break;
      }
      await sleep(50);
    }
    log(flavour, "reconnect", back);
    await cli("LPUSH", key + "src", "after-restart");
    await sleep(1000);
    log(
      flavour,
      "LLEN of the killed LPUSH's key",
      `${await cli("LLEN", key + "w")} (1 = replayed)`,
    );
    log(flavour, "killed LPUSH after reconnect", await outcome(write, 2000));
    log(flavour, "killed BLMOVE after reconnect", await outcome(blmove, 100));
    log(flavour, "events after kill", p.events.slice(killedAt).join(" "));
    p.close();
    await killThrowaway(server);
  }

  // connect() with the recommended options and nothing listening on the port.
  const host = "127.0.0.1", port = THROWAWAY_PORT;
  if (name === "ioredis") {
    const { Redis } = await import("ioredis");
    const r = new Redis({ host, port, ...IOREDIS_OPTIONS }).on("error", () => {});
    log("recommended", "connect() with Redis down", await outcome(r.connect(), 3000));
    r.disconnect();
  } else {
    const { createClient } = await import("redis");
    const c = createClient({
      ...NODE_REDIS_OPTIONS,
      socket: { host, port, ...NODE_REDIS_OPTIONS.socket },
    }).on("error", () => {});
    log("recommended", "connect() with Redis down", await outcome(c.connect(), 3000));
    c.destroy();
  }
}
