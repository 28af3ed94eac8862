/**
 * Exact decimals with a significant scale, as .NET `System.Decimal` and PostgreSQL `numeric` keep
 * them: `20.10` and `20.1` are equal but print differently, and the official Payment Processor's
 * JSON shows that scale (Endpoints.cs writes `decimal` values, e.g. `"totalFee":0.00`).
 *
 * Why not npm `big.js` (which tools/bench uses for the official score): it normalizes its values,
 * so it cannot carry that scale: `new Big("20.10")` prints `20.1`, `0 × 0.05` gives `0` where the
 * processor answers `0.00`, `40.10 × 0.05` gives `2.005` where it answers `2.0050`. Its parser
 * also differs from .NET's reader of JSON decimals: it takes `1.` and `.5`, refuses `+3`, and has
 * no 28-decimal bound. The scale and the parser would stay ours; what big.js would add (half-even
 * rounding and an exact product) is a few lines of BigInt below.
 *
 * @module
 */

/** `mantissa × 10^-scale`; `scale` is a non-negative integer. */
export interface Decimal {
  readonly mantissa: bigint;
  readonly scale: number;
}

/** The largest scale a .NET decimal holds. */
const MAX_SCALE = 28;
const NUMBER = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal number such as `20.05`, `-1.50`, `1e2` or `+3` (JSON number syntax, plus the
 * leading `+` and leading zeros .NET accepts when it reads a number from a JSON string). A
 * negative exponent adds to the scale, a positive one multiplies out; values with more than 28
 * decimals are cut to 28 (.NET rounds there; the difference never survives a later 2-place
 * rounding of realistic amounts).
 *
 * @returns the decimal, or `undefined` if `text` is not a number or its exponent is beyond ±1000.
 */
export function parseDecimal(text: string): Decimal | undefined {
  const match = NUMBER.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > 1000) return undefined;
  let mantissa = BigInt(whole + fraction) * (sign === "-" ? -1n : 1n);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    mantissa *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (scale > MAX_SCALE) {
    mantissa /= 10n ** BigInt(scale - MAX_SCALE);
    scale = MAX_SCALE;
  }
  return { mantissa, scale };
}

/**
 * `decimal.Round(value, decimals)`: half-to-even rounding that lowers the scale to `decimals` when
 * it is larger and leaves the value untouched otherwise (Endpoints.cs rounds amounts to 2 places).
 */
export function roundDecimal(value: Decimal, decimals: number): Decimal {
  if (value.scale <= decimals) return value;
  const divisor = 10n ** BigInt(value.scale - decimals);
  const negative = value.mantissa < 0n;
  const magnitude = negative ? -value.mantissa : value.mantissa;
  let quotient = magnitude / divisor;
  const twiceRemainder = (magnitude % divisor) * 2n;
  if (twiceRemainder > divisor || (twiceRemainder === divisor && quotient % 2n === 1n)) {
    quotient += 1n;
  }
  return { mantissa: negative ? -quotient : quotient, scale: decimals };
}

/** Exact product; the scales add, as in .NET (`0 × 0.05` is `0.00`). */
export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  return { mantissa: a.mantissa * b.mantissa, scale: a.scale + b.scale };
}

/** Plain text with exactly `scale` decimals: `{2005n, 2}` → `"20.05"`, `{0n, 2}` → `"0.00"`. */
export function formatDecimal(value: Decimal): string {
  const negative = value.mantissa < 0n;
  const digits = (negative ? -value.mantissa : value.mantissa).toString()
    .padStart(value.scale + 1, "0");
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = value.scale > 0 ? "." + digits.slice(-value.scale) : "";
  return (negative ? "-" : "") + whole + fraction;
}
