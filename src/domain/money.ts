/**
 * Money at the edges: JSON decimals in, integer cents inside, 2-decimal numbers out.
 *
 * @module
 */

/** Largest amount accepted, in cents (10,000,000.00): larger ones are rejected as absurd. */
export const MAX_AMOUNT_CENTS = 1_000_000_000;

/**
 * Converts a JSON amount (a number with at most 2 decimals) to integer cents.
 *
 * @throws {TypeError} if `amount` is not a finite number.
 * @throws {RangeError} if it is ≤ 0, above {@link MAX_AMOUNT_CENTS} or has more than 2 decimals.
 */
export function toCents(amount: unknown): number {
  if (typeof amount !== "number" || !Number.isFinite(amount)) {
    throw new TypeError("amount must be a finite number");
  }
  if (amount <= 0) throw new RangeError("amount must be positive");
  if (amount > MAX_AMOUNT_CENTS / 100) throw new RangeError("amount is too large");
  // Exact: a JSON 2-decimal literal parses to the double nearest k/100, which is what `k / 100`
  // computes, and Math.round(amount * 100) gives k back for every k ≤ MAX_AMOUNT_CENTS (checked
  // exhaustively). A relative tolerance let 1234567.891 through as 123456789 cents.
  const cents = Math.round(amount * 100);
  if (cents / 100 !== amount) throw new RangeError("amount must have at most 2 decimal places");
  return cents;
}

/** Integer cents to a JSON number with at most 2 decimals, e.g. 2005 → 20.05. */
export function fromCents(cents: number): number {
  return Math.round(cents) / 100;
}
