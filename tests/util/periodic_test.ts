/**
 * The background loops' skeleton (src/util/periodic.ts): rounds run until the signal aborts, a
 * failed round is reported and the next one runs, and no round starts after the abort.
 * Rounds count events, never time: a test stops the loop from inside a round.
 */
import assert from "node:assert/strict";
import { runEvery } from "../../src/util/periodic.ts";

Deno.test("runEvery runs rounds until the signal aborts and stops at once after it", async () => {
  const stop = new AbortController();
  let rounds = 0;
  await runEvery({
    intervalMs: 1,
    signal: stop.signal,
    round: () => {
      if (++rounds === 3) stop.abort();
      return Promise.resolve();
    },
    onError: (error) => assert.fail(String(error)),
  });
  assert.equal(rounds, 3);
});

Deno.test("runEvery pauses before the first round unless told to run it at once", async () => {
  for (const firstRunImmediately of [false, true]) {
    const stop = new AbortController();
    let rounds = 0;
    const running = runEvery({
      intervalMs: 3_600_000,
      signal: stop.signal,
      firstRunImmediately,
      round: () => Promise.resolve(void rounds++),
      onError: (error) => assert.fail(String(error)),
    });
    stop.abort(); // ends the pause the loop is in
    await running;
    assert.equal(rounds, firstRunImmediately ? 1 : 0, `firstRunImmediately ${firstRunImmediately}`);
  }
});

Deno.test("runEvery reports a failed round and goes on with the next one", async () => {
  const stop = new AbortController();
  const errors: unknown[] = [];
  let rounds = 0;
  await runEvery({
    intervalMs: 1,
    signal: stop.signal,
    firstRunImmediately: true,
    round: () => {
      rounds++;
      if (rounds === 2) stop.abort();
      return Promise.reject(new Error(`round ${rounds}`));
    },
    onError: (error) => errors.push((error as Error).message),
  });
  assert.deepEqual(errors, ["round 1", "round 2"]);
});

Deno.test("runEvery hands its signal to each round", async () => {
  const stop = new AbortController();
  const seen: AbortSignal[] = [];
  await runEvery({
    intervalMs: 1,
    signal: stop.signal,
    firstRunImmediately: true,
    round: (signal) => {
      seen.push(signal);
      stop.abort();
      return Promise.resolve();
    },
    onError: (error) => assert.fail(String(error)),
  });
  assert.deepEqual(seen, [stop.signal]);
});

Deno.test("runEvery rejects only when its error handler throws", async () => {
  const stop = new AbortController();
  await assert.rejects(
    runEvery({
      intervalMs: 1,
      signal: stop.signal,
      firstRunImmediately: true,
      round: () => Promise.reject(new Error("round")),
      onError: () => {
        stop.abort();
        throw new Error("handler");
      },
    }),
    /handler/,
  );
});
