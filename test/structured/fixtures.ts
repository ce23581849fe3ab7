/**
 * Small models and helpers shared by the structured-pruning tests. Every kernel is drawn from a seeded
 * Glorot initialiser (each fixture restarts the seed sequence), so a test that depends on the
 * fixtures' weights sees the same weights on every run.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, randNormal } from '../../src/util/random.js';
import type { ChannelGraph } from '../../src/structured/graph.js';

type ST = tf.SymbolicTensor;
let nextSeed = 0;
/** Restarts the kernel seed sequence (each fixture calls it first). */
const seedFrom = (base: number) => {
  nextSeed = base;
};
const init = () => tf.initializers.glorotUniform({ seed: nextSeed++ });
const conv = (filters: number, k = 3, strides = 1, name?: string) =>
  tf.layers.conv2d({ filters, kernelSize: k, strides, padding: 'same', kernelInitializer: init(), ...(name ? { name } : {}) });
const dense = (units: number, activation?: 'relu') => tf.layers.dense({ units, kernelInitializer: init(), ...(activation ? { activation } : {}) });
const bn = () => tf.layers.batchNormalization();
const relu = () => tf.layers.activation({ activation: 'relu' });

export function sequentialNet(): tf.Sequential {
  seedFrom(100);
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 6, kernelSize: 3, padding: 'same', kernelInitializer: init() }),
      bn(),
      relu(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      conv(5),
      bn(),
      tf.layers.reLU(),
      tf.layers.flatten(),
      dense(7, 'relu'),
      tf.layers.dropout({ rate: 0.5 }),
      dense(3),
    ],
  });
}

export function vggLike(): tf.LayersModel {
  seedFrom(200);
  const x = tf.input({ shape: [8, 8, 3] });
  let h: ST = x;
  for (const [f, pool] of [[8, false], [8, true], [12, true]] as const) {
    h = relu().apply(bn().apply(conv(f).apply(h))) as ST;
    if (pool) h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as ST;
  }
  h = tf.layers.averagePooling2d({ poolSize: 2 }).apply(h) as ST;
  h = tf.layers.flatten().apply(h) as ST;
  h = relu().apply(bn().apply(dense(16).apply(h))) as ST;
  const y = dense(4).apply(h) as ST;
  return tf.model({ inputs: x, outputs: y });
}

export function smallResNet(): tf.LayersModel {
  seedFrom(300);
  const x = tf.input({ shape: [8, 8, 3] });
  let h = relu().apply(bn().apply(conv(8).apply(x))) as ST;
  // identity block
  let b = relu().apply(bn().apply(conv(6).apply(h))) as ST;
  b = bn().apply(conv(8).apply(b)) as ST;
  h = relu().apply(tf.layers.add().apply([h, b])) as ST;
  // projection block (stride 2)
  let p = relu().apply(bn().apply(conv(10, 3, 2).apply(h))) as ST;
  p = bn().apply(conv(12).apply(p)) as ST;
  const sc = bn().apply(conv(12, 1, 2).apply(h)) as ST;
  h = relu().apply(tf.layers.add().apply([p, sc])) as ST;
  // second identity block on the projected stage
  let c = relu().apply(bn().apply(conv(7).apply(h))) as ST;
  c = bn().apply(conv(12).apply(c)) as ST;
  h = relu().apply(tf.layers.add().apply([h, c])) as ST;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as ST;
  const y = dense(3).apply(h) as ST;
  return tf.model({ inputs: x, outputs: y });
}

export function concatNet(): tf.LayersModel {
  seedFrom(400);
  const x = tf.input({ shape: [6, 6, 2] });
  const a = relu().apply(conv(4).apply(x)) as ST;
  const b = relu().apply(conv(5, 1).apply(x)) as ST;
  let h = tf.layers.concatenate({ axis: -1 }).apply([a, b]) as ST;
  h = bn().apply(h) as ST;
  h = relu().apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init() }).apply(h)) as ST;
  h = relu().apply(conv(6, 1).apply(h)) as ST;
  h = tf.layers.flatten().apply(h) as ST;
  const y = dense(3).apply(h) as ST;
  return tf.model({ inputs: x, outputs: y });
}

/** Gives every BatchNormalization random, non-trivial γ, β and running statistics. */
export function randomizeBN(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const vals = layer.weights.map((w) => {
      const n = w.shape[0] as number;
      const role = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const z = randNormal(rng);
        a[i] = role === 'moving_variance' ? 0.5 + Math.abs(z) : role === 'gamma' ? 1 + 0.3 * z : 0.3 * z;
      }
      return tf.tensor1d(a);
    });
    layer.setWeights(vals);
    tf.dispose(vals);
  }
}

/** Edits one layer's weights on the host: fn gets (role, values, shape) and mutates values. */
export function editWeights(layer: tf.layers.Layer, fn: (role: string, v: Float32Array, shape: number[]) => void): void {
  const vals = layer.weights.map((w) => {
    const t = w.read();
    const v = Float32Array.from(t.dataSync() as Float32Array);
    fn(w.originalName.slice(w.originalName.lastIndexOf('/') + 1), v, t.shape);
    return tf.tensor(v, t.shape);
  });
  layer.setWeights(vals);
  tf.dispose(vals);
}

/**
 * Makes the listed channels of each group output exactly zero everywhere: producers' filters and
 * biases are zeroed, every BN/depthwise on the group's channels gets γ = β = 0 / zero kernel.
 */
export function killChannels(model: tf.LayersModel, graph: ChannelGraph, dead: Map<number, number[]>): void {
  for (const [gid, chans] of dead) {
    const g = graph.groups[gid];
    for (const p of g.producers) {
      editWeights(model.getLayer(p), (role, v, shape) => {
        const out = shape[shape.length - 1];
        for (const c of chans) for (let i = c; i < v.length; i += out) v[i] = 0;
        void role;
      });
    }
    for (const m of g.channelwise) {
      editWeights(model.getLayer(m.layer), (role, v, shape) => {
        const per = role === 'depthwise_kernel' ? shape[2] : m.channels;
        if (role === 'moving_mean' || role === 'moving_variance') return;
        for (let r = 0; r < m.repeat; r++)
          for (const c of chans) {
            const pos = r * m.channels + m.offset + c;
            for (let i = pos; i < v.length; i += per * m.repeat) v[i] = 0;
          }
      });
    }
  }
}

/** Deterministic NHWC input batch. */
export function inputBatch(model: tf.LayersModel, n: number, seed: number): tf.Tensor {
  const shape = [n, ...(model.inputs[0].shape.slice(1) as number[])];
  const size = shape.reduce((a, b) => a * b, 1);
  const rng = createRng(seed);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = randNormal(rng);
  return tf.tensor(v, shape);
}

/** A small random ImageSet matching a model's input. */
export function randomImageSet(model: tf.LayersModel, count: number, seed: number): import('../../src/data/types.js').ImageSet {
  const [h, w, c] = model.inputs[0].shape.slice(1) as number[];
  const rng = createRng(seed);
  const images = new Float32Array(count * h * w * c);
  for (let i = 0; i < images.length; i++) images[i] = randNormal(rng);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  return { name: 'random', images, labels, count, height: h, width: w, channels: c, numClasses: 3 };
}
