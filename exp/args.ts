/** Numeric flags of the experiment scripts: the default when absent, else a checked number (the CLI's one parser). */
import { parseNumber } from '../src/cli/options.js';

export function numArg(name: string, v: string | undefined, dflt: number, min = 1, integer = true): number {
  if (v === undefined) return dflt;
  return parseNumber(`--${name}`, v, { min, integer });
}
