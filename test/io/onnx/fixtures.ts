/** Shared fixtures of the ONNX tests: run an exported model in onnxruntime-node; hand-built branched models. */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';

/** Runs ONNX `bytes` on `x` (NHWC or NCHW as exported) with onnxruntime-node, one thread; returns output 0. */
export async function runOrt(bytes: Uint8Array, data: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, dims) });
    const t = out[session.outputNames[0]];
    return { data: Float32Array.from(t.data as Float32Array), dims: t.dims };
  } finally {
    await session.release();
  }
}

/** Gives every BatchNormalization non-trivial statistics (seeded), so that BN export is really tested. */
export function randomizeBatchNorm(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const values = layer.getWeights().map((w, i) =>
      tf.tidy(() => {
        const r = tf.randomUniform(w.shape, 0, 1, 'float32', s++);
        // gamma, beta, moving_mean, moving_variance (those present): keep the variance positive
        const role = layer.weights[i].originalName.split('/').pop();
        return role === 'moving_variance' ? r.add(0.5) : role === 'gamma' ? r.add(0.5) : r.sub(0.5);
      }),
    );
    layer.setWeights(values);
    tf.dispose(values);
  }
}

type Sym = tf.SymbolicTensor;
const ap = (l: tf.layers.Layer, x: Sym | Sym[]) => l.apply(x) as Sym;

/**
 * Branched model 1: depthwise/separable branches joined by Add, a Concatenate, a squeeze-and-excite
 * Multiply, pools with 'same' padding, padding and upsampling, Flatten of a conv output, softmax.
 */
export function branchedModel(seed: number): tf.LayersModel {
  const init = (k: string) => tf.initializers.glorotNormal({ seed: seed + k.length * 7 });
  const x = tf.input({ shape: [12, 10, 3], name: 'image' });
  const c1 = ap(tf.layers.conv2d({ name: 'c1', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init('c1'), biasInitializer: 'glorotNormal' }), x);
  let a = ap(tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu6', depthwiseInitializer: init('dw'), biasInitializer: 'glorotNormal' }), c1);
  a = ap(tf.layers.conv2d({ name: 'pw', filters: 8, kernelSize: 1, kernelInitializer: init('pw') }), a);
  const b = ap(tf.layers.separableConv2d({ name: 'sep', filters: 8, kernelSize: 3, padding: 'same', activation: 'swish', depthwiseInitializer: init('sd'), pointwiseInitializer: init('sp'), biasInitializer: 'glorotNormal' }), c1);
  let y = ap(tf.layers.add({ name: 'add' }), [a, b]);
  y = ap(tf.layers.batchNormalization({ name: 'bn', epsilon: 1e-3 }), y);
  const c2 = ap(tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 3, strides: 1, padding: 'same', activation: 'tanh', kernelInitializer: init('c2') }), y);
  y = ap(tf.layers.concatenate({ name: 'cat' }), [y, c2]);
  // squeeze-and-excite
  let se = ap(tf.layers.globalAveragePooling2d({ name: 'gap' }), y);
  se = ap(tf.layers.dense({ name: 'se1', units: 4, activation: 'relu', kernelInitializer: init('se1') }), se);
  se = ap(tf.layers.dense({ name: 'se2', units: 12, activation: 'sigmoid', kernelInitializer: init('se2'), biasInitializer: 'glorotNormal' }), se);
  se = ap(tf.layers.reshape({ name: 'se_reshape', targetShape: [1, 1, 12] }), se);
  y = ap(tf.layers.multiply({ name: 'se_mul' }), [y, se]);
  y = ap(tf.layers.maxPooling2d({ name: 'mp', poolSize: 3, strides: 2, padding: 'same' }), y);
  y = ap(tf.layers.zeroPadding2d({ name: 'pad', padding: [[1, 0], [0, 2]] }), y);
  y = ap(tf.layers.averagePooling2d({ name: 'ap', poolSize: 2, strides: 2, padding: 'same' }), y);
  y = ap(tf.layers.upSampling2d({ name: 'up', size: [2, 3] }), y);
  y = ap(tf.layers.leakyReLU({ name: 'lrelu', alpha: 0.2 }), y);
  y = ap(tf.layers.elu({ name: 'elu' }), y);
  y = ap(tf.layers.flatten({ name: 'flat' }), y);
  y = ap(tf.layers.dropout({ name: 'drop', rate: 0.5 }), y);
  y = ap(tf.layers.dense({ name: 'fc', units: 10, activation: 'softmax', kernelInitializer: init('fc') }), y);
  return tf.model({ name: 'branched', inputs: x, outputs: y });
}

/**
 * Branched model 2: dilated and strided 'valid' convs, Dense on a rank-4 value, Reshape back to an
 * image, Cropping2D, bilinear upsampling, Minimum / Average / Maximum, global max pooling, a rank-2 BN,
 * and activations hard_sigmoid, selu, softplus, softsign, elu, relu6 layer.
 */
export function branchedModel2(seed: number): tf.LayersModel {
  const init = (k: string) => tf.initializers.glorotNormal({ seed: seed + k.length * 13 });
  const x = tf.input({ shape: [11, 9, 2], name: 'image' });
  const a = ap(tf.layers.conv2d({ name: 'dil', filters: 6, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'hardSigmoid', kernelInitializer: init('dil') }), x);
  const b = ap(tf.layers.conv2d({ name: 'str', filters: 6, kernelSize: 3, strides: 2, padding: 'valid', activation: 'selu', kernelInitializer: init('str') }), x);
  const bu = ap(tf.layers.upSampling2d({ name: 'up', size: [2, 2] }), b); // 5×4 → 10×8
  const ac = ap(tf.layers.cropping2D({ name: 'crop', cropping: [[0, 1], [1, 0]] }), a); // 11×9 → 10×8
  const d = ap(tf.layers.dense({ name: 'dense4', units: 6, activation: 'softplus', kernelInitializer: init('dense4') }), ac);
  const s = ap(tf.layers.minimum({ name: 'min' }), [bu, d]);
  const m = ap(tf.layers.maximum({ name: 'max' }), [s, ac]);
  const avg = ap(tf.layers.average({ name: 'avg' }), [m, bu, d]);
  const r = ap(tf.layers.reLU({ name: 'relu6', maxValue: 6 }), avg);
  let y = ap(tf.layers.globalMaxPooling2d({ name: 'gmp' }), r);
  y = ap(tf.layers.batchNormalization({ name: 'bn2' }), y);
  y = ap(tf.layers.activation({ name: 'ss', activation: 'softsign' }), y);
  const flat = ap(tf.layers.flatten({ name: 'flat' }), ap(tf.layers.conv2d({ name: 'c3', filters: 2, kernelSize: 2, strides: 2, kernelInitializer: init('c3') }), r));
  y = ap(tf.layers.concatenate({ name: 'cat', axis: 1 }), [y, flat]);
  y = ap(tf.layers.reshape({ name: 'img', targetShape: [2, -1, 1] }), y);
  y = ap(tf.layers.conv2d({ name: 'c4', filters: 3, kernelSize: 1, activation: 'elu', kernelInitializer: init('c4') }), y);
  y = ap(tf.layers.upSampling2d({ name: 'up_bilinear', size: [2, 3], interpolation: 'bilinear' }), y);
  return tf.model({ name: 'branched2', inputs: x, outputs: y });
}
