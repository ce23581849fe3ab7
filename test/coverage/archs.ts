/**
 * Tiny TypeScript versions of the architecture families users convert from Keras (16×16×3 inputs,
 * a few channels), built the way keras.applications builds them, with seeded weights.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, randNormal } from '../../src/util/random.js';

type T = tf.SymbolicTensor;
const L = tf.layers;

/** Builder with unique layer names per model. */
class B {
  private n = 0;
  constructor(readonly prefix: string) {}
  name(kind: string): string {
    return `${kind}_${++this.n}`;
  }
  ap(layer: tf.layers.Layer, x: T | T[]): T {
    return layer.apply(x) as T;
  }
  conv(x: T, filters: number, k = 3, strides = 1, opts: Partial<{ padding: 'same' | 'valid'; useBias: boolean; activation: string }> = {}): T {
    return this.ap(L.conv2d({ name: this.name('conv'), filters, kernelSize: k, strides, padding: opts.padding ?? 'same', useBias: opts.useBias ?? false, activation: (opts.activation ?? 'linear') as 'linear' }), x);
  }
  dw(x: T, strides = 1, padding: 'same' | 'valid' = 'same'): T {
    return this.ap(L.depthwiseConv2d({ name: this.name('dw'), kernelSize: 3, strides, padding, useBias: false }), x);
  }
  sep(x: T, filters: number): T {
    return this.ap(L.separableConv2d({ name: this.name('sep'), filters, kernelSize: 3, padding: 'same', useBias: false }), x);
  }
  bn(x: T): T {
    return this.ap(L.batchNormalization({ name: this.name('bn') }), x);
  }
  act(x: T, activation: string): T {
    return this.ap(L.activation({ name: this.name(activation.toLowerCase()), activation: activation as 'relu' }), x);
  }
  relu6(x: T): T {
    return this.ap(L.reLU({ name: this.name('relu6'), maxValue: 6 }), x);
  }
  relu(x: T): T {
    return this.ap(L.reLU({ name: this.name('relu') }), x);
  }
  /** hard-swish as Keras MobileNetV3 builds it: x · hard_sigmoid(x) (Multiply). */
  hswish(x: T): T {
    return this.ap(L.multiply({ name: this.name('hswish') }), [x, this.act(x, 'hardSigmoid')]);
  }
  add(xs: T[]): T {
    return this.ap(L.add({ name: this.name('add') }), xs);
  }
  concat(xs: T[]): T {
    return this.ap(L.concatenate({ name: this.name('concat') }), xs);
  }
  gap(x: T): T {
    return this.ap(L.globalAveragePooling2d({ name: this.name('gap') }), x);
  }
  dense(x: T, units: number, activation = 'linear'): T {
    return this.ap(L.dense({ name: this.name('dense'), units, activation: activation as 'linear' }), x);
  }
  /** Squeeze-and-Excitation, MobileNetV3 form: GAP → Dense → Dense → Reshape → Multiply. */
  seDense(x: T, channels: number, reduced: number, gate: string): T {
    let s = this.gap(x);
    s = this.dense(s, reduced, 'relu');
    s = this.dense(s, channels, gate);
    s = this.ap(L.reshape({ name: this.name('se_reshape'), targetShape: [1, 1, channels] }), s);
    return this.ap(L.multiply({ name: this.name('se_excite') }), [x, s]);
  }
  /** Squeeze-and-Excitation, EfficientNet form: GAP → Reshape → Conv 1×1 → Conv 1×1 → Multiply. */
  seConv(x: T, channels: number, reduced: number): T {
    let s = this.gap(x);
    s = this.ap(L.reshape({ name: this.name('se_reshape'), targetShape: [1, 1, channels] }), s);
    s = this.conv(s, reduced, 1, 1, { useBias: true, activation: 'swish' });
    s = this.conv(s, channels, 1, 1, { useBias: true, activation: 'sigmoid' });
    return this.ap(L.multiply({ name: this.name('se_excite') }), [x, s]);
  }
}

const CLASSES = 5;

function finish(b: B, input: T, x: T, name: string): tf.LayersModel {
  const m = tf.model({ inputs: input, outputs: x, name });
  seedWeights(m, name.length * 7919 + 13);
  void b;
  return m;
}

export function mobilenetV1(): tf.LayersModel {
  const b = new B('mnv1');
  const input = tf.input({ shape: [16, 16, 3] });
  let x = b.relu6(b.bn(b.conv(input, 8, 3, 2)));
  for (const [f, s] of [[12, 1], [16, 2], [16, 1]] as const) {
    x = b.relu6(b.bn(b.dw(x, s)));
    x = b.relu6(b.bn(b.conv(x, f, 1)));
  }
  x = b.ap(L.dropout({ name: b.name('dropout'), rate: 0.2 }), b.gap(x));
  return finish(b, input, b.dense(x, CLASSES), 'mobilenet_v1');
}

export function mobilenetV2(): tf.LayersModel {
  const b = new B('mnv2');
  const input = tf.input({ shape: [16, 16, 3] });
  let x = b.relu6(b.bn(b.conv(input, 8, 3, 2)));
  const block = (x0: T, cin: number, cout: number, stride: number): T => {
    let y = b.relu6(b.bn(b.conv(x0, cin * 3, 1)));
    if (stride === 2) y = b.ap(L.zeroPadding2d({ name: b.name('pad'), padding: [[0, 1], [0, 1]] }), y);
    y = b.relu6(b.bn(b.dw(y, stride, stride === 2 ? 'valid' : 'same')));
    y = b.bn(b.conv(y, cout, 1));
    return stride === 1 && cin === cout ? b.add([x0, y]) : y;
  };
  x = block(x, 8, 8, 1);
  x = block(x, 8, 12, 2);
  x = block(x, 12, 12, 1);
  x = b.relu6(b.bn(b.conv(x, 24, 1)));
  return finish(b, input, b.dense(b.gap(x), CLASSES), 'mobilenet_v2');
}

export function mobilenetV3Small(): tf.LayersModel {
  const b = new B('mnv3');
  const input = tf.input({ shape: [16, 16, 3] });
  let x = b.hswish(b.bn(b.conv(input, 8, 3, 2)));
  // block 1: dw + SE (ReLU), no expansion
  let y = b.relu(b.bn(b.dw(x, 2)));
  y = b.seDense(y, 8, 4, 'hardSigmoid');
  x = b.bn(b.conv(y, 8, 1));
  // block 2: expand (hard-swish) + dw + SE + project + residual
  y = b.hswish(b.bn(b.conv(x, 16, 1)));
  y = b.hswish(b.bn(b.dw(y, 1)));
  y = b.seDense(y, 16, 8, 'hardSigmoid');
  y = b.bn(b.conv(y, 8, 1));
  x = b.add([x, y]);
  x = b.hswish(b.bn(b.conv(x, 24, 1)));
  // head as in Keras: GAP → Reshape → Conv 1×1 (bias) → hard-swish → Flatten → Dense
  let h = b.ap(L.reshape({ name: b.name('head_reshape'), targetShape: [1, 1, 24] }), b.gap(x));
  h = b.hswish(b.conv(h, 32, 1, 1, { useBias: true }));
  h = b.ap(L.flatten({ name: b.name('flatten') }), h);
  return finish(b, input, b.dense(h, CLASSES), 'mobilenet_v3_small');
}

export function resnet50Style(): tf.LayersModel {
  const b = new B('r50');
  const input = tf.input({ shape: [16, 16, 3] });
  let x = b.relu(b.bn(b.conv(input, 8, 3, 1)));
  x = b.ap(L.maxPooling2d({ name: b.name('pool'), poolSize: 2 }), x);
  const bottleneck = (x0: T, planes: number, stride: number, project: boolean): T => {
    let y = b.relu(b.bn(b.conv(x0, planes, 1, stride)));
    y = b.relu(b.bn(b.conv(y, planes, 3)));
    y = b.bn(b.conv(y, planes * 4, 1));
    const sc = project ? b.bn(b.conv(x0, planes * 4, 1, stride)) : x0;
    return b.relu(b.add([y, sc]));
  };
  x = bottleneck(x, 4, 1, true);
  x = bottleneck(x, 4, 1, false);
  x = bottleneck(x, 6, 2, true);
  return finish(b, input, b.dense(b.gap(x), CLASSES), 'resnet50_style');
}

export function resnetV2(): tf.LayersModel {
  const b = new B('r2');
  const input = tf.input({ shape: [16, 16, 3] });
  let x = b.conv(input, 8, 3);
  const block = (x0: T, planes: number, stride: number): T => {
    const pre = b.relu(b.bn(x0));
    const sc = stride !== 1 || (x0.shape[3] as number) !== planes ? b.conv(pre, planes, 1, stride) : x0;
    let y = b.conv(pre, planes, 3, stride);
    y = b.conv(b.relu(b.bn(y)), planes, 3);
    return b.add([y, sc]);
  };
  x = block(x, 8, 1);
  x = block(x, 12, 2);
  x = block(x, 12, 1);
  x = b.relu(b.bn(x));
  return finish(b, input, b.dense(b.gap(x), CLASSES), 'resnet_v2');
}

export function densenetStyle(): tf.LayersModel {
  const b = new B('dn');
  const input = tf.input({ shape: [16, 16, 3] });
  let x = b.relu(b.bn(b.conv(input, 8, 3)));
  const growth = 4;
  const denseBlock = (x0: T, layers: number): T => {
    let cat = x0;
    for (let i = 0; i < layers; i++) {
      let y = b.conv(b.relu(b.bn(cat)), 4 * growth, 1);
      y = b.conv(b.relu(b.bn(y)), growth, 3);
      cat = b.concat([cat, y]);
    }
    return cat;
  };
  x = denseBlock(x, 3);
  x = b.conv(b.relu(b.bn(x)), 10, 1);
  x = b.ap(L.averagePooling2d({ name: b.name('pool'), poolSize: 2 }), x);
  x = denseBlock(x, 2);
  x = b.relu(b.bn(x));
  return finish(b, input, b.dense(b.gap(x), CLASSES), 'densenet_style');
}

export function efficientnetB0Style(): tf.LayersModel {
  const b = new B('eff');
  const input = tf.input({ shape: [16, 16, 3] });
  let x = b.act(b.bn(b.conv(input, 8, 3, 2)), 'swish');
  const mbconv = (x0: T, cin: number, cout: number, expand: number, stride: number): T => {
    let y = x0;
    if (expand !== 1) y = b.act(b.bn(b.conv(y, cin * expand, 1)), 'swish');
    y = b.act(b.bn(b.dw(y, stride)), 'swish');
    y = b.seConv(y, cin * expand, Math.max(1, Math.floor(cin / 4)));
    y = b.bn(b.conv(y, cout, 1));
    if (stride === 1 && cin === cout) {
      y = b.ap(L.dropout({ name: b.name('drop'), rate: 0.2 }), y);
      y = b.add([y, x0]);
    }
    return y;
  };
  x = mbconv(x, 8, 8, 1, 1);
  x = mbconv(x, 8, 12, 4, 2);
  x = mbconv(x, 12, 12, 4, 1);
  x = b.act(b.bn(b.conv(x, 32, 1)), 'swish');
  return finish(b, input, b.dense(b.gap(x), CLASSES), 'efficientnet_b0_style');
}

export function xceptionStyle(): tf.LayersModel {
  const b = new B('xc');
  const input = tf.input({ shape: [16, 16, 3] });
  let x = b.relu(b.bn(b.conv(input, 8, 3, 2)));
  // entry block: two separable convs + max-pool, 1×1 stride-2 residual
  let res = b.bn(b.conv(x, 16, 1, 2));
  let y = b.relu(b.bn(b.sep(x, 16)));
  y = b.bn(b.sep(y, 16));
  y = b.ap(L.maxPooling2d({ name: b.name('pool'), poolSize: 3, strides: 2, padding: 'same' }), y);
  x = b.add([y, res]);
  // middle block: identity residual
  res = x;
  y = b.bn(b.sep(b.relu(x), 16));
  y = b.bn(b.sep(b.relu(y), 16));
  x = b.add([y, res]);
  x = b.relu(b.bn(b.sep(x, 24)));
  return finish(b, input, b.dense(b.gap(x), CLASSES), 'xception_style');
}

export function inceptionStyle(): tf.LayersModel {
  const b = new B('inc');
  const input = tf.input({ shape: [16, 16, 3] });
  const cbr = (x: T, f: number, k: number, s = 1): T => b.relu(b.bn(b.conv(x, f, k, s)));
  let x = cbr(input, 8, 3, 2);
  const module = (x0: T, f: number): T => {
    const b1 = cbr(x0, f, 1);
    const b2 = cbr(cbr(x0, f, 1), f, 3);
    const b3 = cbr(cbr(cbr(x0, f / 2, 1), f, 3), f, 3);
    const b4 = cbr(b.ap(L.averagePooling2d({ name: b.name('pool'), poolSize: 3, strides: 1, padding: 'same' }), x0), f / 2, 1);
    return b.concat([b1, b2, b3, b4]);
  };
  x = module(x, 4);
  x = b.ap(L.maxPooling2d({ name: b.name('pool'), poolSize: 2 }), x);
  x = module(x, 6);
  return finish(b, input, b.dense(b.gap(x), CLASSES), 'inception_style');
}

/** Layers the families above do not use: Conv2DTranspose, UpSampling2D, Cropping2D, PReLU, LeakyReLU, LayerNormalization, Conv1D. */
export function unetStyle(): tf.LayersModel {
  const b = new B('unet');
  const input = tf.input({ shape: [16, 16, 3] });
  const e1 = b.ap(L.prelu({ name: b.name('prelu'), sharedAxes: [1, 2] }), b.conv(input, 8, 3, 1, { useBias: true }));
  let x = b.ap(L.leakyReLU({ name: b.name('leaky'), alpha: 0.1 }), b.bn(b.conv(e1, 12, 3, 2)));
  x = b.ap(L.conv2dTranspose({ name: b.name('convT'), filters: 8, kernelSize: 3, strides: 2, padding: 'same' }), x);
  const up = b.ap(L.upSampling2d({ name: b.name('up'), size: [2, 2] }), b.conv(x, 6, 1));
  const crop = b.ap(L.cropping2D({ name: b.name('crop'), cropping: [[8, 8], [8, 8]] }), up);
  x = b.concat([crop, e1]);
  x = b.ap(L.layerNormalization({ name: b.name('ln') }), b.conv(x, 10, 3));
  return finish(b, input, b.dense(b.gap(x), CLASSES), 'unet_style');
}

export function conv1dStyle(): tf.LayersModel {
  const b = new B('c1d');
  const input = tf.input({ shape: [20, 4] });
  let x = b.ap(L.conv1d({ name: b.name('conv1d'), filters: 8, kernelSize: 3, padding: 'same' }), input);
  x = b.ap(L.batchNormalization({ name: b.name('bn') }), x);
  x = b.ap(L.leakyReLU({ name: b.name('leaky') }), x);
  x = b.ap(L.maxPooling1d({ name: b.name('pool'), poolSize: 2 }), x);
  x = b.ap(L.conv1d({ name: b.name('conv1d'), filters: 12, kernelSize: 3, padding: 'same', activation: 'relu' }), x);
  x = b.ap(L.globalAveragePooling1d({ name: b.name('gap') }), x);
  x = b.ap(L.dense({ name: b.name('dense'), units: 6, activation: 'relu' }), x);
  return finish(b, input, b.dense(x, CLASSES), 'conv1d_style');
}

export const ARCHITECTURES: { name: string; label: string; build: () => tf.LayersModel }[] = [
  { name: 'mobilenet_v1', label: 'MobileNet v1', build: mobilenetV1 },
  { name: 'mobilenet_v2', label: 'MobileNet v2', build: mobilenetV2 },
  { name: 'mobilenet_v3_small', label: 'MobileNet v3-small (hard-swish, SE)', build: mobilenetV3Small },
  { name: 'resnet50_style', label: 'ResNet-50-style bottlenecks', build: resnet50Style },
  { name: 'resnet_v2', label: 'ResNet v2 (pre-activation)', build: resnetV2 },
  { name: 'densenet_style', label: 'DenseNet-121-style', build: densenetStyle },
  { name: 'efficientnet_b0_style', label: 'EfficientNet-B0-style (MBConv, SE, swish)', build: efficientnetB0Style },
  { name: 'xception_style', label: 'Xception-style (SeparableConv + Add)', build: xceptionStyle },
  { name: 'inception_style', label: 'Inception-style', build: inceptionStyle },
  { name: 'unet_style', label: 'U-Net-style (Conv2DTranspose, UpSampling, Cropping, PReLU, LayerNorm)', build: unetStyle },
  { name: 'conv1d_style', label: 'Conv1D sequence model', build: conv1dStyle },
];

/** Seeded weights: kernels ~ N(0, 1/fan_in), biases and BN shifts small, BN scales/variances positive. */
export function seedWeights(model: tf.LayersModel, seed: number): void {
  const rng = createRng(seed);
  const vals = model.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, c) => a * c, 1);
    const role = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
    const v = new Float32Array(n);
    const fanIn = shape.length >= 2 ? n / shape[shape.length - 1] : 1;
    for (let i = 0; i < n; i++) {
      const z = randNormal(rng);
      if (role === 'moving_variance') v[i] = 0.5 + Math.abs(z);
      else if (role === 'gamma') v[i] = 1 + 0.3 * z;
      else if (role === 'alpha') v[i] = 0.2 + 0.1 * z;
      else if (shape.length >= 2) v[i] = z / Math.sqrt(fanIn);
      else v[i] = 0.2 * z;
    }
    return tf.tensor(v, shape);
  });
  model.setWeights(vals);
  tf.dispose(vals);
}
