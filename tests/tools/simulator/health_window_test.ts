import assert from "node:assert/strict";
import { ManualClock } from "./manual_clock.ts";
import { HealthWindow } from "../../../tools/simulator/health_window.ts";
import { createProcessorHandler } from "../../../tools/simulator/processor.ts";
import { ProcessorState } from "../../../tools/simulator/processor_state.ts";

/** Lets every pending promise reaction run. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Records when a queued call settles. */
function track(call: Promise<boolean>) {
  const tracked = { settled: false, granted: undefined as boolean | undefined };
  call.then((granted) => {
    tracked.settled = true;
    tracked.granted = granted;
  });
  return tracked;
}

Deno.test("one call per window, a queue of 2 served oldest first, then rejection", async () => {
  const clock = new ManualClock(1_000_000); // heartbeats every 100 ms from here
  const window = new HealthWindow({ windowMs: 5000, clock });
  assert.equal(await window.acquire(), true, "the first call opens a window and is granted");
  const order: string[] = [];
  const second = window.acquire().then((granted) => (order.push("second"), granted));
  const third = window.acquire().then((granted) => (order.push("third"), granted));
  assert.equal(await window.acquire(), false, "a third waiter is rejected");
  clock.advance(4999);
  await flush();
  assert.deepEqual(order, [], "queued calls wait for the next window");
  clock.advance(1);
  await flush();
  assert.deepEqual(order, ["second"], "one queued call per renewal, oldest first");
  const fourth = track(window.acquire());
  assert.equal(await window.acquire(), false, "queue full again (third + fourth)");
  clock.advance(5000);
  await flush();
  assert.deepEqual(order, ["second", "third"]);
  assert.equal(fourth.settled, false);
  clock.advance(5000);
  await flush();
  assert.deepEqual([await second, await third, fourth.granted], [true, true, true]);
  assert.equal(clock.pendingTimers, 0, "no timer runs once the queue is empty");
});

Deno.test("the first window starts at the first call; renewals fall on 100 ms heartbeats", async () => {
  const clock = new ManualClock(0);
  const window = new HealthWindow({ windowMs: 5000, clock });
  clock.advance(1050);
  assert.equal(window.tryAcquire(), true);
  clock.advance(5000); // 5 s after the first call, but the next heartbeat is at 6100
  assert.equal(window.tryAcquire(), false);
  const queued = track(window.acquire());
  clock.advance(49);
  await flush();
  assert.equal(queued.settled, false);
  clock.advance(1);
  await flush();
  assert.equal(queued.granted, true, "granted at the heartbeat of 6100");
});

Deno.test("windows renew on schedule even when unused: two grants can be < 5 s apart", () => {
  const clock = new ManualClock(0);
  const window = new HealthWindow({ windowMs: 5000, clock });
  assert.equal(window.tryAcquire(), true); // window anchored at 0
  clock.advance(7000);
  assert.equal(window.tryAcquire(), true, "in the window renewed at 5000");
  clock.advance(3000);
  assert.equal(window.tryAcquire(), true, "renewed at 10000, only 3 s after the last grant");
  assert.equal(window.tryAcquire(), false);
});

Deno.test("a limiter idle > 10 s is dropped; the next call anchors a new window", async (t) => {
  // Granted at 0; renewed at 5000 (permit back, idle since 5000), 10000 and 15000;
  // dropped at the first heartbeat more than 10 s after 5000, i.e. 15100.
  await t.step("a call just before the drop keeps the old anchor", async () => {
    const clock = new ManualClock(0);
    const window = new HealthWindow({ windowMs: 5000, clock });
    window.tryAcquire();
    clock.advance(15050);
    assert.equal(window.tryAcquire(), true);
    clock.advance(4949); // 19999
    const queued = track(window.acquire());
    clock.advance(1);
    await flush();
    assert.equal(queued.granted, true, "renewed at 20000 = 15000 + 5000");
  });
  await t.step("a call after the drop starts a fresh window", async () => {
    const clock = new ManualClock(0);
    const window = new HealthWindow({ windowMs: 5000, clock });
    window.tryAcquire();
    clock.advance(15150);
    assert.equal(window.tryAcquire(), true, "new window anchored at 15150");
    clock.advance(4950); // 20100
    const queued = track(window.acquire());
    clock.advance(99);
    await flush();
    assert.equal(queued.settled, false, "not renewed at 20000 nor 20100");
    clock.advance(1);
    await flush();
    assert.equal(queued.granted, true, "renewed at 20200, first heartbeat ≥ 15150 + 5000");
  });
});

Deno.test("a queued call whose signal aborts frees its slot", async () => {
  const clock = new ManualClock(0);
  const window = new HealthWindow({ windowMs: 5000, clock });
  window.tryAcquire();
  const leaving = new AbortController();
  const gone = window.acquire(leaving.signal);
  const staying = track(window.acquire());
  assert.equal(await window.acquire(), false);
  leaving.abort(new Error("client left"));
  await assert.rejects(gone, /client left/);
  const late = track(window.acquire());
  clock.advance(5000);
  await flush();
  assert.deepEqual([staying.granted, late.settled], [true, false]);
  const alone = new AbortController();
  const last = window.acquire(alone.signal);
  alone.abort();
  await assert.rejects(last);
  clock.advance(5000);
  await flush();
  assert.equal(late.granted, true);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("GET /payments/service-health through the handler: 200 body, 429 + Retry-After", async () => {
  const clock = new ManualClock(0);
  const state = new ProcessorState({ delayMs: 5 });
  const handle = createProcessorHandler(state, { clock, rateLimitSeconds: 2 });
  const health = () => handle(new Request("http://processor.test/payments/service-health"));
  const first = await health();
  assert.equal(first.status, 200);
  assert.equal(await first.text(), `{"failing":false,"minResponseTime":5}`);
  const queued = [health(), health()];
  const rejected = await health();
  assert.equal(rejected.status, 429);
  assert.equal(rejected.headers.get("retry-after"), "2");
  await rejected.body?.cancel();
  state.failing = true;
  clock.advance(2000);
  const second = await queued[0];
  assert.equal(await second.text(), `{"failing":true,"minResponseTime":5}`, "read when served");
  clock.advance(2000);
  assert.equal((await queued[1]).status, 200);
});

Deno.test("aborting the handler's signal (shutdown) answers queued health calls 503", async () => {
  const clock = new ManualClock(0);
  const stopping = new AbortController();
  const handle = createProcessorHandler(new ProcessorState(), { clock, signal: stopping.signal });
  const health = () => handle(new Request("http://processor.test/payments/service-health"));
  assert.equal((await health()).status, 200);
  const queued = [health(), health()];
  stopping.abort();
  assert.deepEqual((await Promise.all(queued)).map((response) => response.status), [503, 503]);
  assert.equal(clock.pendingTimers, 0);
});
