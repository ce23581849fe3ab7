/**
 * Option parsers shared by CLI commands: each turns a flag's text into a value or a clear one-line
 * error that names the flag and shows the offending text. This is the ONE place flags become numbers
 * or lists: the number grammar is src/util/number-text.ts (decimal only — "", blanks, "0x0",
 * "Infinity", "1_0" are errors, where `Number()` would coerce them), lists reject empty items
 * (trailing or double commas) and are capped at MAX_LIST_ITEMS entries.
 */
import { InvalidArgumentError } from 'commander';
import { DECIMAL, showValue } from '../util/number-text.js';
import { parseRateExpression } from '../structured/rates.js';

/** Most entries any list flag (or an expanded range / rate expression) may hold. */
export const MAX_LIST_ITEMS = 10_000;

export interface NumberRule {
  /** Inclusive lower bound (default -∞). */
  min?: number;
  /** Upper bound (default +∞), inclusive unless `maxExclusive`. */
  max?: number;
  maxExclusive?: boolean;
  integer?: boolean;
}

function describe(rule: NumberRule): string {
  const { min = -Infinity, max = Infinity } = rule;
  if (rule.integer) return max === Infinity || max >= Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
  return `a number in [${min}, ${max}${rule.maxExclusive ? ')' : ']'}`;
}

/** Why `text` is not a number satisfying `rule`, or null when it is (value returned through `out`). */
function check(text: string, rule: NumberRule): { value: number } | { why: string } {
  const t = text.trim();
  if (t === '') return { why: 'empty' };
  if (!DECIMAL.test(t)) return { why: 'not a decimal number' };
  const n = Number(t);
  if (!Number.isFinite(n)) return { why: 'out of range' };
  if (rule.integer && !Number.isSafeInteger(n)) return { why: 'not an integer' };
  const { min = -Infinity, max = Infinity } = rule;
  if (n < min || n > max || (rule.maxExclusive && n >= max)) return { why: 'out of range' };
  return { value: n };
}

/** Parses one number for `flag` (throws commander's InvalidArgumentError, printed as a one-line error). */
export function parseNumber(flag: string, text: string, rule: NumberRule = {}): number {
  const r = check(text, rule);
  if ('why' in r) throw new InvalidArgumentError(`${flag} must be ${describe(rule)}, got ${showValue(text)} (${r.why})`);
  return r.value;
}

export function parseIntOption(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => parseNumber(name, v, { min, max, integer: true });
}

export function parseFloatOption(name: string, min = -Infinity, max = Infinity): (v: string) => number {
  return (v: string) => parseNumber(name, v, { min, max });
}

export interface ListRule extends NumberRule {
  /** Words for the items in errors, e.g. "fractions in [0, 1)" (default from the bounds). */
  what?: string;
  /** Accept "A-B" / "A..B" integer ranges as well (integers only). */
  ranges?: boolean;
}

/** Splits a comma-separated list; an empty item (",," or a trailing comma) is an error. */
function items(flag: string, v: string, what: string): string[] {
  const parts = v.split(',');
  const bad = (why: string) => new InvalidArgumentError(`${flag} must be a comma-separated list of ${what}, got ${showValue(v)}: ${why}`);
  if (v.trim() === '') throw bad('the list is empty');
  if (parts.length > MAX_LIST_ITEMS) throw bad(`${parts.length} items, more than ${MAX_LIST_ITEMS}`);
  parts.forEach((p, i) => {
    if (p.trim() === '') throw bad(`item ${i + 1} is empty (a double or trailing comma?)`);
  });
  return parts;
}

/** A comma-separated list of numbers, each checked against the rule. */
export function parseNumberList(flag: string, rule: ListRule = {}): (v: string) => number[] {
  const what = rule.what ?? `${rule.integer ? 'integers' : 'numbers'} (each ${describe(rule)})`;
  return (v: string) => {
    const range = rule.ranges ? /^\s*(\S+?)\s*(?:-|\.\.)\s*(\S+)\s*$/.exec(v) : null;
    if (range && !v.includes(',') && /^\d/.test(v.trim())) {
      const [a, b] = [range[1], range[2]].map((t) => {
        const r = check(t, rule);
        if ('why' in r) throw new InvalidArgumentError(`${flag} must be a list or range of ${what}, got ${showValue(v)}: ${showValue(t)} is ${r.why}`);
        return r.value;
      });
      if (b < a) throw new InvalidArgumentError(`${flag}: range ${showValue(v)} is empty (${b} < ${a})`);
      if (b - a + 1 > MAX_LIST_ITEMS) throw new InvalidArgumentError(`${flag}: range ${showValue(v)} has ${b - a + 1} items, more than ${MAX_LIST_ITEMS}`);
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    }
    return items(flag, v, what).map((t, i) => {
      const r = check(t, rule);
      if ('why' in r) throw new InvalidArgumentError(`${flag} must be a comma-separated list of ${what}, got ${showValue(v)}: item ${i + 1} ${showValue(t)} is ${r.why}`);
      return r.value;
    });
  };
}

/** Comma-separated floats (each in [min, max]). */
export function parseFloatList(flag: string, min = -Infinity, max = Infinity): (v: string) => number[] {
  return parseNumberList(flag, { min, max });
}

/** Comma-separated integers ≥ min; with `ranges`, "4-10" / "4..10" too. */
export function parseIntList(flag: string, min = 0, opts: { ranges?: boolean; max?: number } = {}): (v: string) => number[] {
  return parseNumberList(flag, { min, max: opts.max, integer: true, ranges: opts.ranges });
}

/** Comma-separated fractions in [0, 1) (pruning ratios, sparsity levels). */
export function parseFractionList(flag: string): (v: string) => number[] {
  return parseNumberList(flag, { min: 0, max: 1, maxExclusive: true, what: 'fractions in [0, 1)' });
}

/** Comma-separated names; empty items are errors. */
export function parseNameList(flag: string): (v: string) => string[] {
  return (v: string) => items(flag, v, 'names').map((s) => s.trim());
}

/** A rate expression ("[0.5]*7+[0.95]*5" or "0.5"), checked now with the one rate parser; returned as text. */
export function parseRates(flag = '--rates'): (v: string) => string {
  return (v: string) => {
    try {
      parseRateExpression(v);
    } catch (err) {
      throw new InvalidArgumentError(`${flag}: ${(err as Error).message}`);
    }
    return v;
  };
}

export function parseShape(v: string): [number, number, number] {
  const parts = v.split(/[,x×]/);
  const ok = parts.length === 3 && parts.every((p) => {
    const r = check(p, { min: 1, max: 1 << 16, integer: true });
    return !('why' in r);
  });
  if (!ok) throw new InvalidArgumentError(`input shape must be H,W,C (e.g. 28,28,1; each an integer in [1, 65536]), got ${showValue(v)}`);
  return [Number(parts[0]), Number(parts[1]), Number(parts[2])];
}

export function parseChoice<T extends string>(name: string, choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(choices as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got ${showValue(v)}`);
    }
    return v as T;
  };
}

/**
 * A point in time: `HH:MM` (the next such local time, today or tomorrow), `+N` minutes from now (`+90`,
 * `+90m`, `+2h`), or an ISO 8601 date-time with a zone (`2026-12-02T16:30Z`). `now` is for tests.
 */
export function parseTimeOption(name: string, now: () => Date = () => new Date()): (v: string) => Date {
  return (v: string) => {
    const t = now();
    const hm = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(v);
    if (hm) {
      const d = new Date(t);
      d.setHours(Number(hm[1]), Number(hm[2]), 0, 0);
      if (d.getTime() <= t.getTime()) d.setDate(d.getDate() + 1);
      return d;
    }
    const rel = /^\+(\d{1,5})(m|h)?$/.exec(v);
    if (rel) return new Date(t.getTime() + Number(rel[1]) * (rel[2] === 'h' ? 3_600_000 : 60_000));
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(v)) {
      const d = new Date(v);
      if (!Number.isNaN(d.getTime())) return d;
    }
    throw new InvalidArgumentError(`${name} must be a time: HH:MM, +MINUTES (e.g. +90, +2h) or an ISO date-time with a zone (2026-12-02T16:30Z), got ${showValue(v)}`);
  };
}
