/**
 * CIFAR ResNet-(6n+2) (He et al. 2016, §4.2): ResNet-20 (n = 3) and ResNet-56 (n = 9), functional API.
 *
 * conv1 3×3@16 → bn1 → relu1; three stages of n BasicBlocks with widths 16, 32, 64 (×widthMultiplier),
 * stride 2 in the first block of stages 2 and 3; avgpool (global average) → fc Dense classes.
 * Block `layer{s}_{b}` (PyTorch's `layer{s}.{b}`, dots replaced by '_'):
 *   conv1 3×3 (stride) → bn1 → relu1 → conv2 3×3 → bn2 → add(shortcut) → relu2.
 * Convs have no bias.
 *
 * Shortcut: identity when shapes match; otherwise **option B**, a 1×1 conv (stride 2, no bias) +
 * BN projection (`layer{s}_0_shortcut_conv`, `layer{s}_0_shortcut_bn`). The CIFAR reference (and HRank /
 * DCTPruning) use parameter-free **option A** (subsample x[:, ::2, ::2] and zero-pad channels); channel
 * zero-padding has no stock TF.js layer (it would need a Lambda or a custom registered layer, which
 * would not survive save/load without extra code), so we use option B. It adds 2 projection convs + BNs:
 * 16·32 + 32·64 = 2,560 weights plus 4·(32+64) = 384 BN values in ResNet-20/56.
 *
 * Geometry note: TF.js 'same' padding with stride 2 pads bottom/right only, PyTorch pads 1 on each
 * side; output sizes match (28→14→7, 32→16→8) but the sampling grid is offset by one pixel, which
 * matters only when porting PyTorch weights.
 *
 * Init: convs He-normal fan_out (torchvision style), BN identity, fc PyTorch default U(±1/√fan_in).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNorm, conv2d, dense, relu } from './layers.js';
import { CIFAR_SHAPE, resolveOptions, scaleWidth } from './options.js';
import type { ZooOptions } from './types.js';

export type CifarResnetDepth = 20 | 56;

type Sym = tf.SymbolicTensor;

function apply(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

function basicBlock(x: Sym, prefix: string, inC: number, planes: number, stride: number, seed: number): Sym {
  const c = (name: string, cin: number, k: number, s: number) =>
    conv2d({
      name: `${prefix}_${name}`,
      inChannels: cin,
      filters: planes,
      kernel: k,
      stride: s,
      padding: k === 1 ? 'valid' : 'same',
      useBias: false,
      init: 'he-fan-out',
      seed,
    });
  let y = apply(c('conv1', inC, 3, stride), x);
  y = apply(batchNorm(`${prefix}_bn1`), y);
  y = apply(relu(`${prefix}_relu1`), y);
  y = apply(c('conv2', planes, 3, 1), y);
  y = apply(batchNorm(`${prefix}_bn2`), y);
  let shortcut = x;
  if (stride !== 1 || inC !== planes) {
    shortcut = apply(c('shortcut_conv', inC, 1, stride), x);
    shortcut = apply(batchNorm(`${prefix}_shortcut_bn`), shortcut);
  }
  const sum = apply(tf.layers.add({ name: `${prefix}_add` }), [y, shortcut]);
  return apply(relu(`${prefix}_relu2`), sum);
}

export function createCifarResnet(depth: CifarResnetDepth, opts: ZooOptions = {}): tf.LayersModel {
  const model = `resnet${depth}`;
  if ((depth - 2) % 6 !== 0) throw new Error(`createModel('${model}'): depth must be 6n+2`);
  const n = (depth - 2) / 6;
  const o = resolveOptions(model, opts, CIFAR_SHAPE);
  const widths = [16, 32, 64].map((c) => scaleWidth(c, o.widthMultiplier));

  const input = tf.input({ shape: o.inputShape, name: 'input' });
  let x = apply(
    conv2d({ name: 'conv1', inChannels: o.inputShape[2], filters: widths[0], kernel: 3, useBias: false, init: 'he-fan-out', seed: o.seed }),
    input,
  );
  x = apply(batchNorm('bn1'), x);
  x = apply(relu('relu1'), x);
  let inC = widths[0];
  widths.forEach((planes, s) => {
    for (let b = 0; b < n; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      x = basicBlock(x, `layer${s + 1}_${b}`, inC, planes, stride, o.seed);
      inC = planes;
    }
  });
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  const out = apply(dense({ name: 'fc', inFeatures: inC, units: o.numClasses, init: 'torch-default', seed: o.seed }), x);
  return tf.model({ name: model, inputs: input, outputs: out });
}
