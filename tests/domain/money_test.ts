import assert from "node:assert/strict";
import { fromCents, MAX_AMOUNT_CENTS, toCents } from "../../src/domain/money.ts";

Deno.test("toCents converts decimals with at most 2 places to integer cents", () => {
  assert.equal(toCents(20.05), 2005);
  assert.equal(toCents(19.9), 1990);
  assert.equal(toCents(0.01), 1);
  assert.equal(toCents(1), 100);
  assert.equal(toCents(1.1), 110);
  assert.equal(toCents(MAX_AMOUNT_CENTS / 100), MAX_AMOUNT_CENTS);
});

Deno.test("toCents rejects non-numbers, non-positive, too many decimals and absurd values", () => {
  for (const bad of ["20.05", null, undefined, NaN, Infinity, -Infinity, {}, true]) {
    assert.throws(() => toCents(bad), TypeError, String(bad));
  }
  for (const bad of [0, -0.01, -20, 0.001, 20.055, 1e-9, MAX_AMOUNT_CENTS / 100 + 0.01, 1e300]) {
    assert.throws(() => toCents(bad), RangeError, String(bad));
  }
  // A 3rd decimal on a large amount was once rounded away by a relative tolerance.
  for (const bad of [1234567.891, 1000000.001, 9999999.999, 123456.789, 99999.991]) {
    assert.throws(() => toCents(bad), RangeError, String(bad));
  }
});

Deno.test("fromCents gives 2-decimal numbers that print exactly", () => {
  assert.equal(fromCents(2005), 20.05);
  assert.equal(JSON.stringify(fromCents(1816_4505)), "181645.05");
  assert.equal(fromCents(0), 0);
  assert.equal(String(fromCents(90591 * 2005)), "1816349.55");
});
