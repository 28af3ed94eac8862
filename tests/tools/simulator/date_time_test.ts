import assert from "node:assert/strict";
import {
  compareInstants,
  formatDateTime,
  formatIsoUtc,
  MIN_DATE_TIME,
  parseDateTime,
} from "../../../tools/simulator/date_time.ts";

Deno.test("body form: ISO date-times; zone-less means UTC; µs kept, finer digits cut", () => {
  const ms = Date.parse("2025-08-21T00:40:25.070Z");
  assert.deepEqual(parseDateTime("2025-08-21T00:40:25.070Z"), { epochMs: ms, micros: 0 });
  assert.deepEqual(parseDateTime("2025-08-21T00:40:25.070"), { epochMs: ms, micros: 0 });
  assert.deepEqual(parseDateTime("2025-08-21T03:40:25.070+03:00"), { epochMs: ms, micros: 0 });
  assert.deepEqual(parseDateTime("2025-08-21T00:40:25.0701239Z"), { epochMs: ms, micros: 123 });
  assert.deepEqual(parseDateTime("2025-08-21"), {
    epochMs: Date.parse("2025-08-21T00:00Z"),
    micros: 0,
  });
  assert.deepEqual(parseDateTime("0001-01-01T00:00:00"), MIN_DATE_TIME);
  const invalid = [
    "2025-08-21 00:40:25Z", // a space is only for query strings
    "2025-02-29T00:00:00Z",
    "2025-08-21T24:00:00Z",
    "2025-08-21T00:40Z:00",
    "0000-12-31T00:00:00Z",
    "9999-12-31T23:00:00-02:00",
    "2025-08-21T00:40:25.070+15:00",
    "21/08/2025",
  ];
  for (const text of invalid) assert.equal(parseDateTime(text), undefined, text);
});

Deno.test("query form also takes a space, whitespace and ±hhmm", () => {
  const ms = Date.parse("2025-08-21T00:40:25.070Z");
  for (const text of [" 2025-08-21 00:40:25.070 ", "2025-08-21T01:40:25.070 +0100"]) {
    assert.deepEqual(parseDateTime(text, { lenient: true }), { epochMs: ms, micros: 0 }, text);
  }
});

Deno.test("echo form: no zone, trailing zeros trimmed; Z form for machines", () => {
  const at = (text: string) => parseDateTime(text)!;
  assert.equal(formatDateTime(at("2025-08-21T00:40:25.070Z")), "2025-08-21T00:40:25.07");
  assert.equal(formatDateTime(at("2025-08-21T00:40:25.000Z")), "2025-08-21T00:40:25");
  assert.equal(formatDateTime(at("2025-08-21T00:40:25.000120Z")), "2025-08-21T00:40:25.00012");
  assert.equal(formatDateTime(MIN_DATE_TIME), "0001-01-01T00:00:00");
  assert.equal(formatIsoUtc(at("2025-08-21T00:40:25.07Z")), "2025-08-21T00:40:25.070Z");
  assert.equal(formatIsoUtc(at("2025-08-21T00:40:25.0705Z")), "2025-08-21T00:40:25.070500Z");
});

Deno.test("instants order by ms, then µs", () => {
  const a = parseDateTime("2025-08-21T00:40:25.070Z")!;
  const b = parseDateTime("2025-08-21T00:40:25.070001Z")!;
  assert.ok(compareInstants(a, b) < 0 && compareInstants(b, a) > 0 && compareInstants(a, a) === 0);
});
