/** Numeric flags of the experiment scripts: the default when absent, else a checked number. */
export function numArg(name: string, v: string | undefined, dflt: number, min = 1, integer = true): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got '${v}'`);
  return n;
}
