/**
 * A small CNN for quick experiments: conv1 32 → conv2 32 → pool1 → conv3 64 → pool2 → Flatten →
 * fc1 128 → fc2 classes. Convs 3×3 'same' with ReLU, 2×2 max-pooling.
 * 28×28×1 → 7×7×64 = 3136 features; 32×32×3 → 8×8×64 = 4096.
 * Init: Xavier-normal, zero biases (same as the LAP-style nets).
 */
import type * as tf from '@tensorflow/tfjs';
import { ChainBuilder } from './layers.js';
import { MNIST_SHAPE, resolveOptions, scaleWidth } from './options.js';
import type { ZooOptions } from './types.js';

export function createSmallCnn(opts: ZooOptions = {}): tf.Sequential {
  const o = resolveOptions('small-cnn', opts, MNIST_SHAPE);
  const w = (c: number) => scaleWidth(c, o.widthMultiplier);
  const conv = { kernel: 3, padding: 'same', activation: 'relu', init: 'xavier' } as const;
  return new ChainBuilder('small-cnn', o)
    .conv('conv1', w(32), conv)
    .conv('conv2', w(32), conv)
    .maxPool('pool1')
    .conv('conv3', w(64), conv)
    .maxPool('pool2')
    .flatten('flatten')
    .dense('fc1', w(128), { activation: 'relu', init: 'xavier' })
    .dense('fc2', o.numClasses, { init: 'xavier' })
    .build();
}
