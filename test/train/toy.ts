/** Tiny learnable data and models for the training tests. */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../../src/data/types.js';
import { createRng, randNormal } from '../../src/util/random.js';

/** `count` 4×4×1 images, labels = argmax of a fixed random linear map (linearly separable). */
export function toySet(count: number, seed: number, classes = 3, name = 'toy'): ImageSet {
  const rng = createRng(seed);
  const wRng = createRng(12345);
  const per = 16;
  const w = Array.from({ length: classes * per }, () => randNormal(wRng));
  const images = new Float32Array(count * per);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = -Infinity;
    for (let p = 0; p < per; p++) images[i * per + p] = randNormal(rng);
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let p = 0; p < per; p++) s += w[c * per + p] * images[i * per + p];
      if (s > best) {
        best = s;
        labels[i] = c;
      }
    }
  }
  return { name, images, labels, count, height: 4, width: 4, channels: 1, numClasses: classes };
}

/** Flatten → Dense(8, relu) → Dense(classes) logits, seeded initialisers. */
export function toyMlp(seed: number, classes = 3, hidden = 8): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1] });
  const f = tf.layers.flatten({ name: 'flat' }).apply(input);
  const h = tf.layers
    .dense({ name: 'fc1', units: hidden, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) })
    .apply(f);
  const out = tf.layers
    .dense({ name: 'fc2', units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: `toy${seed}` });
}

/** Small conv net (conv → BN → relu → pool → dense) for cpu-backend tests. */
export function toyCnn(seed: number, classes = 3): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1] });
  let x = tf.layers
    .conv2d({ name: 'conv1', filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed }) })
    .apply(input);
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x);
  x = tf.layers.activation({ name: 'relu1', activation: 'relu' }).apply(x);
  x = tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }).apply(x);
  x = tf.layers.flatten({ name: 'flat' }).apply(x);
  const out = tf.layers
    .dense({ name: 'fc', units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: `cnn${seed}` });
}

export function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
}

export function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  if (a.length !== b.length) throw new Error(`weight count ${a.length} vs ${b.length}`);
  let m = 0;
  a.forEach((x, i) => {
    if (x.length !== b[i].length) throw new Error(`weight ${i} length ${x.length} vs ${b[i].length}`);
    for (let k = 0; k < x.length; k++) m = Math.max(m, Math.abs(x[k] - b[i][k]));
  });
  return m;
}
