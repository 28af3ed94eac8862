import assert from "node:assert/strict";
import { ManagedProcess } from "../../../tools/stack/processes.ts";

// An orphaned grandchild holding the child's output pipes (as an nginx worker whose master was
// SIGKILLed) must not keep `status`, and so the stack's stop(), waiting until it exits.
Deno.test("a child that exited is not waited for while a grandchild holds its output", async () => {
  const child = new ManagedProcess({
    name: "sh",
    command: "sh",
    args: ["-c", "sleep 60 & echo grandchild $!; echo bye; exit 3"],
    output: "quiet",
  });
  let grandchild: number | undefined;
  try {
    const status = await child.status;
    assert.equal(status.code, 3);
    grandchild = Number(/grandchild (\d+)/.exec(child.tail())?.[1]);
    assert.ok(grandchild > 0, child.tail());
    assert.match(child.tail(), /bye/); // what was written before the exit is kept
    assert.match(child.tail(), /output still open 2000 ms after the exit: no longer read/);
  } finally {
    if (grandchild) Deno.kill(grandchild, "SIGKILL");
  }
});
