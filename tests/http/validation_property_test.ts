/**
 * Property-based tests of the payment body validator (src/http/validation.ts) with fast-check.
 * Every property runs with a fixed seed, so a run is reproducible and never flakes; a failure
 * prints the seed and the shrunk counterexample.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parsePaymentBody, ValidationError } from "../../src/http/validation.ts";
import { MAX_AMOUNT_CENTS } from "../../src/domain/money.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID = "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3";
const RUNS = 2_000;
const params = (seed: number): fc.Parameters<unknown> => ({ seed, numRuns: RUNS });

/** The status of the ValidationError `text` is rejected with; fails on anything else. */
function rejection(text: string): number {
  try {
    parsePaymentBody(text);
  } catch (error) {
    assert.ok(error instanceof ValidationError, `not a ValidationError: ${error}`);
    return error.status;
  }
  assert.fail(`accepted: ${text}`);
}

/** `cents` as a decimal literal with exactly two places, built from integers (no float print). */
function twoDecimals(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

const cents = fc.integer({ min: 1, max: MAX_AMOUNT_CENTS });
/** The ways a client may write an amount of `cents` as a JSON number. */
const amountText = (value: number) =>
  fc.constantFrom(
    twoDecimals(value), // 20.05, 20.50, 20.00
    String(value / 100), // 20.05, 20.5, 20
    `${value}e-2`, // 2005e-2
  );
/** A UUID in any letter case. */
const anyCaseUuid = fc.tuple(fc.uuid(), fc.boolean()).map(([id, upper]) =>
  upper ? id.toUpperCase() : id
);

Deno.test("property: a UUID and 1..1e9 cents as a 2-decimal number parse to exactly those", () => {
  fc.assert(
    fc.property(
      anyCaseUuid,
      cents.chain((value) => fc.tuple(fc.constant(value), amountText(value))),
      fc.boolean(),
      (id, [value, amount], idFirst) => {
        const text = idFirst
          ? `{"correlationId":"${id}","amount":${amount}}`
          : `{ "amount" : ${amount} , "correlationId" : "${id}" }`;
        assert.deepEqual(parsePaymentBody(text), {
          correlationId: id.toLowerCase(),
          amountCents: value,
        });
      },
    ),
    params(20250801),
  );
});

Deno.test("property: any extra key is rejected with 422", () => {
  const extraKey = fc.string({ unit: "binary", maxLength: 12 }).filter((key) =>
    key !== "correlationId" && key !== "amount"
  );
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(extraKey, fc.jsonValue()), {
        minLength: 1,
        maxLength: 4,
        selector: ([key]) => key,
      }),
      cents,
      (extra, value) => {
        // Object.fromEntries defines own properties, so even "__proto__" becomes a real key.
        const body = Object.fromEntries([
          ["correlationId", ID],
          ["amount", value / 100],
          ...extra,
        ]);
        assert.equal(rejection(JSON.stringify(body)), 422);
      },
    ),
    params(20250802),
  );
});

Deno.test("property: any correlationId that is not a UUID string is rejected with 422", () => {
  const nearMiss = fc.tuple(
    fc.uuid(),
    fc.nat(35),
    fc.constantFrom("drop", "add", "swap"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  )
    .map(([id, at, how, ch]) =>
      how === "drop"
        ? id.slice(0, at) + id.slice(at + 1)
        : how === "add"
        ? id.slice(0, at) + ch + id.slice(at)
        : id.slice(0, at) + (/[0-9a-f-]/i.test(ch) ? "g" : ch) + id.slice(at + 1)
    );
  const notUuid = fc.oneof(fc.string({ unit: "binary" }), nearMiss).filter((s) => !UUID.test(s));
  const notString = fc.jsonValue().filter((value) => typeof value !== "string");
  fc.assert(
    fc.property(fc.oneof(notUuid, notString), cents, (id, value) => {
      const text = `{"correlationId":${JSON.stringify(id)},"amount":${twoDecimals(value)}}`;
      assert.equal(rejection(text), 422);
    }),
    params(20250803),
  );
});

Deno.test("property: any amount with a non-zero 3rd decimal is rejected with 422", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: MAX_AMOUNT_CENTS * 10 }),
      fc.integer({ min: 1, max: 9 }),
      (value, third) => {
        const amount = `${twoDecimals(value)}${third}`; // e.g. 20.051, 1234567.891
        assert.equal(rejection(`{"correlationId":"${ID}","amount":${amount}}`), 422, amount);
      },
    ),
    params(20250804),
  );
});

Deno.test("property: any amount ≤ 0 is rejected with 422", () => {
  const nonPositive = fc.oneof(
    fc.integer({ min: 0, max: MAX_AMOUNT_CENTS * 10 }).map((value) => `-${twoDecimals(value)}`),
    fc.double({ max: 0, noNaN: true, noDefaultInfinity: true }).map((value) =>
      JSON.stringify(value)
    ),
    fc.constantFrom("0", "-0", "0.00", "-0.0", "0e5", "-1e-400"),
  );
  fc.assert(
    fc.property(nonPositive, (amount) => {
      assert.equal(rejection(`{"correlationId":"${ID}","amount":${amount}}`), 422, amount);
    }),
    params(20250805),
  );
});

Deno.test("property: parse returns a payment or throws a 400/422 ValidationError, nothing else", () => {
  const check = (text: string) => {
    try {
      const payment = parsePaymentBody(text);
      assert.match(payment.correlationId, UUID);
      assert.ok(Number.isSafeInteger(payment.amountCents) && payment.amountCents > 0);
    } catch (error) {
      assert.ok(error instanceof ValidationError, `${error} for ${JSON.stringify(text)}`);
      assert.ok(error.status === 400 || error.status === 422, String(error.status));
    }
  };
  // Arbitrary bodies with the right keys and any values, any JSON, any text at all.
  const fieldValue = fc.oneof(fc.jsonValue(), fc.uuid(), fc.double().map((x) => x));
  const shaped = fc.record({ correlationId: fieldValue, amount: fieldValue }, {
    requiredKeys: [],
  }).map((body) => JSON.stringify(body));
  const texts = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.string({ unit: "grapheme" }),
    fc.json(),
    shaped,
  );
  fc.assert(fc.property(texts, check), { seed: 20250806, numRuns: 5_000 });
});
