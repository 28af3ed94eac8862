/**
 * The heartbeat loop (src/background/heartbeat_loop.ts) with a fake heartbeat whose refreshes
 * follow a script: a lapse is reported, a failed refresh is retried, and the loop ends on abort.
 */
import assert from "node:assert/strict";
import { runHeartbeatLoop } from "../../src/background/heartbeat_loop.ts";

Deno.test("the heartbeat loop reports each lapse and goes on after a failed refresh", async () => {
  const stop = new AbortController();
  // in time, lapsed, Redis error, in time, lapsed — then the test stops the loop
  const script: (boolean | Error)[] = [true, false, new Error("redis down"), true, false];
  let beats = 0;
  const lapses: number[] = [];
  await runHeartbeatLoop({
    heartbeat: {
      key: "test:heartbeat:api1",
      beat: () => {
        const step = script[beats++];
        if (beats === script.length) stop.abort();
        return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
      },
    },
    intervalMs: 1,
    signal: stop.signal,
    onLapse: () => lapses.push(beats),
  });
  assert.equal(beats, script.length);
  assert.deepEqual(lapses, [2, 5]);
});

Deno.test("the heartbeat loop waits one interval before its first refresh", async () => {
  const stop = new AbortController();
  let beats = 0;
  const running = runHeartbeatLoop({
    heartbeat: { key: "k", beat: () => Promise.resolve(void beats++ === undefined) },
    intervalMs: 3_600_000,
    signal: stop.signal,
  });
  stop.abort();
  await running;
  assert.equal(beats, 0, "the caller made the first beat");
});
