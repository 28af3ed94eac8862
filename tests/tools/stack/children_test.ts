import assert from "node:assert/strict";
import { StackChildren } from "../../../tools/stack/children.ts";
import { ManagedProcess } from "../../../tools/stack/processes.ts";

/** A shell that, on SIGTERM or SIGQUIT, appends `name signal` to `log` and exits. */
function recorder(name: string, log: string): ManagedProcess {
  const script = `trap 'echo "${name} TERM" >> "${log}"; exit 0' TERM
trap 'echo "${name} QUIT" >> "${log}"; exit 0' QUIT
echo ready
while :; do sleep 0.05; done`;
  return new ManagedProcess({ name, command: "sh", args: ["-c", script], output: "quiet" });
}

async function ready(child: ManagedProcess): Promise<void> {
  while (!child.tail().includes("ready")) await new Promise((r) => setTimeout(r, 20));
}

Deno.test("children stop by role: load balancer (SIGQUIT), then instances, then processors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "children-test-" });
  const log = `${dir}/stops`;
  const children = new StackChildren();
  try {
    // Added in start order (processors first), stopped in the reverse order of roles.
    children.add(recorder("pp-default", log), "processor");
    children.add(recorder("api1", log), "api");
    children.add(recorder("api2", log), "api");
    children.add(recorder("nginx", log), "lb");
    await Promise.all(children.all.map(ready));
    await children.stop();
    const lines = (await Deno.readTextFile(log)).trim().split("\n");
    assert.equal(lines[0], "nginx QUIT");
    assert.deepEqual(lines.slice(1, 3).sort(), ["api1 TERM", "api2 TERM"]);
    assert.equal(lines[3], "pp-default TERM");
    assert.equal(lines.length, 4);
    assert.match(children.logs(), /^--- pp-default \(pid \d+\) ---\nready\n--- api1 /);
  } finally {
    await children.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
