import assert from "node:assert/strict";
import {
  formatDecimal,
  multiplyDecimal,
  parseDecimal,
  roundDecimal,
} from "../../../tools/simulator/decimal.ts";

const text = (value: string, decimals = 2) => {
  const parsed = parseDecimal(value);
  assert.ok(parsed, value);
  return formatDecimal(roundDecimal(parsed, decimals));
};

Deno.test("parse keeps the scale; exponents shift it", () => {
  assert.deepEqual(parseDecimal("20.050"), { mantissa: 20050n, scale: 3 });
  assert.deepEqual(parseDecimal("-1.5e1"), { mantissa: -15n, scale: 0 });
  assert.deepEqual(parseDecimal("+2e-3"), { mantissa: 2n, scale: 3 });
  for (const bad of ["", "abc", "1.", ".5", "1e", "NaN", "Infinity", "0x10", "1e5000"]) {
    assert.equal(parseDecimal(bad), undefined, bad);
  }
});

Deno.test("decimal.Round(x, 2): half to even, only lowering the scale", () => {
  const cases: Array<[string, string]> = [
    ["0.125", "0.12"],
    ["0.135", "0.14"],
    ["0.1251", "0.13"],
    ["-0.125", "-0.12"],
    ["-0.001", "0.00"],
    ["20.050", "20.05"],
    ["20.1", "20.1"],
    ["20", "20"],
    ["19.90", "19.90"],
  ];
  for (const [input, output] of cases) assert.equal(text(input), output, input);
});

Deno.test("products add scales, as .NET decimal multiplication does", () => {
  const fee = parseDecimal("0.05")!;
  assert.equal(formatDecimal(multiplyDecimal({ mantissa: 0n, scale: 0 }, fee)), "0.00");
  assert.equal(formatDecimal(multiplyDecimal(parseDecimal("40.10")!, fee)), "2.0050");
  assert.equal(formatDecimal(multiplyDecimal(parseDecimal("-3")!, fee)), "-0.15");
});
