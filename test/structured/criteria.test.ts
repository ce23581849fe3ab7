import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildChannelGraph, prunableGroups, type ChannelGraph } from '../../src/structured/graph.js';
import { matrixRank, scoreChannels, hookLayers, type CriterionName } from '../../src/structured/criteria/index.js';
import { calibrationIndices } from '../../src/structured/criteria/calibration.js';
import type { ImageSet } from '../../src/data/types.js';
import { createRng, randNormal } from '../../src/util/random.js';
import { randomImageSet, randomizeBN, smallResNet, vggLike } from './fixtures.js';

await tf.setBackend('cpu');

function lowRank(m: number, n: number, r: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const a = Array.from({ length: m * r }, () => randNormal(rng));
  const b = Array.from({ length: r * n }, () => randNormal(rng));
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let k = 0; k < r; k++) out[i * n + j] += a[i * r + k] * b[k * n + j];
  return out;
}

test('matrixRank on known-rank matrices', () => {
  for (const [m, n] of [[8, 8], [6, 9], [16, 4], [32, 32]]) {
    for (let r = 0; r <= Math.min(m, n); r += Math.max(1, Math.floor(Math.min(m, n) / 4))) {
      assert.equal(matrixRank(lowRank(m, n, r, m * 100 + r), m, n), r, `${m}×${n} rank ${r}`);
    }
  }
  const eye = new Float32Array(25);
  for (let i = 0; i < 5; i++) eye[i * 6] = 1;
  assert.equal(matrixRank(eye, 5, 5), 5);
  assert.equal(matrixRank(new Float32Array(12), 3, 4), 0);
  // Two equal rows and a zero row: rank 2.
  assert.equal(matrixRank([1, 2, 3, 1, 2, 3, 0, 0, 0, 4, 5, 7], 4, 3), 2);
  // A tiny perturbation below the tolerance does not raise the rank; a larger one does.
  const x = lowRank(6, 6, 2, 7);
  x[0] += 1e-9;
  assert.equal(matrixRank(x, 6, 6), 2);
  x[0] += 0.5;
  assert.equal(matrixRank(x, 6, 6), 3);
});

/** Host reference: the hook maps for the calibration sample, per hook layer, as [N, H, W, C] arrays. */
function hookMaps(model: tf.LayersModel, names: string[], set: ImageSet, idx: Int32Array): { v: Float32Array; shape: number[] }[] {
  const per = set.height * set.width * set.channels;
  const buf = new Float32Array(idx.length * per);
  idx.forEach((j, i) => buf.set(set.images.subarray(j * per, (j + 1) * per), i * per));
  const ext = tf.model({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).output as tf.SymbolicTensor) });
  return tf.tidy(() => {
    const x = tf.tensor4d(buf, [idx.length, set.height, set.width, set.channels]);
    const outs = ext.predict(x);
    return (Array.isArray(outs) ? outs : [outs]).map((t) => {
      const s = t.rank === 2 ? [t.shape[0], 1, 1, t.shape[1]] as number[] : t.shape as number[];
      return { v: Float32Array.from(t.dataSync() as Float32Array), shape: s };
    });
  });
}

/** Reference per-channel score of maps: f gets one channel's H×W map. */
function reference(graph: ChannelGraph, model: tf.LayersModel, set: ImageSet, idx: Int32Array, hook: 'pre-pool' | 'post-pool', f: (map: Float32Array, h: number, w: number) => number): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  for (const g of prunableGroups(graph)) {
    const names = hookLayers(g, hook);
    const maps = hookMaps(model, names, set, idx);
    const total = new Float64Array(g.channels);
    for (const { v, shape } of maps) {
      const [n, h, w, c] = shape;
      for (let i = 0; i < n; i++)
        for (let ch = 0; ch < c; ch++) {
          const map = new Float32Array(h * w);
          for (let p = 0; p < h * w; p++) map[p] = v[(i * h * w + p) * c + ch];
          total[ch] += f(map, h, w) / n;
        }
    }
    out.set(g.id, total);
  }
  return out;
}

function assertClose(a: Map<number, Float64Array>, b: Map<number, Float64Array>, tol: number, what: string): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [id, x] of a) {
    const y = b.get(id)!;
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= tol * (Math.abs(y[i]) + 1e-6), `${what} group ${id} ch ${i}: ${x[i]} vs ${y[i]}`);
  }
}

const energy = (m: Float32Array) => m.reduce((s, x) => s + x * x, 0);
const opts = { calibBatches: 3, calibBatchSize: 4, seed: 5 };

test('dct (full spectrum) equals spatial energy; dct_dc = H·W·mean²; dct_low between them', () => {
  const m = vggLike();
  randomizeBN(m, 1);
  const g = buildChannelGraph(m);
  const set = randomImageSet(m, 20, 2);
  const idx = calibrationIndices(set, 3, 4, 5);
  assert.equal(idx.length, 12);
  const before = tf.memory().numTensors;
  const dct = scoreChannels(m, g, 'dct', set, opts);
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  assertClose(dct, reference(g, m, set, idx, 'pre-pool', energy), 1e-4, 'dct vs energy');
  const dc = scoreChannels(m, g, 'dct_dc', set, opts);
  assertClose(dc, reference(g, m, set, idx, 'pre-pool', (map, h, w) => { const mu = map.reduce((s, x) => s + x, 0) / (h * w); return h * w * mu * mu; }), 1e-4, 'dc');
  const low = scoreChannels(m, g, 'dct_low', set, opts);
  for (const [id, l] of low) l.forEach((v, i) => assert.ok(v <= dct.get(id)![i] * (1 + 1e-5) + 1e-9 && v >= dc.get(id)![i] * (1 - 1e-5) - 1e-9));
  // k = H gives the full spectrum back.
  assertClose(scoreChannels(m, g, 'dct_low', set, { ...opts, dctK: 1000 }), dct, 1e-5, 'low k=H');
  // The post-pool hook reads the pooled maps.
  assertClose(scoreChannels(m, g, 'dct', set, { ...opts, hook: 'post-pool' }), reference(g, m, set, idx, 'post-pool', energy), 1e-4, 'post-pool');
  m.dispose();
});

test('hrank = mean matrix rank of the hook maps', () => {
  const m = vggLike();
  const g = buildChannelGraph(m);
  const set = randomImageSet(m, 12, 3);
  const idx = calibrationIndices(set, 3, 4, 5);
  const ranks = scoreChannels(m, g, 'hrank', set, opts);
  assertClose(ranks, reference(g, m, set, idx, 'pre-pool', (map, h, w) => matrixRank(map, h, w)), 1e-9, 'hrank');
  // Ranks of 8×8 post-ReLU maps are between 0 and 8 and not all equal.
  const all = [...ranks.values()].flatMap((x) => Array.from(x));
  assert.ok(all.every((r) => r >= 0 && r <= 8) && new Set(all).size > 1);
  m.dispose();
});

test('residual groups sum the scores of every member map', () => {
  const m = smallResNet();
  randomizeBN(m, 4);
  const g = buildChannelGraph(m);
  const set = randomImageSet(m, 8, 6);
  const o = { calibBatches: 2, calibBatchSize: 4, seed: 1 };
  const idx = calibrationIndices(set, 2, 4, 1);
  const res = g.groups.find((x) => x.producers.length === 3)!;
  assert.equal(res.hooks.length, 3);
  const s = scoreChannels(m, g, 'dct', set, o);
  assertClose(s, reference(g, m, set, idx, 'pre-pool', energy), 1e-4, 'resnet');
  m.dispose();
});

test('l1 = Σ|kernel| per output filter', () => {
  const m = vggLike();
  const g = buildChannelGraph(m);
  const s = scoreChannels(m, g, 'l1', undefined);
  for (const grp of prunableGroups(g)) {
    const k = m.getLayer(grp.producers[0]).getWeights()[0];
    const ref = tf.tidy(() => tf.sum(tf.abs(k), [...Array(k.rank - 1).keys()]).dataSync());
    s.get(grp.id)!.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-4 * ref[i]));
  }
  m.dispose();
});

test('criteria are deterministic for a seed; map criteria need calibration images', () => {
  const m = vggLike();
  const g = buildChannelGraph(m);
  const set = randomImageSet(m, 40, 8);
  for (const c of ['random', 'dct'] as CriterionName[]) {
    const a = scoreChannels(m, g, c, set, { ...opts, seed: 1 });
    const b = scoreChannels(m, g, c, set, { ...opts, seed: 1 });
    const d = scoreChannels(m, g, c, set, { ...opts, seed: 2 });
    assert.deepEqual(a, b, c);
    assert.notDeepEqual(a, d, `${c}: another seed should differ`);
  }
  assert.throws(() => scoreChannels(m, g, 'hrank', undefined), /needs calibration images/);
  assert.throws(() => scoreChannels(m, g, 'dct', { ...set, height: 9 }), /expects/);
  assert.throws(() => scoreChannels(m, g, 'fancy' as CriterionName, set), /unknown filter criterion 'fancy'/);
  m.dispose();
});
