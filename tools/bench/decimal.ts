/**
 * Exact decimal arithmetic, just enough to reproduce the official score to the last digit.
 *
 * The official k6 script (`rinha-test/rinha-final.js`, `handleSummary`/`teardown`) computes money
 * with big.js: `new Big(x)` of a JS number parses `String(x)`, `plus`/`minus`/`times` are exact,
 * `round(2)` rounds half away from zero (big.js's default rounding mode), and `toNumber()` goes
 * back to a float through the decimal string. This class does the same with a BigInt coefficient
 * and a decimal scale, so every intermediate `toNumber()` of the script can be replayed.
 *
 * @module
 */

/** An exact decimal `coef × 10^-scale`. Immutable. */
export class Decimal {
  /** Integer coefficient. */
  readonly coef: bigint;
  /** Number of decimal places (≥ 0). */
  readonly scale: number;

  constructor(coef: bigint, scale: number) {
    this.coef = coef;
    this.scale = scale;
  }

  /**
   * Parses a finite JS number the way `new Big(n)` does (through `String(n)`), or a decimal string.
   * @throws {TypeError} on NaN, ±Infinity or a malformed string.
   */
  static from(value: number | string): Decimal {
    const text = typeof value === "number" ? numberText(value) : value.trim();
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
    if (!m || (m[2] === "" && (m[3] ?? "") === "")) {
      throw new TypeError(`not a decimal: ${JSON.stringify(text)}`);
    }
    const digits = (m[2] || "0") + (m[3] ?? "");
    let scale = (m[3] ?? "").length - Number(m[4] ?? 0);
    let coef = BigInt(digits);
    if (scale < 0) {
      coef *= 10n ** BigInt(-scale);
      scale = 0;
    }
    if (m[1] === "-") coef = -coef;
    return new Decimal(coef, scale);
  }

  #aligned(other: Decimal): [bigint, bigint, number] {
    const scale = Math.max(this.scale, other.scale);
    const a = this.coef * 10n ** BigInt(scale - this.scale);
    const b = other.coef * 10n ** BigInt(scale - other.scale);
    return [a, b, scale];
  }

  /** Exact sum. */
  plus(other: Decimal | number): Decimal {
    const [a, b, scale] = this.#aligned(toDecimal(other));
    return new Decimal(a + b, scale);
  }

  /** Exact difference. */
  minus(other: Decimal | number): Decimal {
    const [a, b, scale] = this.#aligned(toDecimal(other));
    return new Decimal(a - b, scale);
  }

  /** Exact product. */
  times(other: Decimal | number): Decimal {
    const o = toDecimal(other);
    return new Decimal(this.coef * o.coef, this.scale + o.scale);
  }

  /** Rounds to `dp` decimal places, half away from zero (big.js `round(dp)` default mode). */
  round(dp: number): Decimal {
    if (this.scale <= dp) return this;
    const divisor = 10n ** BigInt(this.scale - dp);
    let q = this.coef / divisor;
    const r = this.coef % divisor;
    const absR = r < 0n ? -r : r;
    if (absR * 2n >= divisor) q += this.coef < 0n ? -1n : 1n;
    return new Decimal(q, dp);
  }

  /** Plain decimal notation, without trailing zeros. */
  toString(): string {
    const neg = this.coef < 0n;
    let digits = (neg ? -this.coef : this.coef).toString();
    if (this.scale > 0) {
      digits = digits.padStart(this.scale + 1, "0");
      const int = digits.slice(0, digits.length - this.scale);
      const frac = digits.slice(digits.length - this.scale).replace(/0+$/, "");
      digits = frac ? `${int}.${frac}` : int;
    }
    return neg && digits !== "0" ? `-${digits}` : digits;
  }

  /** The nearest JS number (big.js `toNumber()`: through the decimal string). */
  toNumber(): number {
    return Number(this.toString());
  }
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`not a finite number: ${n}`);
  return Object.is(n, -0) ? "0" : String(n);
}

function toDecimal(v: Decimal | number): Decimal {
  return v instanceof Decimal ? v : Decimal.from(v);
}
