/**
 * MobileNet-v1-style net for 32×32 inputs (Howard et al. 2017, Table 1, with the first stride and the
 * 7×7 pool adapted to CIFAR sizes): conv 3×3@32 (stride 1) → BN → ReLU6, then 13 depthwise-separable
 * blocks `block{i}`: depthwise 3×3 (stride s) → BN → ReLU6 → pointwise 1×1@c → BN → ReLU6, with
 * (c, s) = (64,1) (128,2) (128,1) (256,2) (256,1) (512,2) (512,1)×5 (1024,2) (1024,1); global average
 * pool → Dense classes. Widths scale with `widthMultiplier` (α). Convs have no bias (BN follows).
 *
 * Structured pruning removes pointwise filters; each depthwise conv follows the channels of the
 * pointwise conv before it (it is channel-wise), so the whole block narrows together.
 *
 * Init: convs He-normal fan_out, depthwise He-normal over its 3×3 fan, BN identity, fc PyTorch default.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../util/random.js';
import { batchNorm, conv2d, dense } from './layers.js';
import { CIFAR_SHAPE, resolveOptions, scaleWidth } from './options.js';
import type { ZooOptions } from './types.js';

type Sym = tf.SymbolicTensor;

/** (pointwise filters, depthwise stride) of the 13 blocks. */
export const MOBILENET_V1_BLOCKS: readonly [number, number][] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

function apply(layer: tf.layers.Layer, x: Sym): Sym {
  return layer.apply(x) as Sym;
}

function relu6(name: string): tf.layers.Layer {
  return tf.layers.activation({ name, activation: 'relu6' });
}

export function createMobilenetV1(opts: ZooOptions = {}): tf.LayersModel {
  const name = 'mobilenet';
  const o = resolveOptions(name, opts, CIFAR_SHAPE);
  const input = tf.input({ shape: o.inputShape, name: 'input' });
  let c = scaleWidth(32, o.widthMultiplier);
  let x = apply(conv2d({ name: 'conv1', inChannels: o.inputShape[2], filters: c, kernel: 3, useBias: false, init: 'he-fan-out', seed: o.seed }), input);
  x = apply(batchNorm('bn1'), x);
  x = apply(relu6('relu1'), x);
  MOBILENET_V1_BLOCKS.forEach(([filters, stride], i) => {
    const p = `block${i + 1}`;
    x = apply(
      tf.layers.depthwiseConv2d({
        name: `${p}_dw`,
        kernelSize: 3,
        strides: stride,
        padding: 'same',
        useBias: false,
        depthwiseInitializer: tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / 9), seed: deriveSeed(o.seed, `${p}_dw/kernel`) }),
      }),
      x,
    );
    x = apply(batchNorm(`${p}_dw_bn`), x);
    x = apply(relu6(`${p}_dw_relu`), x);
    const out = scaleWidth(filters, o.widthMultiplier);
    x = apply(conv2d({ name: `${p}_pw`, inChannels: c, filters: out, kernel: 1, useBias: false, init: 'he-fan-out', seed: o.seed }), x);
    x = apply(batchNorm(`${p}_pw_bn`), x);
    x = apply(relu6(`${p}_pw_relu`), x);
    c = out;
  });
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  const y = apply(dense({ name: 'fc', inFeatures: c, units: o.numClasses, init: 'torch-default', seed: o.seed }), x);
  return tf.model({ name, inputs: input, outputs: y });
}
