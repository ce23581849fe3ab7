/**
 * What counts as a number in text a user typed (flags, env vars, rate expressions): plain decimal
 * notation only — an optional sign, digits with an optional fraction, an optional exponent.
 * Rejected (where `Number()` would coerce silently): "" and blanks (→ 0), hex/octal/binary ("0x0"),
 * "Infinity", "NaN", "1_000", "1,5". One owner: src/cli/options.ts builds every flag parser on it and
 * the rate-expression parser (src/structured/rates.ts) reads its numbers with it.
 */

/** The decimal grammar (anchored). */
export const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** The same grammar as a prefix, for tokenising expressions. */
export const DECIMAL_PREFIX = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;

/** Error thrown for text that is not a number; the message names `what` and shows the text. */
export class NumberTextError extends Error {}

/** Shows a value in messages: quoted, control characters escaped, long values cut. */
export function showValue(text: string): string {
  const s = JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
  return `'${s.slice(1, -1)}'`;
}

/** Parses `text` (surrounding spaces allowed) as a finite decimal number, or throws naming `what`. */
export function parseNumberText(text: string, what: string): number {
  const t = text.trim();
  if (t === '') throw new NumberTextError(`${what}: expected a number, got an empty value ${showValue(text)}`);
  if (!DECIMAL.test(t)) throw new NumberTextError(`${what}: ${showValue(text)} is not a decimal number (write e.g. 0.5, 10 or 1e-3)`);
  const n = Number(t);
  if (!Number.isFinite(n)) throw new NumberTextError(`${what}: ${showValue(text)} is out of range`);
  return n;
}
