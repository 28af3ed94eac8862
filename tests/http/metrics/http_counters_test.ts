/**
 * HTTP responses counted by route and status (src/http/metrics/http_counters.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { HttpCounters } from "../../../src/http/metrics/http_counters.ts";

Deno.test("HttpCounters counts per route and status, in first-seen route order", () => {
  const http = new HttpCounters();
  assert.deepEqual(http.snapshot(), []);
  for (const [route, status] of [["/payments", 202], ["unmatched", 404], ["/payments", 202]]) {
    http.count(route as string, status as number);
  }
  http.count("/payments", 400);
  http.count("__proto__", 404);
  assert.deepEqual(http.snapshot(), [
    ["/payments", 202, 2],
    ["/payments", 400, 1],
    ["unmatched", 404, 1],
    ["__proto__", 404, 1],
  ]);
});
