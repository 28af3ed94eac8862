import assert from "node:assert/strict";
import { parseProcessorArgs } from "../../../tools/simulator/args.ts";

Deno.test("defaults", () => {
  assert.deepEqual(parseProcessorArgs([]), {
    port: 8001,
    hostname: "127.0.0.1",
    fee: undefined,
    token: undefined,
    delayMs: undefined,
    failure: undefined,
    rateLimitSeconds: undefined,
  });
});

Deno.test("a leading -- (deno task processor -- …) is ignored", () => {
  const options = parseProcessorArgs(["--", "--port", "8002", "--fee", "0.10"]);
  assert.deepEqual([options.port, options.fee], [8002, "0.10"]);
  assert.deepEqual(parseProcessorArgs(["--port", "8002", "--fee", "0.10"]), options);
});

Deno.test("every option", () => {
  const options = parseProcessorArgs([
    "--port=0",
    "--hostname",
    "0.0.0.0",
    "--token",
    "s3cret",
    "--delay=-5",
    "--failure",
    "--rate-limit-seconds",
    "2",
  ]);
  assert.deepEqual(options, {
    port: 0,
    hostname: "0.0.0.0",
    fee: undefined,
    token: "s3cret",
    delayMs: -5,
    failure: true,
    rateLimitSeconds: 2,
  });
});

Deno.test("bad arguments throw RangeError with the usage line", () => {
  const bad = [["--port", "70000"], ["--port", "x"], ["--delay", "1.5"], ["--nope"], ["stray"], [
    "--rate-limit-seconds",
    "0",
  ]];
  for (const args of bad) {
    assert.throws(() => parseProcessorArgs(args), (error: Error) => {
      assert.ok(error instanceof RangeError, args.join(" "));
      assert.match(error.message, /usage: processor/);
      return true;
    });
  }
});
