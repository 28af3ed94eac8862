import assert from "node:assert/strict";
import { StackChildren } from "../../../tools/stack/children.ts";
import { Healer } from "../../../tools/stack/healer.ts";
import { ManagedProcess } from "../../../tools/stack/processes.ts";

/** A shell that says `ready` and runs until signalled. */
function sleeper(name: string): ManagedProcess {
  const script = "echo ready; while :; do sleep 0.05; done";
  return new ManagedProcess({ name, command: "sh", args: ["-c", script], output: "quiet" });
}

/** Polls `check` every 20 ms; fails after 30 s (generous: a loaded 2-core machine). */
async function until(what: string, check: () => boolean, describe: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The children of a small stack, and a healer over them that respawns `sleeper`s. */
function stackOf(failFast: boolean) {
  const children = new StackChildren();
  children.add(sleeper("pp-default"), "processor");
  children.add(sleeper("api1"), "api");
  children.add(sleeper("api2"), "api");
  children.add(sleeper("nginx"), "lb");
  const respawned: string[] = [];
  const told: string[] = [];
  const healer = new Healer({
    children,
    respawn: (dead) => {
      respawned.push(dead.name);
      return sleeper(dead.name);
    },
    ready: async (fresh) => {
      while (!fresh.tail().includes("ready")) await new Promise((r) => setTimeout(r, 20));
    },
    failFast,
    onNote: (line) => told.push(line),
  });
  const named = (name: string) => children.all.find((p) => p.name === name)!;
  const describe = () => `${healer.notes()}\n${children.logs()}`;
  return { children, healer, respawned, told, named, describe };
}

Deno.test("an instance killed with SIGKILL is restarted in its place; the others run on", async () => {
  const { children, healer, respawned, told, named, describe } = stackOf(false);
  let failed: string | undefined;
  healer.failed.then((reason) => failed = reason);
  try {
    const killed = named("api1");
    const others = children.all.filter((p) => p !== killed);
    Deno.kill(killed.pid, "SIGKILL");
    await until("api1 back", () => healer.notes().includes("api1 is back"), describe);
    const fresh = named("api1");
    assert.notEqual(fresh, killed);
    assert.equal(fresh.exited, false);
    assert.equal(children.all.indexOf(fresh), 1, "the restart takes the dead one's place");
    assert.deepEqual(respawned, ["api1"]);
    assert.ok(others.every((p) => !p.exited), "nothing else stopped");
    assert.match(
      healer.notes(),
      /^api1 exited with code 137 \(SIGKILL\) after \d+\.\d s; restarting it in 0\.1 s\napi1 is back \(pid \d+\)$/,
    );
    assert.equal(told.join("\n"), healer.notes(), "each note is told as it happens");
    assert.match(children.logs(), /^--- api1 \(pid \d+, replaced\) ---\nready\n/);
    assert.equal(failed, undefined);
  } finally {
    healer.stop();
    await children.stop();
  }
  assert.ok(children.all.every((p) => p.exited));
  assert.deepEqual(respawned, ["api1"], "a stop is not an exit to heal");
});

Deno.test("an instance that keeps exiting is restarted after a growing pause", async () => {
  const { children, healer, named, describe } = stackOf(false);
  try {
    for (let round = 1; round <= 3; round++) {
      const current = named("api2");
      await until(`api2 ready (${round})`, () => current.tail().includes("ready"), describe);
      Deno.kill(current.pid, "SIGKILL");
      await until(`api2 restart ${round}`, () => named("api2") !== current, describe);
    }
    // Each run was short (< 10 s): 0.1 s after the first, doubled after each short run before.
    const pauses = [...healer.notes().matchAll(/restarting it in (\d+\.\d) s/g)].map((m) => m[1]);
    assert.deepEqual(pauses, ["0.1", "0.2", "0.4"], healer.notes());
    assert.match(healer.notes(), /\(3 short runs in a row\)/);
  } finally {
    healer.stop();
    await children.stop();
  }
});

Deno.test("nginx's or a simulator's exit, or any exit with failFast, settles failed", async () => {
  const healing = stackOf(false);
  try {
    Deno.kill(healing.named("nginx").pid, "SIGKILL");
    assert.match(
      await healing.healer.failed,
      /^nginx exited with code 137 \(SIGKILL\) after \d+\.\d s; only the instances are restarted$/,
    );
    assert.deepEqual(healing.respawned, []);
  } finally {
    healing.healer.stop();
    await healing.children.stop();
  }
  const failFast = stackOf(true);
  try {
    Deno.kill(failFast.named("api2").pid, "SIGKILL");
    assert.match(await failFast.healer.failed, /^api2 exited with code 137 \(SIGKILL\) after /);
    assert.deepEqual(failFast.respawned, []);
    assert.ok(!failFast.named("api1").exited, "the caller decides to stop the rest");
  } finally {
    failFast.healer.stop();
    await failFast.children.stop();
  }
});
