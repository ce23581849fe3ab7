/** Option parsers shared by CLI commands: each turns a flag's text into a value or a clear error. */
import { InvalidArgumentError } from 'commander';

export function parseIntOption(name: string, min = 0): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
}

export function parseFloatOption(name: string, min = -Infinity, max = Infinity): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got '${v}'`);
    }
    return n;
  };
}

export function parseShape(v: string): [number, number, number] {
  const parts = v.split(/[,x×]/).map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`input shape must be H,W,C (e.g. 28,28,1), got '${v}'`);
  }
  return [parts[0], parts[1], parts[2]];
}

export function parseChoice<T extends string>(name: string, choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(choices as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got '${v}'`);
    }
    return v as T;
  };
}

/** A comma-separated list of names (e.g. layers for --ignore): trimmed, empty items dropped, at least one. */
export function parseNameList(name: string): (v: string) => string[] {
  return (v: string) => {
    const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (list.length === 0) throw new InvalidArgumentError(`${name} must be a comma-separated list of names, got '${v}'`);
    return list;
  };
}
