/**
 * Number formatting shared by the terminal tables (`table.ts`) and the HTML report (`html.ts`).
 *
 * Rules (`formatNumber`):
 * - integers: digits as-is below 10 000, thousands grouped with ',' from 10 000 up (1234, 12,345, 1,234,567);
 *   integers of 1e15 or more in exponential form (2.50e+15);
 * - other finite numbers: 4 significant digits in fixed notation with trailing zeros stripped
 *   (98.765 → "98.77", 0.12345 → "0.1235", 1234.56 → "1235", 98.70 → "98.7");
 *   magnitudes below 1e-3 or at/above 1e6 in exponential form with 3 significant digits (1.23e-4, 4.57e+7);
 * - -0 → "0"; NaN → "NaN"; ±Infinity → "inf" / "-inf".
 */

/** Formats one number for display (see the module comment for the rules). */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (Number.isInteger(n)) {
    if (abs >= 1e15) return n.toExponential(2);
    return abs >= 10000 ? groupThousands(n) : String(n);
  }
  if (abs < 1e-3 || abs >= 1e6) return n.toExponential(2);
  const decimals = Math.max(0, 3 - Math.floor(Math.log10(abs)));
  let s = n.toFixed(decimals);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (s === '-0') return '0';
  // Rounding may carry into a new integer digit (9999.5 → "10000"): regroup when large.
  if (!s.includes('.') && Math.abs(Number(s)) >= 10000) return groupThousands(Number(s));
  return s;
}

/** An integer with ',' between groups of three digits. */
export function groupThousands(n: number): string {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(Math.round(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Placeholder shown for a missing (null/undefined) cell. */
export const MISSING_CELL = '-';

/** Formats one table cell: numbers with `formatNumber`, strings unchanged, null/undefined as `MISSING_CELL`. */
export function formatCell(cell: string | number | null | undefined): string {
  if (cell === null || cell === undefined) return MISSING_CELL;
  return typeof cell === 'number' ? formatNumber(cell) : cell;
}

/** Strings that read as a number (optionally signed, with unit/±/% suffix), e.g. "98.2 ± 0.3", "12.5%", "1.2e-3". */
const NUMERIC_LOOKING = /^[-+−~≈<>]?\s*(\d[\d,]*(\.\d+)?|\.\d+)([eE][-+]?\d+)?(\s*(±|\+-|%|x|×)|\s|$)/;

/** True when a cell should be right-aligned: a number, or a string that starts like a number. */
export function isNumericCell(cell: string | number | null | undefined): boolean {
  if (typeof cell === 'number') return true;
  if (typeof cell === 'string') return NUMERIC_LOOKING.test(cell.trim());
  return false;
}
