/**
 * The abortable pause (src/util/sleep.ts): it waits, ends early on abort without rejecting, and
 * leaves no timer behind (the sanitizers check that).
 */
import assert from "node:assert/strict";
import { sleep } from "../../src/util/sleep.ts";

Deno.test("sleep resolves after its time when nothing aborts", async () => {
  assert.equal(await sleep(1, new AbortController().signal), undefined);
});

Deno.test("sleep resolves, not rejects, when its signal aborts during the wait", async () => {
  const stop = new AbortController();
  const waiting = sleep(3_600_000, stop.signal);
  stop.abort();
  assert.equal(await waiting, undefined);
});

Deno.test("sleep resolves at once when its signal has already aborted", async () => {
  assert.equal(await sleep(3_600_000, AbortSignal.abort()), undefined);
});

Deno.test("sleep ignores the abort reason, whatever it is", async () => {
  const stop = new AbortController();
  const waiting = sleep(3_600_000, stop.signal);
  stop.abort(new Error("shutdown"));
  assert.equal(await waiting, undefined);
});
