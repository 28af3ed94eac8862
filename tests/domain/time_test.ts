import assert from "node:assert/strict";
import { parseIso, toIso } from "../../src/domain/time.ts";

Deno.test("parseIso reads the toISOString form the test sends, to the millisecond", () => {
  assert.equal(parseIso("2025-08-21T00:40:25.070Z"), Date.UTC(2025, 7, 21, 0, 40, 25, 70));
  assert.equal(parseIso("2025-08-21T00:40:25Z"), Date.UTC(2025, 7, 21, 0, 40, 25));
  assert.equal(parseIso("2025-08-21T03:40:25.070+03:00"), Date.UTC(2025, 7, 21, 0, 40, 25, 70));
  assert.equal(parseIso("2025-08-21T00:40:25.0709999Z"), Date.UTC(2025, 7, 21, 0, 40, 25, 70));
});

Deno.test("parseIso rejects text that is not an ISO date-time with a zone", () => {
  for (
    const bad of [
      "",
      "yesterday",
      "2025-08-21",
      "2025-08-21T00:40:25.070",
      "2025-02-30T00:00:00Z",
      "2025-13-01T00:00:00Z",
      "2025-08-21T24:00:00Z",
      "2025-08-21T00:60:00Z",
      "1755736825070",
      " 2025-08-21T00:40:25.070Z",
    ]
  ) {
    assert.throws(() => parseIso(bad), RangeError, bad);
  }
});

Deno.test("toIso writes UTC with milliseconds and Z, and round-trips", () => {
  const ms = Date.UTC(2025, 7, 21, 0, 40, 25, 70);
  assert.equal(toIso(ms), "2025-08-21T00:40:25.070Z");
  assert.equal(parseIso(toIso(ms)), ms);
});
