/** Small deterministic models and a naive LAP reference (explicit index loops, TF.js layouts). */
import * as tf from '@tensorflow/tfjs';
import { seededValues } from '../helpers/backends.js';
import type { ImageSet } from '../../src/data/types.js';

/** Sets every weight of `model` to seeded values; BN variances/gammas positive. */
export function fillWeights(model: tf.LayersModel, seed: number): void {
  const ws = model.weights.map((v, i) => {
    const shape = v.read().shape;
    const n = shape.reduce((a, b) => a * b, 1);
    let vals = seededValues(n, seed * 101 + i);
    if (/moving_variance|gamma/.test(v.originalName)) vals = vals.map((x) => 0.5 + Math.abs(x));
    return tf.tensor(vals, shape);
  });
  model.setWeights(ws);
  tf.dispose(ws);
}

export function denseNet(seed = 1): tf.Sequential {
  const m = tf.sequential({ name: 'dense3' });
  m.add(tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu', name: 'd1' }));
  m.add(tf.layers.dense({ units: 4, activation: 'relu', name: 'd2' }));
  m.add(tf.layers.dense({ units: 3, name: 'd3' }));
  fillWeights(m, seed);
  return m;
}

export function convNet(seed = 2): tf.Sequential {
  const m = tf.sequential({ name: 'convflat' });
  m.add(tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu', name: 'c1' }));
  m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'c2' }));
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dense({ units: 5, activation: 'relu', name: 'f1' }));
  m.add(tf.layers.dense({ units: 3, name: 'f2' }));
  fillWeights(m, seed);
  return m;
}

export function bnNet(seed = 3): tf.Sequential {
  const m = tf.sequential({ name: 'bnnet' });
  m.add(tf.layers.dense({ inputShape: [6], units: 5, name: 'b1' }));
  m.add(tf.layers.batchNormalization({ name: 'bn1' }));
  m.add(tf.layers.activation({ activation: 'relu', name: 'r1' }));
  m.add(tf.layers.dense({ units: 4, name: 'b2' }));
  m.add(tf.layers.activation({ activation: 'relu', name: 'r2' }));
  m.add(tf.layers.batchNormalization({ name: 'bn2' }));
  m.add(tf.layers.dense({ units: 3, name: 'b3' }));
  fillWeights(m, seed);
  return m;
}

export function values(model: tf.LayersModel, layer: string, which = 0): Float32Array {
  return Float32Array.from(model.getLayer(layer).getWeights()[which].dataSync() as Float32Array);
}

/** Random image set of `count` h×w×c images, labels in [0, classes). */
export function randomImages(count: number, h: number, w: number, c: number, classes: number, seed: number): ImageSet {
  const images = seededValues(count * h * w * c, seed);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % classes;
  return { name: 'random', images, labels, count, height: h, width: w, channels: c, numClasses: classes };
}

// ---------- naive LAP, written independently from src (explicit multi-index loops) ----------

/** Dense [in,out] → E_out[j] = Σ_k W[k][j]², E_in[k] = Σ_j W[k][j]². */
export function denseEnergies(w: Float32Array, nin: number, nout: number): { eOut: number[]; eIn: number[] } {
  const eOut = new Array(nout).fill(0);
  const eIn = new Array(nin).fill(0);
  for (let k = 0; k < nin; k++) for (let j = 0; j < nout; j++) {
    const v = w[k * nout + j] ** 2;
    eOut[j] += v;
    eIn[k] += v;
  }
  return { eOut, eIn };
}

/** Conv [kh,kw,in,out] energies. */
export function convEnergies(w: Float32Array, kh: number, kw: number, nin: number, nout: number): { eOut: number[]; eIn: number[] } {
  const eOut = new Array(nout).fill(0);
  const eIn = new Array(nin).fill(0);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let k = 0; k < nin; k++) for (let j = 0; j < nout; j++) {
    const v = w[((a * kw + b) * nin + k) * nout + j] ** 2;
    eOut[j] += v;
    eIn[k] += v;
  }
  return { eOut, eIn };
}

/** score[k][j] for a dense kernel. */
export function naiveDenseScore(w: Float32Array, nin: number, nout: number, A: number[] | null, B: number[] | null): Float32Array {
  const s = new Float32Array(nin * nout);
  for (let k = 0; k < nin; k++) for (let j = 0; j < nout; j++) s[k * nout + j] = w[k * nout + j] ** 2 * (A ? A[k] : 1) * (B ? B[j] : 1);
  return s;
}

export function naiveConvScore(w: Float32Array, kh: number, kw: number, nin: number, nout: number, A: number[] | null, B: number[] | null): Float32Array {
  const s = new Float32Array(kh * kw * nin * nout);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let k = 0; k < nin; k++) for (let j = 0; j < nout; j++) {
    const i = ((a * kw + b) * nin + k) * nout + j;
    s[i] = w[i] ** 2 * (A ? A[k] : 1) * (B ? B[j] : 1);
  }
  return s;
}

export function assertClose(actual: Float32Array, expected: Float32Array, tol = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol * (maxAbs + 1e-12)) {
      throw new Error(`mismatch at ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  }
}
