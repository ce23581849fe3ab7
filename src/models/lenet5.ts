/**
 * LeNet-5-like CNN (LAP's "LeNet-5" row; classic LeNet-5 layout):
 * conv1 6@5×5 'same' (ReLU) → pool1 2×2 → conv2 16@5×5 'valid' (ReLU) → pool2 2×2 → Flatten →
 * fc1 120 → fc2 84 → fc3 classes.
 *
 * conv1 uses 'same' padding so a 28×28 MNIST digit yields the classic 5×5×16 = 400 features before fc1
 * (equivalent to LeNet-5's 32×32 input with a valid conv). On 32×32×3 it gives 6×6×16 = 576.
 * Init: Xavier-normal, zero biases (LAP's masked layers).
 */
import type * as tf from '@tensorflow/tfjs';
import { ChainBuilder } from './layers.js';
import { MNIST_SHAPE, resolveOptions, scaleWidth } from './options.js';
import type { ZooOptions } from './types.js';

export function createLenet5(opts: ZooOptions = {}): tf.Sequential {
  const o = resolveOptions('lenet5', opts, MNIST_SHAPE);
  const w = (c: number) => scaleWidth(c, o.widthMultiplier);
  return new ChainBuilder('lenet5', o)
    .conv('conv1', w(6), { kernel: 5, padding: 'same', activation: 'relu', init: 'xavier' })
    .maxPool('pool1')
    .conv('conv2', w(16), { kernel: 5, padding: 'valid', activation: 'relu', init: 'xavier' })
    .maxPool('pool2')
    .flatten('flatten')
    .dense('fc1', w(120), { activation: 'relu', init: 'xavier' })
    .dense('fc2', w(84), { activation: 'relu', init: 'xavier' })
    .dense('fc3', o.numClasses, { init: 'xavier' })
    .build();
}
