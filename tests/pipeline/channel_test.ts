import assert from "node:assert/strict";
import { Channel, ChannelClosedError } from "../../src/pipeline/channel.ts";

// Deterministic scheduling helpers: no timers; settle pending promise chains by yielding to the
// microtask queue a fixed number of times (more than any chain inside Channel needs).

/** Lets every currently runnable promise continuation run. */
async function flush(ticks = 20): Promise<void> {
  for (let i = 0; i < ticks; i++) await Promise.resolve();
}

type Tracked<T> =
  | { state: "pending" }
  | { state: "fulfilled"; value: T }
  | { state: "rejected"; reason: unknown };

/** Observes a promise's state without awaiting it (and marks its rejection as handled). */
function track<T>(promise: Promise<T>): { readonly current: Tracked<T> } {
  const box: { current: Tracked<T> } = { current: { state: "pending" } };
  promise.then(
    (value) => box.current = { state: "fulfilled", value },
    (reason) => box.current = { state: "rejected", reason },
  );
  return box;
}

/** An AbortController whose signal records the abort listeners currently registered on it. */
function spiedController(): { controller: AbortController; live: Set<unknown>; added(): number } {
  const controller = new AbortController();
  const { signal } = controller;
  const live = new Set<unknown>();
  let added = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ) => {
    if (type === "abort") {
      live.add(listener);
      added++;
    }
    add(type, listener, options);
  };
  signal.removeEventListener = (
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ) => {
    if (type === "abort") live.delete(listener);
    remove(type, listener, options);
  };
  return { controller, live, added: () => added };
}

/** Receives `n` values, asserting none is `done`. */
async function receiveN<T>(ch: Channel<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const result = await ch.receive();
    assert.equal(result.done, false);
    out.push(result.value as T);
  }
  return out;
}

Deno.test("constructor rejects a capacity that is not an integer >= 1", () => {
  for (const bad of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => new Channel(bad), RangeError, `capacity ${bad}`);
  }
  const ch = new Channel<number>(3);
  assert.equal(ch.capacity, 3);
  assert.equal(ch.size, 0);
  assert.equal(ch.closed, false);
});

Deno.test("ChannelClosedError is an Error with its own name", () => {
  const error = new ChannelClosedError();
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ChannelClosedError");
  assert.equal(error.message, "Channel is closed");
});

Deno.test("values come out in FIFO order, also across ring wrap-around", async () => {
  const ch = new Channel<number>(3);
  const out: number[] = [];
  let next = 0;
  for (let round = 0; round < 10; round++) {
    // Fill to a varying depth, then drain part of it, so head and tail wrap many times.
    while (ch.size < 1 + (round % 3)) assert.equal(ch.trySend(next++), true);
    out.push(...await receiveN(ch, 1 + (round % 2)));
  }
  out.push(...await receiveN(ch, ch.size));
  assert.deepEqual(out, Array.from({ length: next }, (_, i) => i));
});

Deno.test("send waits while full and resumes when a receive frees a slot", async () => {
  const ch = new Channel<string>(2);
  await ch.send("a");
  await ch.send("b");
  assert.equal(ch.trySend("x"), false);
  assert.equal(ch.size, 2);

  const third = track(ch.send("c"));
  await flush();
  assert.equal(third.current.state, "pending");
  assert.equal(ch.size, 2);

  assert.deepEqual(await ch.receive(), { done: false, value: "a" });
  await flush();
  assert.equal(third.current.state, "fulfilled");
  assert.equal(ch.size, 2); // the waiting sender's value refilled the freed slot
  assert.deepEqual(await receiveN(ch, 2), ["b", "c"]);
});

Deno.test("waiting senders are served oldest first; buffer stays within capacity", async () => {
  const ch = new Channel<number>(1);
  ch.trySend(0);
  const resolvedOrder: number[] = [];
  const senders = [1, 2, 3].map((n) => ch.send(n).then(() => resolvedOrder.push(n)));
  await flush();
  assert.deepEqual(resolvedOrder, []);

  const received: number[] = [];
  for (let i = 0; i < 4; i++) {
    received.push(...await receiveN(ch, 1));
    assert.ok(ch.size <= ch.capacity);
    await flush();
    assert.deepEqual(resolvedOrder, [1, 2, 3].slice(0, i + 1));
  }
  await Promise.all(senders);
  assert.deepEqual(received, [0, 1, 2, 3]);
});

Deno.test("a value is handed directly to a waiting receiver, oldest receiver first", async () => {
  const ch = new Channel<string>(1);
  const receivers = [track(ch.receive()), track(ch.receive()), track(ch.receive())];
  await flush();
  assert.ok(receivers.every((r) => r.current.state === "pending"));

  assert.equal(ch.trySend("x"), true);
  assert.equal(ch.size, 0); // not buffered: handed over
  await ch.send("y"); // send hands over too, instead of filling the free slot
  assert.equal(ch.size, 0);
  await flush();
  assert.deepEqual(receivers.map((r) => r.current), [
    { state: "fulfilled", value: { done: false, value: "x" } },
    { state: "fulfilled", value: { done: false, value: "y" } },
    { state: "pending" },
  ]);
  ch.trySend("z");
  await flush();
  assert.deepEqual(receivers[2].current, {
    state: "fulfilled",
    value: { done: false, value: "z" },
  });
});

Deno.test("close rejects waiting senders, keeps buffered values, then reports done", async () => {
  const ch = new Channel<number>(2);
  ch.trySend(1);
  ch.trySend(2);
  const waiting = [track(ch.send(3)), track(ch.send(4))];
  await flush();

  ch.close();
  ch.close(); // idempotent
  assert.equal(ch.closed, true);
  await flush();
  for (const sender of waiting) {
    assert.equal(sender.current.state, "rejected");
    assert.ok(
      sender.current.state === "rejected" &&
        sender.current.reason instanceof ChannelClosedError,
    );
  }
  assert.throws(() => ch.trySend(5), ChannelClosedError);
  await assert.rejects(ch.send(6), ChannelClosedError);

  assert.equal(ch.size, 2);
  assert.deepEqual(await receiveN(ch, 2), [1, 2]); // dropped senders' values never appear
  assert.deepEqual(await ch.receive(), { done: true, value: undefined });
  assert.deepEqual(await ch.receive(), { done: true, value: undefined });
});

Deno.test("close resolves waiting receivers with done", async () => {
  const ch = new Channel<number>(1);
  const receivers = [ch.receive(), ch.receive()];
  const batch = ch.receiveBatch(5);
  ch.close();
  assert.deepEqual(await Promise.all(receivers), [
    { done: true, value: undefined },
    { done: true, value: undefined },
  ]);
  assert.deepEqual(await batch, []);
});

Deno.test("aborting a waiting send rejects with the reason; value not enqueued", async () => {
  const ch = new Channel<string>(1);
  ch.trySend("a");
  const controller = new AbortController();
  const first = track(ch.send("b"));
  const cancelled = track(ch.send("cancelled", controller.signal));
  const last = track(ch.send("c"));
  await flush();

  const reason = new Error("stop");
  controller.abort(reason);
  await flush();
  assert.deepEqual(cancelled.current, { state: "rejected", reason });
  assert.equal(first.current.state, "pending");
  assert.equal(last.current.state, "pending");

  assert.deepEqual(await receiveN(ch, 3), ["a", "b", "c"]); // removed from the middle, order kept
  await flush();
  assert.equal(first.current.state, "fulfilled");
  assert.equal(last.current.state, "fulfilled");
  assert.equal(ch.size, 0);
});

Deno.test("aborting a waiting receive rejects with the reason and consumes nothing", async () => {
  const ch = new Channel<string>(1);
  const controller = new AbortController();
  const cancelled = track(ch.receive(controller.signal));
  const batchController = new AbortController();
  const cancelledBatch = track(ch.receiveBatch(4, batchController.signal));
  const next = track(ch.receive());
  await flush();

  controller.abort();
  batchController.abort("batch reason");
  await flush();
  assert.equal(cancelled.current.state, "rejected");
  assert.ok(
    cancelled.current.state === "rejected" &&
      cancelled.current.reason instanceof DOMException &&
      cancelled.current.reason.name === "AbortError",
  );
  assert.deepEqual(cancelledBatch.current, { state: "rejected", reason: "batch reason" });

  ch.trySend("x"); // goes to the next live receiver, not to the cancelled ones
  await flush();
  assert.deepEqual(next.current, { state: "fulfilled", value: { done: false, value: "x" } });
  ch.trySend("y"); // no receivers left: buffered
  assert.equal(ch.size, 1);
});

Deno.test("an already-aborted signal rejects at once without side effects", async () => {
  const { controller, added } = spiedController();
  const reason = new Error("already");
  controller.abort(reason);
  const { signal } = controller;

  const ch = new Channel<number>(2);
  await assert.rejects(ch.send(1, signal), (e) => e === reason);
  assert.equal(ch.size, 0); // there was room, yet nothing was enqueued

  ch.trySend(7);
  await assert.rejects(ch.receive(signal), (e) => e === reason);
  await assert.rejects(ch.receiveBatch(3, signal), (e) => e === reason);
  assert.equal(ch.size, 1); // nothing consumed

  const waiting = ch.receive(); // a waiting receiver is not served by an aborted send either
  assert.deepEqual(await waiting, { done: false, value: 7 });
  const stillWaiting = track(ch.receive());
  await assert.rejects(ch.send(8, signal), (e) => e === reason);
  await flush();
  assert.equal(stillWaiting.current.state, "pending");

  ch.close(); // the abort reason wins over the closed state
  await assert.rejects(ch.send(9, signal), (e) => e === reason);
  assert.equal(added(), 0);
});

Deno.test("aborting after an operation completed changes nothing", async () => {
  const ch = new Channel<number>(1);
  const sendController = new AbortController();
  ch.trySend(1);
  const send = ch.send(2, sendController.signal);
  assert.deepEqual(await ch.receive(), { done: false, value: 1 });
  await send;
  sendController.abort();
  assert.equal(ch.size, 1); // the value stays buffered

  const receiveController = new AbortController();
  assert.deepEqual(await ch.receive(receiveController.signal), { done: false, value: 2 });
  receiveController.abort();
  assert.equal(ch.size, 0);
});

Deno.test("receiveBatch waits for one value, then takes up to max without waiting", async () => {
  const ch = new Channel<number>(2);
  await assert.rejects(ch.receiveBatch(0), RangeError);
  await assert.rejects(ch.receiveBatch(1.5), RangeError);

  const first = track(ch.receiveBatch(10));
  await flush();
  assert.equal(first.current.state, "pending");
  ch.trySend(1);
  await flush();
  assert.deepEqual(first.current, { state: "fulfilled", value: [1] });

  // Buffered values, then waiting senders' values, oldest first, capped at max.
  ch.trySend(2);
  ch.trySend(3);
  const senders = [ch.send(4), ch.send(5), ch.send(6)];
  assert.deepEqual(await ch.receiveBatch(4), [2, 3, 4, 5]);
  await Promise.all(senders.slice(0, 3)); // 6 moved into the freed buffer
  assert.equal(ch.size, 1);
  assert.deepEqual(await ch.receiveBatch(4), [6]);

  ch.trySend(7);
  ch.close();
  assert.deepEqual(await ch.receiveBatch(4), [7]);
  assert.deepEqual(await ch.receiveBatch(4), []);
});

Deno.test("for await ends once the channel is closed and drained", async () => {
  const ch = new Channel<number>(2);
  const seen: number[] = [];
  const consumer = (async () => {
    for await (const n of ch) seen.push(n);
  })();
  for (let n = 0; n < 5; n++) await ch.send(n);
  ch.close();
  await consumer;
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
});

Deno.test("breaking out of for await keeps the channel open and loses no value", async () => {
  const ch = new Channel<number>(4);
  for (const n of [1, 2, 3, 4]) ch.trySend(n);
  for await (const n of ch) {
    assert.equal(n, 1);
    break;
  }
  assert.equal(ch.closed, false);
  assert.equal(ch.size, 3);
  const rest: number[] = [];
  ch.close();
  for await (const n of ch) rest.push(n);
  assert.deepEqual(rest, [2, 3, 4]);
});

Deno.test("waits leave no abort listeners behind", async () => {
  const { controller, live, added } = spiedController();
  const { signal } = controller;
  const ch = new Channel<number>(1);
  for (let i = 0; i < 200; i++) {
    // Waiting receive served by a send, then a waiting send served by a receive.
    const received = ch.receive(signal);
    await ch.send(i, signal);
    assert.deepEqual(await received, { done: false, value: i });
    ch.trySend(i);
    const sent = ch.send(i + 1, signal);
    await ch.receiveBatch(1, signal);
    await sent;
    await ch.receive(signal);
  }
  const closedWhileWaiting = ch.receive(signal);
  ch.close();
  await closedWhileWaiting;
  assert.ok(added() >= 400, `only ${added()} listeners were added`);
  assert.equal(live.size, 0);
  assert.equal(signal.aborted, false);
});

// ---------------------------------------------------------------------------------------------
// Randomized model test: concurrent producers and consumers with random capacities, random mixes
// of send/trySend/receive/receiveBatch/for-await, random aborts and sometimes an early close.
// Properties: every accepted value is received exactly once, no rejected value is received, each
// consumer sees each producer's values in send order, the buffer never exceeds capacity.

/** Small seeded PRNG (mulberry32), so every run replays the same schedules. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

type Item = { producer: number; index: number };

async function runModel(seed: number): Promise<void> {
  const random = prng(seed);
  const ch = new Channel<Item>(1 + random(5));
  const producers = 1 + random(4);
  const consumers = 1 + random(4);
  const perProducer = 10 + random(40);
  const accepted = new Set<string>();
  const rejected = new Set<string>();
  const seen = new Map<string, number>();
  const key = ({ producer, index }: Item) => `${producer}:${index}`;

  const yieldSome = () => flush(random(4));
  const abortLater = (controller: AbortController) => {
    const ticks = random(6);
    void flush(ticks).then(() => controller.abort(new Error("random abort")));
  };

  /** Sends by trySend (falling back to send), by a send that may be aborted, or by a plain send. */
  const sendSomehow = async (item: Item) => {
    const mode = random(3);
    if (mode === 0) {
      if (!ch.trySend(item)) await ch.send(item);
    } else if (mode === 1) {
      const controller = new AbortController();
      abortLater(controller);
      await ch.send(item, controller.signal);
    } else {
      await ch.send(item);
    }
  };

  const produce = async (producer: number) => {
    for (let index = 0; index < perProducer; index++) {
      const item = { producer, index };
      await yieldSome();
      try {
        await sendSomehow(item);
        accepted.add(key(item));
      } catch (error) {
        rejected.add(key(item));
        if (error instanceof ChannelClosedError) return;
        assert.equal((error as Error).message, "random abort");
      }
      assert.ok(ch.size <= ch.capacity);
    }
  };

  const consume = async () => {
    const lastIndex = new Map<number, number>();
    const record = (item: Item) => {
      assert.ok(ch.size <= ch.capacity);
      seen.set(key(item), (seen.get(key(item)) ?? 0) + 1);
      assert.ok((lastIndex.get(item.producer) ?? -1) < item.index, "per-producer order");
      lastIndex.set(item.producer, item.index);
    };
    while (true) {
      await yieldSome();
      const mode = random(4);
      if (mode === 0) {
        const result = await ch.receive();
        if (result.done) return;
        record(result.value);
      } else if (mode === 1) {
        const controller = new AbortController();
        abortLater(controller);
        try {
          const batch = await ch.receiveBatch(1 + random(4), controller.signal);
          assert.ok(batch.length <= 4);
          if (batch.length === 0) return;
          batch.forEach(record);
        } catch (error) {
          assert.equal((error as Error).message, "random abort");
        }
      } else if (mode === 2) {
        let budget = 1 + random(3);
        let ended = true;
        for await (const item of ch) {
          record(item);
          if (--budget === 0) {
            ended = false;
            break;
          }
        }
        if (ended) return;
      } else {
        const controller = new AbortController();
        abortLater(controller);
        try {
          const result = await ch.receive(controller.signal);
          if (result.done) return;
          record(result.value);
        } catch (error) {
          assert.equal((error as Error).message, "random abort");
        }
      }
    }
  };

  const consumerTasks = Array.from({ length: consumers }, consume);
  const producerTasks = Array.from({ length: producers }, (_, p) => produce(p));
  if (random(4) === 0) {
    await flush(random(40));
    ch.close(); // early close: waiting and later sends reject
  }
  await Promise.all(producerTasks);
  ch.close();
  await Promise.all(consumerTasks);

  assert.equal(ch.size, 0);
  for (const k of accepted) assert.equal(seen.get(k), 1, `seed ${seed}: ${k} seen once`);
  for (const k of rejected) assert.equal(seen.has(k), false, `seed ${seed}: ${k} never seen`);
  assert.equal(seen.size, accepted.size);
}

Deno.test("model: random producers/consumers get every value exactly once, in order", async () => {
  for (let seed = 1; seed <= 300; seed++) await runModel(seed);
});
