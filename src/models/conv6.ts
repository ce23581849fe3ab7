/**
 * LAP's Conv-6 (Frankle & Carbin 2019 "Conv-6"): 64, 64, M, 128, 128, M, 256, 256, M, FC 256, 256, classes.
 * Convs 3×3 'same' with bias and ReLU (no BN), 2×2 max-pooling.
 * 32×32×3: 4×4×256 = 4096 features, 2,261,184 conv+dense weights (LAP's masked-weight count);
 * 28×28: 3×3×256 = 2304 features.
 * Init: Xavier-normal, zero biases (LAP's masked layers).
 */
import type * as tf from '@tensorflow/tfjs';
import { ChainBuilder } from './layers.js';
import { CIFAR_SHAPE, resolveOptions, scaleWidth } from './options.js';
import type { ZooOptions } from './types.js';

export function createConv6(opts: ZooOptions = {}): tf.Sequential {
  const o = resolveOptions('conv6', opts, CIFAR_SHAPE);
  const w = (c: number) => scaleWidth(c, o.widthMultiplier);
  const b = new ChainBuilder('conv6', o);
  const conv = { kernel: 3, padding: 'same', activation: 'relu', init: 'xavier' } as const;
  let k = 0;
  [64, 128, 256].forEach((c, stage) => {
    b.conv(`conv${++k}`, w(c), conv).conv(`conv${++k}`, w(c), conv).maxPool(`pool${stage + 1}`);
  });
  return b
    .flatten('flatten')
    .dense('fc1', w(256), { activation: 'relu', init: 'xavier' })
    .dense('fc2', w(256), { activation: 'relu', init: 'xavier' })
    .dense('fc3', o.numClasses, { init: 'xavier' })
    .build();
}
