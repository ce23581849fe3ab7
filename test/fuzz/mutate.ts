/**
 * The fuzz suite's mutation language: a case is a list of ops applied to a known-good input, so a
 * random case found by a seed can be stored in the corpus as plain JSON and replayed exactly.
 */
import { createRng, randInt, type Rng } from '../../src/util/random.js';

export type JsonPath = (string | number)[];
export type JsonOp =
  | { op: 'set'; path: JsonPath; value: unknown }
  | { op: 'delete'; path: JsonPath }
  | { op: 'dup'; path: JsonPath };
export type ByteOp =
  | { op: 'flip'; at: number; value: number }
  | { op: 'truncate'; length: number }
  | { op: 'extend'; count: number; value: number }
  | { op: 'u32'; at: number; value: number };

/** Values that break parsers: wrong types, negative, huge, fractional, path tricks. */
export const NASTY_VALUES: unknown[] = [
  null, true, 0, -1, -300, 0.5, 1e9, 2 ** 32, 1e308, 'x', '', [], {}, [1, 2], [-1], [1e9, 1e9], [0.5], ['a'],
  '../outside/x.bin', '/dev/zero', '../../../../../../dev/zero', '.', '..', 'group1-shard1of1.bin', 'int32', 'bool', 'float16', 'graph-model',
];

/** Strings that break flag parsers. */
export const NASTY_ARGS = [
  '', ' ', '0x0', '0b1', '1e999', '-1', 'NaN', 'Infinity', '[0.5]*1e9', '0.5,,0.7', '0.5,', ',', '1_0', '\u0000', 'x'.repeat(5000),
  '../../etc', '/dev/zero', '/proc/prunekit/x', '0.5', '3', '1e-3', '1,2,3', '4-10', '4-1e9', '[0.5]*3', '--', '-h',
];

function walk(obj: unknown, path: JsonPath): { parent: any; key: string | number } | undefined {
  let cur: any = obj;
  for (let i = 0; i < path.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[path[i]];
  }
  if (cur === null || typeof cur !== 'object') return undefined;
  return { parent: cur, key: path[path.length - 1] };
}

export function applyJson(base: unknown, ops: JsonOp[]): unknown {
  const obj = structuredClone(base);
  for (const o of ops) {
    const at = walk(obj, o.path);
    if (!at) continue;
    if (o.op === 'set') at.parent[at.key] = structuredClone(o.value);
    else if (o.op === 'delete') {
      if (Array.isArray(at.parent) && typeof at.key === 'number') at.parent.splice(at.key, 1);
      else delete at.parent[at.key];
    } else if (o.op === 'dup' && Array.isArray(at.parent[at.key])) {
      const arr = at.parent[at.key] as unknown[];
      if (arr.length > 0) arr.push(structuredClone(arr[0]));
    }
  }
  return obj;
}

export function applyBytes(base: Uint8Array, ops: ByteOp[]): Uint8Array {
  let b = Uint8Array.from(base);
  for (const o of ops) {
    if (o.op === 'flip' && b.length > 0) b[o.at % b.length] = o.value & 255;
    else if (o.op === 'truncate') b = b.slice(0, Math.min(b.length, o.length));
    else if (o.op === 'extend') b = Uint8Array.from([...b, ...new Uint8Array(Math.min(o.count, 4096)).fill(o.value & 255)]);
    else if (o.op === 'u32' && b.length >= 4) new DataView(b.buffer).setUint32(Math.min(o.at, b.length - 4), o.value >>> 0, true);
  }
  return b;
}

/** Every path (objects and arrays) in a JSON value, up to `depth`. */
export function jsonPaths(v: unknown, depth = 6, prefix: JsonPath = []): JsonPath[] {
  if (depth === 0 || v === null || typeof v !== 'object') return [];
  const out: JsonPath[] = [];
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v as object);
  for (const [k, x] of entries.slice(0, 12)) {
    const p = [...prefix, k];
    out.push(p, ...jsonPaths(x, depth - 1, p));
  }
  return out;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randInt(rng, xs.length)];

export function randomJsonOps(rng: Rng, base: unknown, preferred: JsonPath[] = []): JsonOp[] {
  const paths = jsonPaths(base);
  const n = 1 + randInt(rng, 3);
  return Array.from({ length: n }, () => {
    const path = preferred.length > 0 && rng() < 0.6 ? pick(rng, preferred) : pick(rng, paths);
    const r = rng();
    if (r < 0.7) return { op: 'set', path, value: pick(rng, NASTY_VALUES) } as JsonOp;
    if (r < 0.85) return { op: 'delete', path } as JsonOp;
    return { op: 'dup', path: path.slice(0, -1).length ? path.slice(0, -1) : path } as JsonOp;
  });
}

export function randomByteOps(rng: Rng, length: number, hot: number[] = []): ByteOp[] {
  const n = 1 + randInt(rng, 3);
  return Array.from({ length: n }, () => {
    const r = rng();
    const at = hot.length > 0 && rng() < 0.5 ? pick(rng, hot) : randInt(rng, Math.max(1, length));
    if (r < 0.45) return { op: 'flip', at, value: randInt(rng, 256) } as ByteOp;
    if (r < 0.6) return { op: 'truncate', length: randInt(rng, Math.max(1, length)) } as ByteOp;
    if (r < 0.7) return { op: 'extend', count: 1 + randInt(rng, 64), value: randInt(rng, 256) } as ByteOp;
    return { op: 'u32', at, value: pick(rng, [0, 1, 3, 255, 65535, 2 ** 31, 2 ** 32 - 1, 300, 1e6]) } as ByteOp;
  });
}

export { createRng, randInt, pick };
