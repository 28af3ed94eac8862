import assert from "node:assert/strict";
import { startStack } from "../../../tools/stack/stack.ts";

// Options are checked before anything starts: these fail without a process or a run directory.

Deno.test("startStack refuses an unknown load balancer or instance count", async () => {
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => startStack({ lb: "haproxy" as any }),
    /RangeError: lb must be auto, nginx or reuseport, got haproxy/,
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", instances: 0 }),
    /RangeError: instances must be an integer in \[1, 16\], got 0/,
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 70_000 }),
    /RangeError: port must be a port in \[0, 65535\], got 70000/,
  );
});

Deno.test("startStack refuses a port in use and a Redis that does not answer", async () => {
  const listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    await assert.rejects(
      () => startStack({ lb: "reuseport", port }),
      (error: Error) => error.name === "StackError" && error.message.includes(`port ${port}`),
    );
  } finally {
    listener.close();
  }
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 0, redisUrl: "redis://127.0.0.1:1" }),
    (error: Error) =>
      error.name === "StackError" &&
      error.message.startsWith("Redis does not answer at redis://127.0.0.1:1"),
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 0, redisUrl: "http://127.0.0.1" }),
    (error: Error) => error.name === "StackError" && error.message.startsWith("--redis-url: "),
  );
});

Deno.test("startStack does not start when its signal has already aborted", async () => {
  const reason = new Error("cancelled");
  await assert.rejects(() => startStack({ signal: AbortSignal.abort(reason) }), reason);
});
