/**
 * HRank / DCTPruning CIFAR VGG-BN:
 * conv 3×3 (bias) → BN → ReLU ×13 (VGG-16; 8 for VGG-11, 16 for VGG-19), max-pool after the 2nd, 4th, 7th
 * and 10th conv (the stage ends except the last), a final 2×2 average pool, Flatten,
 * fc1 Dense 512 → fc1_bn BN → fc1_relu ReLU → fc2 Dense classes.
 * VGG-16 on 32×32×3, 10 classes: 14,991,946 PyTorch parameters (trainable; TF.js additionally stores the
 * BN moving mean/variance: 15,001,418 weights in all). Inputs smaller than 32×32 fail (four pools + avg pool).
 *
 * `widthMultiplier` scales the conv widths only; the hidden classifier stays 512 wide as in HRank's
 * pruned models (whose Linear(cfg[-1], 512) keeps 512 outputs).
 *
 * Init (torchvision/HRank style): convs He-normal fan_out (kaiming_normal_, mode='fan_out', ReLU gain),
 * zero conv biases; Dense layers PyTorch's default U(±1/√fan_in) for weights and biases; BN identity.
 */
import type * as tf from '@tensorflow/tfjs';
import { ChainBuilder } from './layers.js';
import { CIFAR_SHAPE, resolveOptions } from './options.js';
import type { ZooOptions } from './types.js';
import { addVggFeatures, VGG_CFGS, type VggCfg } from './vgg-config.js';

export type HrankVggDepth = keyof typeof VGG_CFGS;

/** HRank's config = the standard one without the last max-pool (replaced by a 2×2 average pool). */
function hrankCfg(depth: HrankVggDepth): VggCfg {
  return VGG_CFGS[depth].slice(0, -1);
}

export function createHrankVgg(depth: HrankVggDepth, opts: ZooOptions = {}): tf.Sequential {
  const model = `${depth}-hrank`;
  const o = resolveOptions(model, opts, CIFAR_SHAPE);
  const b = new ChainBuilder(model, o);
  addVggFeatures(b, hrankCfg(depth), o.widthMultiplier, 'he-fan-out');
  return b
    .avgPool('avgpool', 2)
    .flatten('flatten')
    .dense('fc1', 512, { init: 'torch-default' })
    .batchNorm('fc1_bn')
    .relu('fc1_relu')
    .dense('fc2', o.numClasses, { init: 'torch-default' })
    .build();
}
