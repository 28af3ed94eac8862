import assert from "node:assert/strict";
import { parsePaymentBody, parseSummaryRange, ValidationError } from "../../src/http/validation.ts";

const ID = "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3";

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error.status;
  }
  assert.fail("expected a ValidationError");
}

Deno.test("parsePaymentBody accepts the test's body, in cents, id lower-cased", () => {
  assert.deepEqual(parsePaymentBody(`{"correlationId":"${ID}","amount":20.05}`), {
    correlationId: ID,
    amountCents: 2005,
  });
  assert.deepEqual(parsePaymentBody(`{"amount":19.9,"correlationId":"${ID.toUpperCase()}"}`), {
    correlationId: ID,
    amountCents: 1990,
  });
});

Deno.test("parsePaymentBody answers 400 for non-JSON or non-object bodies", () => {
  for (
    const text of ["", "{", "nope", "[]", "null", "1", `"${ID}"`, `[{"correlationId":"${ID}"}]`]
  ) {
    assert.equal(status(() => parsePaymentBody(text)), 400, text);
  }
});

Deno.test("parsePaymentBody answers 422 for wrong, missing or extra fields", () => {
  const cases = [
    `{"amount":20.05}`,
    `{"correlationId":"${ID}"}`,
    `{"correlationId":null,"amount":20.05}`,
    `{"correlationId":"${ID}","amount":null}`,
    `{"correlationId":"not-a-uuid","amount":20.05}`,
    `{"correlationId":"${ID}x","amount":20.05}`,
    `{"correlationId":123,"amount":20.05}`,
    `{"correlationId":"${ID}","amount":"20.05"}`,
    `{"correlationId":"${ID}","amount":0}`,
    `{"correlationId":"${ID}","amount":-1}`,
    `{"correlationId":"${ID}","amount":20.055}`,
    `{"correlationId":"${ID}","amount":1e12}`,
    `{"correlationId":"${ID}","amount":20.05,"requestedAt":"2025-01-01T00:00:00.000Z"}`,
  ];
  for (const text of cases) assert.equal(status(() => parsePaymentBody(text)), 422, text);
});

Deno.test("parseSummaryRange: both bounds inclusive, either missing means everything", () => {
  const q = (s: string) => parseSummaryRange(new URLSearchParams(s));
  assert.deepEqual(q("from=2025-08-21T00:40:25.070Z&to=2025-08-21T00:40:26.000Z"), {
    fromMs: Date.UTC(2025, 7, 21, 0, 40, 25, 70),
    toMs: Date.UTC(2025, 7, 21, 0, 40, 26, 0),
  });
  assert.deepEqual(q("from=2025-08-21T00:40:25.070Z&to=2025-08-21T00:40:25.070Z"), {
    fromMs: Date.UTC(2025, 7, 21, 0, 40, 25, 70),
    toMs: Date.UTC(2025, 7, 21, 0, 40, 25, 70),
  });
  assert.equal(q(""), undefined);
  assert.equal(q("from=2025-08-21T00:40:25.070Z"), undefined);
  assert.equal(q("to=2025-08-21T00:40:25.070Z"), undefined);
  assert.equal(q("from=&to="), undefined);
  // Other parameters are ignored (README "The API").
  assert.equal(q("page=2"), undefined);
  assert.deepEqual(q("page=2&from=2025-08-21T00:40:25.070Z&to=2025-08-21T00:40:25.070Z&x"), {
    fromMs: Date.UTC(2025, 7, 21, 0, 40, 25, 70),
    toMs: Date.UTC(2025, 7, 21, 0, 40, 25, 70),
  });
  // An un-encoded "+" of a zone offset arrives as a space.
  assert.deepEqual(q("from=2025-08-21T03:40:25.070+03:00&to=2025-08-21T00:40:26.000Z"), {
    fromMs: Date.UTC(2025, 7, 21, 0, 40, 25, 70),
    toMs: Date.UTC(2025, 7, 21, 0, 40, 26, 0),
  });
});

Deno.test("parseSummaryRange: a bound inside a millisecond keeps only whole ms inside the range", () => {
  const q = (s: string) => parseSummaryRange(new URLSearchParams(s));
  assert.deepEqual(q("from=2025-08-21T00:40:25.8115Z&to=2025-08-21T00:40:25.8129Z"), {
    fromMs: Date.UTC(2025, 7, 21, 0, 40, 25, 812),
    toMs: Date.UTC(2025, 7, 21, 0, 40, 25, 812),
  });
  assert.deepEqual(q("from=2025-08-21T00:40:25.8110Z&to=2025-08-21T00:40:25.812Z"), {
    fromMs: Date.UTC(2025, 7, 21, 0, 40, 25, 811),
    toMs: Date.UTC(2025, 7, 21, 0, 40, 25, 812),
  });
});

Deno.test("parseSummaryRange answers 400 for bad bounds or from after to", () => {
  const q = (s: string) => () => parseSummaryRange(new URLSearchParams(s));
  assert.equal(status(q("from=yesterday&to=2025-08-21T00:40:26.000Z")), 400);
  assert.equal(status(q("from=2025-08-21T00:40:26.000Z&to=2025-13-01T00:00:00Z")), 400);
  assert.equal(status(q("from=yesterday")), 400);
  assert.equal(status(q("from=2025-08-21T00:40:26.001Z&to=2025-08-21T00:40:26.000Z")), 400);
});
