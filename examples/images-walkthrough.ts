/**
 * Material for the README walk-through "prune your own model on your own images":
 *   runs/shapes/<class>/*.png   a folder of 96×96 (and some 120×100) RGB PNG images, 3 classes
 *   runs/shapes-model/          a Keras-style TF.js model with a 96×96×3 input, briefly trained on them
 * Run: node --import tsx examples/images-walkthrough.ts   (EXAMPLE_IMAGES images per class, default 40;
 * EXAMPLE_STEPS training steps, default 100). Tested, with the README's CLI commands, by
 * test/cli/images-walkthrough.test.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { initBackend, loadDataset, saveModel, trainModel } from '../src/index.js';
import { createRng } from '../src/util/random.js';

const perClass = Number(process.env.EXAMPLE_IMAGES ?? 40);
const steps = Number(process.env.EXAMPLE_STEPS ?? 100);
const root = process.env.EXAMPLE_DIR ?? 'runs';
const images = join(root, 'shapes');
const modelDir = join(root, 'shapes-model');

/** One RGB image of a noisy coloured disc, square or ring on a grey background. */
function drawShape(kind: number, h: number, w: number, rng: () => number): Buffer {
  const png = new PNG({ width: w, height: h });
  const cy = h * (0.35 + 0.3 * rng());
  const cx = w * (0.35 + 0.3 * rng());
  const r = Math.min(h, w) * (0.18 + 0.1 * rng());
  const colour = [80 + 150 * rng(), 80 + 150 * rng(), 80 + 150 * rng()];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = Math.hypot(y - cy, x - cx);
      const inside = kind === 0 ? d < r : kind === 1 ? Math.max(Math.abs(y - cy), Math.abs(x - cx)) < r : d < r && d > 0.6 * r;
      const i = 4 * (y * w + x);
      for (let c = 0; c < 3; c++) png.data[i + c] = Math.max(0, Math.min(255, (inside ? colour[c] : 60) + 30 * (rng() - 0.5)));
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

await initBackend();
const rng = createRng(7);
const classes = ['disc', 'square', 'ring'];
classes.forEach((name, k) => {
  mkdirSync(join(images, name), { recursive: true });
  for (let i = 0; i < perClass; i++) {
    const [h, w] = i % 4 === 3 ? [100, 120] : [96, 96]; // some images of another size: resized and centre-cropped
    writeFileSync(join(images, name, `${name}-${String(i).padStart(3, '0')}.png`), drawShape(k, h, w, rng));
  }
});

// A Keras-style functional model: Conv → BN → ReLU blocks, global average pooling, a linear classifier.
const input = tf.input({ shape: [96, 96, 3], name: 'input_1' });
let x = input as tf.SymbolicTensor;
for (const [i, filters] of [16, 32, 32].entries()) {
  x = tf.layers.conv2d({ filters, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: `conv${i + 1}`, kernelInitializer: tf.initializers.heNormal({ seed: i }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: `bn${i + 1}`, momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: `relu${i + 1}` }).apply(x) as tf.SymbolicTensor;
}
x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
x = tf.layers.dense({ units: 32, activation: 'relu', name: 'fc1', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(x) as tf.SymbolicTensor;
const logits = tf.layers.dense({ units: classes.length, name: 'logits', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(x) as tf.SymbolicTensor;
const model = tf.model({ inputs: input, outputs: logits, name: 'shapes_cnn' });

// Train it briefly on the folder, the way the CLI reads it (-1-1 normalisation, centre-crop to 96×96).
const data = await loadDataset(`images:${images}`, { shape: [96, 96, 3], normalize: { mode: '-1-1' }, progress: false });
await trainModel(model, data.train, { epochs: 100, maxSteps: steps, batchSize: 16, optimizer: { name: 'adam', lr: 3e-3 }, seed: 1, progress: false });
await saveModel(model, modelDir);
console.log(`wrote ${images} (${classes.length} classes × ${perClass} PNG images) and ${modelDir} (input 96×96×3, ${model.countParams()} params)`);
model.dispose();
