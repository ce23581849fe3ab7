/**
 * Fully connected nets on flattened images.
 *
 * - FCN (LAP, Lee et al. 2020): 784-500-500-500-500-10 on MNIST, ReLU.
 * - LeNet-300-100 (LeCun et al. 1998; Han et al. 2015): 784-300-100-10, ReLU.
 *
 * Init: Xavier-normal weights, zero biases (LAP's masked layers).
 */
import type * as tf from '@tensorflow/tfjs';
import { ChainBuilder } from './layers.js';
import { MNIST_SHAPE, resolveOptions, scaleWidth } from './options.js';
import type { ZooOptions } from './types.js';

function mlp(model: string, hidden: number[], opts: ZooOptions): tf.Sequential {
  const o = resolveOptions(model, opts, MNIST_SHAPE);
  const b = new ChainBuilder(model, o).flatten('flatten');
  hidden.forEach((units, i) => b.dense(`fc${i + 1}`, scaleWidth(units, o.widthMultiplier), { activation: 'relu', init: 'xavier' }));
  b.dense(`fc${hidden.length + 1}`, o.numClasses, { init: 'xavier' });
  return b.build();
}

/** LAP's FCN: Flatten → 4 × Dense 500 (ReLU) → Dense classes (layers fc1…fc5). */
export function createFcn(opts: ZooOptions = {}): tf.Sequential {
  return mlp('fcn', [500, 500, 500, 500], opts);
}

/** LeNet-300-100: Flatten → Dense 300 → Dense 100 → Dense classes (layers fc1…fc3). */
export function createLenet300(opts: ZooOptions = {}): tf.Sequential {
  return mlp('lenet300', [300, 100], opts);
}
