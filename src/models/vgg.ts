/**
 * CIFAR VGG with BatchNorm as in LAP's reference code (`lap_bn` variant):
 * conv 3×3 (bias) → BN → ReLU per config entry, 2×2 max-pool per 'M', Flatten, one Dense(512 → classes).
 * On 32×32 the five pools leave 1×1×512, so the classifier is exactly Linear(512, classes); other
 * input sizes flatten H′·W′·512 features. Inputs smaller than 32×32 fail (five pools).
 *
 * `vgg-small` (32,32,M,64,64,M,128,128,M → Dense classes) is prunekit's narrow BN net for experiments;
 * it works on 28×28 (3×3×128 features) and 32×32 (4×4×128).
 *
 * Init: Xavier-normal weights, zero biases for conv and Dense (LAP's masked layers); BN identity.
 */
import type * as tf from '@tensorflow/tfjs';
import { ChainBuilder } from './layers.js';
import { CIFAR_SHAPE, resolveOptions } from './options.js';
import type { ZooOptions } from './types.js';
import { addVggFeatures, VGG_CFGS, VGG_SMALL_CFG, type VggCfg } from './vgg-config.js';

function lapVgg(model: string, cfg: VggCfg, opts: ZooOptions): tf.Sequential {
  const o = resolveOptions(model, opts, CIFAR_SHAPE);
  const b = new ChainBuilder(model, o);
  addVggFeatures(b, cfg, o.widthMultiplier, 'xavier');
  return b.flatten('flatten').dense('fc1', o.numClasses, { init: 'xavier' }).build();
}

export type LapVggDepth = keyof typeof VGG_CFGS;

export function createLapVgg(depth: LapVggDepth, opts: ZooOptions = {}): tf.Sequential {
  return lapVgg(depth, VGG_CFGS[depth], opts);
}

export function createVggSmall(opts: ZooOptions = {}): tf.Sequential {
  return lapVgg('vgg-small', VGG_SMALL_CFG, opts);
}
