/**
 * Crash recovery on a real Redis (docs/GUARANTEES.md): heartbeat keys, the atomic move of a
 * dead instance's processing list back to the queue (src/store/recovery.ts), the recovery loop's
 * confirmation rule (src/background/recovery_loop.ts), and an instance recovering its own list at
 * start-up (src/app.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { startApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { RecoveryScanner } from "../../src/background/recovery_loop.ts";
import { freePort } from "../../tools/stack/processes.ts";
import { decodeEntry } from "../../src/store/entry_codec.ts";
import { Heartbeat } from "../../src/store/heartbeat.ts";
import type { Keys } from "../../src/store/keys.ts";
import { PaymentQueue } from "../../src/store/queue.ts";
import { Recovery } from "../../src/store/recovery.ts";
import { Redis } from "../../src/store/redis/client.ts";
import { TEST_REDIS_URL, withRedis } from "../support/redis.ts";

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** Fills `owner`'s processing list as the fetch stage would: oldest entry at the right end. */
async function holdInProcessing(redis: Redis, keys: Keys, owner: string, entries: string[]) {
  for (const entry of entries) await redis.send(["LPUSH", keys.processing(owner), entry]);
}

/** Starts instance `api1`; no processor listens, so nothing settles while a test looks. */
function startUnsettledApp(keys: Keys) {
  return startApp(loadConfig({
    INSTANCE_ID: "api1",
    HOSTNAME_BIND: "127.0.0.1",
    PORT: "0",
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: keys.prefix,
    PROCESSOR_DEFAULT_URL: `http://127.0.0.1:${freePort()}`,
    PROCESSOR_FALLBACK_URL: `http://127.0.0.1:${freePort()}`,
    SHUTDOWN_TIMEOUT_MS: "2000",
  }));
}

async function list(redis: Redis, key: string): Promise<string[]> {
  return await redis.send(["LRANGE", key, 0, -1]) as string[];
}

/** The queue in taking order (the queue is taken from the right). */
async function queueInTakingOrder(redis: Redis, keys: Keys): Promise<string[]> {
  return (await list(redis, keys.queue)).reverse();
}

Deno.test("an orphaned list goes back to the taking end of the queue, every entry marked recovered", () =>
  withRedis(async (redis, keys) => {
    const recovery = new Recovery(redis, keys);
    const queue = new PaymentQueue(redis, keys, "survivor");
    await queue.enqueue({ correlationId: id(9), amountCents: 2005 }); // already waiting
    await holdInProcessing(redis, keys, "dead", [
      `${id(1)}:2005`,
      `${id(2)}:1990:d:1700000000000`,
      `${id(3)}:2005:f:1700000000001`,
      `${id(4)}:2005:?:1700000000002`,
    ]);
    assert.deepEqual(await recovery.owners(), ["dead"]);
    const moved = await recovery.recover("dead", {
      onlyIfDead: true,
      nowMs: 1_800_000_000_000,
    });
    assert.equal(moved, 4);
    assert.deepEqual(await list(redis, keys.processing("dead")), []);
    assert.deepEqual(await queueInTakingOrder(redis, keys), [
      `${id(1)}:2005:?:1800000000000`,
      `${id(2)}:1990:?:1800000000000`,
      `${id(3)}:2005:?:1800000000000`,
      `${id(4)}:2005:?:1800000000000`,
      `${id(9)}:2005`,
    ]);
    const taken = await queue.take(10);
    assert.deepEqual(taken[0].attempt, { kind: "unknown", since: 1_800_000_000_000 });
    assert.equal(taken[1].amountCents, 1990);
    assert.deepEqual(taken.map((p) => p.correlationId), [1, 2, 3, 4, 9].map(id));
    assert.deepEqual(await recovery.owners(), ["survivor"]);
  }));

Deno.test("a live instance's list is untouched; its own start-up recovery ignores the heartbeat", () =>
  withRedis(async (redis, keys) => {
    const recovery = new Recovery(redis, keys);
    const entries = [`${id(1)}:2005`, `${id(2)}:2005:d:1700000000000`];
    await holdInProcessing(redis, keys, "live", entries);
    const heartbeat = new Heartbeat(redis, keys, "live", 60_000);
    assert.equal(await heartbeat.beat(), false, "first beat: no key before");
    assert.equal(await heartbeat.beat(), true, "refresh in time");
    assert.equal(await recovery.isAlive("live"), true);
    assert.equal(await recovery.recover("live", { onlyIfDead: true }), "alive");
    const scanner = new RecoveryScanner({
      recovery,
      instanceId: "other",
      intervalMs: 1_000,
      graceMs: 0,
      signal: new AbortController().signal,
    });
    for (let i = 0; i < 3; i++) assert.deepEqual(await scanner.round(), new Map());
    assert.deepEqual(await list(redis, keys.processing("live")), [...entries].reverse());
    assert.equal(await redis.send(["LLEN", keys.queue]), 0);
    // The same instance restarting after a crash takes its own list back at once.
    assert.equal(await recovery.recover("live", { onlyIfDead: false }), 2);
    assert.equal(await redis.send(["LLEN", keys.queue]), 2);
  }));

Deno.test("heartbeat: a lapse is reported and clear deletes only this process's key", () =>
  withRedis(async (redis, keys) => {
    const recovery = new Recovery(redis, keys);
    const first = new Heartbeat(redis, keys, "i1", 60_000);
    assert.equal(await first.beat(), false);
    await redis.send(["DEL", first.key]); // expired while Redis was away
    assert.equal(await first.beat(), false, "a refresh after a lapse says so");
    assert.equal(await first.beat(), true);
    const successor = new Heartbeat(redis, keys, "i1", 60_000); // a restart with the same id
    await successor.beat();
    assert.equal(await first.clear(), false, "the old process never deletes its successor's key");
    assert.equal(await recovery.isAlive("i1"), true);
    assert.equal(await successor.clear(), true);
    assert.equal(await recovery.isAlive("i1"), false);
    assert.throws(() => new Heartbeat(redis, keys, "i1", 0), RangeError);
  }));

Deno.test("the scanner recovers a dead owner only on a second sighting, graceMs after the first", () =>
  withRedis(async (redis, keys) => {
    const recovery = new Recovery(redis, keys);
    let clock = 1_000_000;
    const scanner = new RecoveryScanner({
      recovery,
      instanceId: "me",
      intervalMs: 1_000,
      graceMs: 2_000,
      signal: new AbortController().signal,
      now: () => clock,
    });
    await holdInProcessing(redis, keys, "me", [`${id(7)}:2005`]);
    await holdInProcessing(redis, keys, "b", [`${id(1)}:2005`, `${id(2)}:2005`]);
    assert.deepEqual(await scanner.round(), new Map(), "first sighting");
    clock += 1_999;
    assert.deepEqual(await scanner.round(), new Map(), "within the grace");
    // The owner was only late (e.g. Redis was away): it beats again, which clears the suspicion.
    const heartbeat = new Heartbeat(redis, keys, "b", 60_000);
    await heartbeat.beat();
    clock += 10_000;
    assert.deepEqual(await scanner.round(), new Map(), "alive again");
    await heartbeat.clear();
    assert.deepEqual(await scanner.round(), new Map(), "a new first sighting");
    clock += 2_000;
    assert.deepEqual(await scanner.round(), new Map([["b", 2]]));
    assert.deepEqual(await queueInTakingOrder(redis, keys), [
      `${id(1)}:2005:?:${clock}`,
      `${id(2)}:2005:?:${clock}`,
    ]);
    assert.deepEqual(await list(redis, keys.processing("me")), [`${id(7)}:2005`], "never its own");
  }));

Deno.test("two instances recovering the same orphan at once move each entry exactly once", () =>
  withRedis(async (redis, keys) => {
    const recovery = new Recovery(redis, keys);
    const other = await Redis.connect(TEST_REDIS_URL, { name: "test-other" });
    try {
      const total = 2_000;
      const entries = Array.from({ length: total }, (_, i) => `${id(i + 1)}:2005`);
      for (let i = 0; i < total; i += 500) {
        await redis.send(["LPUSH", keys.processing("dead"), ...entries.slice(i, i + 500)]);
      }
      const scanners = [redis, other].map((connection, i) =>
        new RecoveryScanner({
          recovery: new Recovery(connection, keys),
          instanceId: `survivor${i}`,
          intervalMs: 1_000,
          graceMs: 0,
          signal: new AbortController().signal,
        })
      );
      // Both see the orphan first, then both confirm at once; plus direct concurrent moves.
      await Promise.all(scanners.map((scanner) => scanner.round()));
      const [a, b, c, d] = await Promise.all([
        scanners[0].round(),
        scanners[1].round(),
        new Recovery(other, keys).recover("dead", { onlyIfDead: true }),
        recovery.recover("dead", { onlyIfDead: true }),
      ]);
      const moved = (a.get("dead") ?? 0) + (b.get("dead") ?? 0) + (c as number) + (d as number);
      assert.equal(moved, total);
      const queued = await list(redis, keys.queue);
      assert.equal(queued.length, total);
      const ids = new Set(queued.map((entry) => decodeEntry(entry).correlationId));
      assert.equal(ids.size, total, "no entry duplicated");
      assert.deepEqual([...ids].sort(), entries.map((e) => e.split(":")[0]).sort(), "none lost");
      assert.equal(await redis.send(["EXISTS", keys.processing("dead")]), 0);
    } finally {
      await other.close();
    }
  }));

Deno.test("an instance restarted with the same id recovers its own list before taking anything", () =>
  withRedis(async (redis, keys) => {
    const recovery = new Recovery(redis, keys);
    // The crashed run left payments in its list and a heartbeat that has not expired yet.
    const entries = [`${id(1)}:2005`, `${id(2)}:2005:d:1700000000000`, `${id(3)}:2005`];
    await holdInProcessing(redis, keys, "api1", entries);
    await redis.send(["SET", keys.heartbeat("api1"), "api1/crashed-run", "PX", 60_000]);
    const startedAt = Date.now();
    const app = await startUnsettledApp(keys);
    try {
      const heartbeat = await redis.send(["GET", keys.heartbeat("api1")]) as string;
      assert.match(heartbeat, /^api1\//);
      assert.notEqual(heartbeat, "api1/crashed-run", "the new run beats with its own token");
    } finally {
      await app.stop();
    }
    // Stopped: everything it held was handed back, still marked recovered at start-up.
    const held = [
      ...await list(redis, keys.queue),
      ...await list(redis, keys.processing("api1")),
    ].map(decodeEntry);
    assert.deepEqual(held.map((p) => p.correlationId).sort(), [1, 2, 3].map(id));
    for (const payment of held) {
      assert.equal(payment.attempt.kind, "unknown", payment.raw);
      const since = (payment.attempt as { since: number }).since;
      assert.ok(since >= startedAt && since <= Date.now(), payment.raw);
    }
    assert.equal(await recovery.isAlive("api1"), false, "graceful stop removes the heartbeat");
  }));

Deno.test("a live instance releases what a lost TAKE reply left in its processing list", () =>
  withRedis(async (redis, keys) => {
    const app = await startUnsettledApp(keys);
    try {
      // As if Redis ran a TAKE for this instance and the reply never arrived.
      const orphan = `${id(7)}:2005`;
      await holdInProcessing(redis, keys, "api1", [orphan]);
      // The fault that loses such a reply: the instance's connections drop.
      const clients = String(await redis.send(["CLIENT", "LIST", "TYPE", "normal"]));
      const ids = [...clients.matchAll(/\bid=(\d+)\b.*\bname=api1-\S*/g)].map((m) => m[1]);
      assert.ok(ids.length >= 2, `the instance's connections: ${ids}`);
      for (const clientId of ids) await redis.send(["CLIENT", "KILL", "ID", clientId]);
      // Released back to the queue, marked recovered, and taken again: held, no longer orphaned.
      const deadline = Date.now() + 10_000;
      let entries: string[] = [];
      while (Date.now() < deadline) {
        entries = [
          ...await list(redis, keys.queue),
          ...await list(redis, keys.processing("api1")),
        ];
        if (entries.length === 1 && entries[0] !== orphan) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(entries.length, 1, `${entries}`);
      const payment = decodeEntry(entries[0]);
      assert.equal(payment.correlationId, id(7));
      assert.equal(payment.attempt.kind, "unknown", entries[0]);
    } finally {
      await app.stop();
    }
  }));
