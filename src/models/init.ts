/**
 * Seeded weight initialisation schemes that reproduce the reference (PyTorch) code's choices with stock
 * TF.js initializers, so models save and load without custom classes.
 *
 * Every initializer gets its own seed, derived from the model seed and the weight's name
 * (`deriveSeed(seed, 'conv1/kernel')`), so the same seed gives identical weights and adding a layer does
 * not shift the others' values.
 *
 * Note: TF.js's `glorotNormal`/`heNormal` draw from a normal truncated at 2σ *without* rescaling the
 * standard deviation (the result has ≈0.88σ). PyTorch's `xavier_normal_`/`kaiming_normal_` are untruncated,
 * so we compute σ from the fans ourselves and use the untruncated `randomNormal` initializer.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../util/random.js';

/**
 * - `xavier`: W ~ N(0, 2/(fanIn+fanOut)), bias 0 — LAP's masked layers (`nn.init.xavier_normal_`, zero bias).
 * - `he-fan-out`: W ~ N(0, 2/fanOut), bias 0 — `kaiming_normal_(mode='fan_out', nonlinearity='relu')`,
 *   torchvision-style conv init used for the HRank/DCTPruning VGG and the CIFAR ResNets.
 * - `torch-default`: W, b ~ U(−1/√fanIn, 1/√fanIn) — PyTorch's default `nn.Linear` init
 *   (kaiming_uniform with a=√5 gives exactly this bound).
 */
export type InitScheme = 'xavier' | 'he-fan-out' | 'torch-default';

/** Fans of a kernel: Dense [in, out] or conv [kh, kw, cin, cout] (same convention as PyTorch). */
export function kernelFans(kernelShape: readonly number[]): { fanIn: number; fanOut: number } {
  if (kernelShape.length === 2) return { fanIn: kernelShape[0], fanOut: kernelShape[1] };
  const receptive = kernelShape.slice(0, -2).reduce((a, b) => a * b, 1);
  return {
    fanIn: receptive * kernelShape[kernelShape.length - 2],
    fanOut: receptive * kernelShape[kernelShape.length - 1],
  };
}

/** TF.js does not export the Initializer base class by name from the tfjs bundle. */
type Initializer = ReturnType<typeof tf.initializers.zeros>;

export interface LayerInitializers {
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
}

/** Kernel and bias initializers for the layer `layerName` with kernel shape `kernelShape`. */
export function initializersFor(
  scheme: InitScheme,
  kernelShape: readonly number[],
  seed: number,
  layerName: string,
): LayerInitializers {
  const { fanIn, fanOut } = kernelFans(kernelShape);
  const kernelSeed = deriveSeed(seed, `${layerName}/kernel`);
  switch (scheme) {
    case 'xavier':
      return {
        kernelInitializer: tf.initializers.randomNormal({
          mean: 0,
          stddev: Math.sqrt(2 / Math.max(1, fanIn + fanOut)),
          seed: kernelSeed,
        }),
        biasInitializer: tf.initializers.zeros(),
      };
    case 'he-fan-out':
      return {
        kernelInitializer: tf.initializers.randomNormal({
          mean: 0,
          stddev: Math.sqrt(2 / Math.max(1, fanOut)),
          seed: kernelSeed,
        }),
        biasInitializer: tf.initializers.zeros(),
      };
    case 'torch-default': {
      const bound = 1 / Math.sqrt(Math.max(1, fanIn));
      return {
        kernelInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: kernelSeed }),
        biasInitializer: tf.initializers.randomUniform({
          minval: -bound,
          maxval: bound,
          seed: deriveSeed(seed, `${layerName}/bias`),
        }),
      };
    }
    default: {
      const never: never = scheme;
      throw new Error(`unknown init scheme '${String(never)}'`);
    }
  }
}
