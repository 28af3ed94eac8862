/** A background loop's stop switch (src/lifecycle/background_task.ts). */
import assert from "node:assert/strict";
import { BackgroundTask } from "../../src/lifecycle/background_task.ts";

Deno.test("a background task runs at once, and abort stops it; done settles after", async () => {
  let seen: AbortSignal | undefined;
  const task = new BackgroundTask((signal) => {
    seen = signal;
    return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
  });
  assert.equal(seen?.aborted, false);
  task.abort();
  task.abort(); // idempotent
  assert.equal(seen?.aborted, true);
  await task.done;
});
