import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globalRule, layerwiseRule, selectTop, splitRate } from '../../src/prune/rules.js';
import { MaskSet } from '../../src/prune/masks.js';
import { seededValues } from '../helpers/backends.js';

function masksOf(sizes: Record<string, number>): MaskSet {
  const m = new MaskSet();
  for (const [k, n] of Object.entries(sizes)) m.set(k, new Uint8Array(n).fill(1));
  return m;
}

/** Naive: sort alive indices by (score desc, index asc), keep first `keep`. */
function naiveTop(scores: number[], alive: Uint8Array, keep: number): Uint8Array {
  const idx = [...scores.keys()].filter((i) => alive[i]).sort((a, b) => scores[b] - scores[a] || a - b);
  const out = new Uint8Array(scores.length);
  for (const i of idx.slice(0, keep)) out[i] = 1;
  return out;
}

test('layer-wise rule keeps exactly round((1 − r)·alive), never revives, matches a naive sort', () => {
  const masks = masksOf({ a: 101, b: 37 });
  const a0 = masks.get('a');
  for (let i = 0; i < 101; i += 4) a0[i] = 0; // 26 pruned already → 75 alive
  const scores = new Map([
    ['a', Float32Array.from(seededValues(101, 5), (v) => Math.abs(v))],
    ['b', Float32Array.from(seededValues(37, 6), (v) => Math.round(v * 3))], // many ties
  ]);
  const next = layerwiseRule(scores, masks, new Map([['a', 0.3], ['b', 0.55]]));
  assert.equal(next.alive('a'), Math.round(0.7 * 75));
  assert.equal(next.alive('b'), Math.round(0.45 * 37));
  for (let i = 0; i < 101; i += 4) assert.equal(next.get('a')[i], 0);
  assert.deepEqual(next.get('a'), naiveTop(Array.from(scores.get('a')!), a0, Math.round(0.7 * 75)));
  assert.deepEqual(next.get('b'), naiveTop(Array.from(scores.get('b')!), new Uint8Array(37).fill(1), Math.round(0.45 * 37)));
  assert.equal(masks.alive('b'), 37, 'input masks untouched');
});

test('global normalised rule equals a naive computation', () => {
  const masks = masksOf({ a: 60, b: 25, c: 40 });
  masks.get('c').fill(0, 0, 10);
  const raw: Record<string, Float32Array> = {
    a: Float32Array.from(seededValues(60, 1), (v) => v * v * 10),
    b: Float32Array.from(seededValues(25, 2), (v) => Math.abs(v) * 0.01),
    c: Float32Array.from(seededValues(40, 3), (v) => Math.abs(v)),
  };
  const scores = new Map(Object.entries(raw));
  const r = 0.62;
  const next = globalRule(scores, masks, ['a', 'b', 'c'], r, true);
  // naive
  const all: { layer: string; i: number; v: number; order: number }[] = [];
  let order = 0;
  let alive = 0;
  for (const name of ['a', 'b', 'c']) {
    const s = raw[name];
    const m = masks.get(name);
    let norm = 0;
    for (let i = 0; i < s.length; i++) if (m[i]) norm += s[i] * s[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < s.length; i++) if (m[i]) { all.push({ layer: name, i, v: Math.fround(s[i] * (1 / norm)), order: order++ }); alive++; }
  }
  all.sort((x, y) => y.v - x.v || x.order - y.order);
  const keep = Math.round((1 - r) * alive);
  assert.equal(next.totalAlive(), keep);
  const want = masksOf({ a: 60, b: 25, c: 40 });
  for (const n of ['a', 'b', 'c']) want.get(n).fill(0);
  for (const e of all.slice(0, keep)) want.get(e.layer)[e.i] = 1;
  assert.ok(next.equals(want));
  // without normalisation layer b (tiny scores) would be wiped out; with it, it keeps some
  assert.ok(next.alive('b') > 0);
  assert.equal(globalRule(scores, masks, ['a', 'b', 'c'], r, false).alive('b'), 0);
});

test('selectTop breaks ties by lower index and handles keep = 0 / all', () => {
  const s = new Float32Array([1, 1, 1, 1, 0]);
  const alive = new Uint8Array(5).fill(1);
  assert.deepEqual(Array.from(selectTop([{ scores: s, alive }], 2)[0]), [1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(selectTop([{ scores: s, alive }], 0)[0]), [0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(selectTop([{ scores: s, alive }], 5)[0]), [1, 1, 1, 1, 1]);
  assert.throws(() => selectTop([{ scores: s, alive }], 6), /cannot keep 6 of 5/);
  assert.throws(() => selectTop([{ scores: new Float32Array([NaN, 1]), alive: new Uint8Array([1, 1]) }], 1), /NaN/);
});

test('split sub-step rates compound to the step ratio (methods.md 5.5)', () => {
  for (const [r, s] of [[0.5, 2], [0.9, 3], [0.3, 5]] as const) {
    let remaining = 1;
    for (let t = 0; t < s; t++) remaining *= 1 - splitRate(r, s, t);
    assert.ok(Math.abs(remaining - (1 - r)) < 1e-12, `r=${r} s=${s}: ${remaining}`);
    // each sub-step removes r/s of the original weights
    let rem = 1;
    for (let t = 0; t < s; t++) {
      const before = rem;
      rem *= 1 - splitRate(r, s, t);
      assert.ok(Math.abs(before - rem - r / s) < 1e-12);
    }
  }
});

test('rules reject bad ratios', () => {
  const masks = masksOf({ a: 4 });
  const scores = new Map([['a', new Float32Array(4)]]);
  assert.throws(() => layerwiseRule(scores, masks, new Map([['a', 1]])), /layer 'a' must be in \[0, 1\)/);
  assert.throws(() => globalRule(scores, masks, ['a'], -0.1, true), /must be in \[0, 1\)/);
});
