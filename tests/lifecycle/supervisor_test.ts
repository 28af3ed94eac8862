/**
 * Restart on heartbeat lapse and self-fencing (src/lifecycle/supervisor.ts), with fake pipelines
 * whose stop the test resolves by hand and a fake clock: no Redis, no timers.
 */
import assert from "node:assert/strict";
import { PipelineSupervisor } from "../../src/lifecycle/supervisor.ts";

/** A pipeline that records its stops and stops only when the test says so. */
class FakePipeline {
  readonly stops: number[] = [];
  readonly #stopped = Promise.withResolvers<void>();

  constructor(readonly id: number, readonly mayCall: () => boolean) {}

  stop(deadlineMs: number): Promise<void> {
    this.stops.push(deadlineMs);
    return this.#stopped.promise;
  }

  finish(): void {
    this.#stopped.resolve();
  }
}

/** Lets every pending promise continuation run (one macrotask turn); measures no time. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A supervisor over fake pipelines, a clock at `clock.now` and a heartbeat renewed at `beatAt`. */
function supervise() {
  const started: FakePipeline[] = [];
  const clock = { now: 1_000_000, beatAt: 1_000_000 };
  const supervisor = new PipelineSupervisor({
    start: (mayCall) => {
      const pipeline = new FakePipeline(started.length, mayCall);
      started.push(pipeline);
      return pipeline;
    },
    lastBeatAt: () => clock.beatAt,
    now: () => clock.now,
  });
  return { supervisor, started, clock };
}

Deno.test("supervisor starts one pipeline at once and accepts intake", () => {
  const { supervisor, started } = supervise();
  assert.equal(started.length, 1);
  assert.equal(supervisor.pipeline, started[0]);
  assert.equal(supervisor.accepting, true);
  assert.equal(started[0].mayCall(), true);
});

Deno.test("the fence closes 2 s (TTL 3 s minus one 1 s refresh) after the last renewed heartbeat", () => {
  const { started, clock } = supervise();
  const mayCall = started[0].mayCall;
  clock.now = clock.beatAt + 1_999;
  assert.equal(mayCall(), true);
  clock.now = clock.beatAt + 2_000;
  assert.equal(mayCall(), false);
  clock.beatAt = clock.now; // renewed
  assert.equal(mayCall(), true);
});

Deno.test("a lapse interrupts the pipeline at once, fences calls, then starts a new one", async () => {
  const { supervisor, started } = supervise();
  supervisor.onLapse();
  assert.deepEqual(started[0].stops, [0], "stopped with no deadline");
  assert.equal(started[0].mayCall(), false, "no call while restarting");
  supervisor.onLapse(); // a second lapse while restarting does nothing more
  assert.deepEqual(started[0].stops, [0]);
  assert.equal(started.length, 1);
  started[0].finish();
  await settle();
  assert.equal(started.length, 2);
  assert.equal(supervisor.pipeline, started[1]);
  assert.equal(started[1].mayCall(), true);
  assert.equal(supervisor.accepting, true);
});

Deno.test("once shutdown began, intake closes and a lapse restarts nothing", () => {
  const { supervisor, started } = supervise();
  supervisor.beginShutdown();
  assert.equal(supervisor.accepting, false);
  supervisor.onLapse();
  assert.deepEqual(started[0].stops, []);
  assert.equal(started.length, 1);
});

Deno.test("stopPipeline stops the pipeline with the workers' deadline", async () => {
  const { supervisor, started } = supervise();
  const stopping = supervisor.stopPipeline(4_000);
  assert.equal(supervisor.accepting, false);
  await settle();
  assert.deepEqual(started[0].stops, [4_000]);
  started[0].finish();
  await stopping;
});

Deno.test("stopPipeline waits for a restart in progress and starts no new pipeline", async () => {
  const { supervisor, started } = supervise();
  supervisor.onLapse();
  const stopping = supervisor.stopPipeline(4_000);
  await settle();
  assert.deepEqual(started[0].stops, [0], "not stopped again before the restart ended");
  started[0].finish();
  await stopping;
  assert.equal(started.length, 1, "no pipeline started during shutdown");
  assert.deepEqual(started[0].stops, [0, 4_000]);
  assert.equal(supervisor.pipeline, started[0]);
});
