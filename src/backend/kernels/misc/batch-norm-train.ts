/**
 * Batch normalisation in training mode as one fused op with a fused gradient, over the last axis
 * (channels-last), in plain JS over the wasm heap. Replaces the ~15 small kernels per layer that
 * tfjs-layers' BatchNormalization runs in training (moments, batchNorm and their gradients, Tile).
 *
 *   forward  (x, gamma, beta) → [y, mean, variance]   (biased variance, as tf.moments)
 *            y = (x − mean)·γ/√(variance+ε) + β
 *   backward (dy, dmean, dvariance) → (dx, dγ, dβ), exact for all three outputs.
 *
 * Statistics are accumulated in float64 (SIMD: 32-row blocks in float32 first). Both passes run in wasm SIMD when the channel count is a multiple
 * of 4 (simd/batch-norm.ts), else in the JS loops below. Registered on 'wasm' only; `batchNormTraining` throws elsewhere.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, viewF32, type TensorInfo } from '../wasm-heap.js';
import { bnBackwardSimd, bnForwardSimd } from '../simd/batch-norm.js';

export const BN_TRAIN = 'PrunekitBatchNormTrain';
export const BN_TRAIN_GRAD = 'PrunekitBatchNormTrainGrad';

function channelsOf(x: TensorInfo, what: string): { rows: number; c: number } {
  if (x.shape.length < 2) throw new Error(`${what}: input must have rank ≥ 2 (channels last), got shape ${x.shape}`);
  const c = x.shape[x.shape.length - 1];
  const n = x.shape.reduce((p, q) => p * q, 1);
  return { rows: c === 0 ? 0 : n / c, c };
}

const forward: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const eps = (attrs as { epsilon: number }).epsilon;
  const { rows, c } = channelsOf(x, BN_TRAIN);
  const yInfo = backend.makeOutput(x.shape.slice(), 'float32');
  const meanInfo = backend.makeOutput([c], 'float32');
  const varInfo = backend.makeOutput([c], 'float32');
  if (bnForwardSimd(backend, x, gamma, beta, eps, rows, c, yInfo, meanInfo, varInfo)) return [yInfo, meanInfo, varInfo];
  const xs = viewF32(backend, x);
  const g = viewF32(backend, gamma);
  const b = viewF32(backend, beta);
  const y = viewF32(backend, yInfo);
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) {
      const v = xs[o + k];
      sum[k] += v;
      sumSq[k] += v * v;
    }
  }
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  const meanOut = viewF32(backend, meanInfo);
  const varOut = viewF32(backend, varInfo);
  for (let k = 0; k < c; k++) {
    const mean = sum[k] / rows;
    const variance = Math.max(0, sumSq[k] / rows - mean * mean);
    meanOut[k] = mean;
    varOut[k] = variance;
    scale[k] = g[k] / Math.sqrt(variance + eps);
    shift[k] = b[k] - mean * scale[k];
  }
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) y[o + k] = xs[o + k] * scale[k] + shift[k];
  }
  return [yInfo, meanInfo, varInfo];
};

const backward: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { x, gamma, mean, variance, dy, dmean, dvariance } = inputs as Record<string, TensorInfo>;
  const eps = (attrs as { epsilon: number }).epsilon;
  const { rows, c } = channelsOf(x, BN_TRAIN_GRAD);
  const dxInfo = backend.makeOutput(x.shape.slice(), 'float32');
  const dgInfo = backend.makeOutput([c], 'float32');
  const dbInfo = backend.makeOutput([c], 'float32');
  if (bnBackwardSimd(backend, x, gamma, mean, variance, dy, dmean, dvariance, eps, rows, c, dxInfo, dgInfo, dbInfo)) return [dxInfo, dgInfo, dbInfo];
  const xs = viewF32(backend, x);
  const g = viewF32(backend, gamma);
  const mu = viewF32(backend, mean);
  const vr = viewF32(backend, variance);
  const gy = viewF32(backend, dy);
  const gm = viewF32(backend, dmean);
  const gv = viewF32(backend, dvariance);
  const dx = viewF32(backend, dxInfo);
  const sumDy = new Float64Array(c);
  const sumDyXc = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) {
      const d = gy[o + k];
      sumDy[k] += d;
      sumDyXc[k] += d * (xs[o + k] - mu[k]);
    }
  }
  // dx = γ·inv·(dy − Σdy/N − x̂·Σ(dy·x̂)/N) + dmean/N + dvar·2(x−μ)/N,  x̂ = (x−μ)·inv
  const a = new Float32Array(c); // coefficient of dy
  const bx = new Float32Array(c); // coefficient of (x − μ)
  const c0 = new Float32Array(c); // constant
  const dgOut = viewF32(backend, dgInfo);
  const dbOut = viewF32(backend, dbInfo);
  for (let k = 0; k < c; k++) {
    const inv = 1 / Math.sqrt(vr[k] + eps);
    dbOut[k] = sumDy[k];
    dgOut[k] = sumDyXc[k] * inv;
    a[k] = g[k] * inv;
    bx[k] = -g[k] * inv * inv * inv * (sumDyXc[k] / rows) + (2 * gv[k]) / rows;
    c0[k] = -g[k] * inv * (sumDy[k] / rows) + gm[k] / rows;
  }
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) dx[o + k] = a[k] * gy[o + k] + bx[k] * (xs[o + k] - mu[k]) + c0[k];
  }
  return [dxInfo, dgInfo, dbInfo];
};

let registered = false;

/** Registers the fused forward/backward kernels on 'wasm' and the op's gradient (idempotent). */
export function registerBatchNormTraining(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: BN_TRAIN, backendName: 'wasm', kernelFunc: forward });
  tf.registerKernel({ kernelName: BN_TRAIN_GRAD, backendName: 'wasm', kernelFunc: backward });
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dmean, dvariance] = dys as tf.Tensor[];
      const [x, gamma, mean, variance] = saved;
      const grads = tf.engine().runKernel(BN_TRAIN_GRAD, { x, gamma, mean, variance, dy, dmean, dvariance }, attrs) as tf.Tensor[];
      return { x: () => grads[0], gamma: () => grads[1], beta: () => grads[2] };
    },
  });
}

/** True when the fused op can run for this input on the current backend. */
export function canFuseBatchNorm(x: tf.Tensor): boolean {
  return registered && tf.getBackend() === 'wasm' && x.dtype === 'float32' && x.rank >= 2;
}

/** Normalises `x` over all axes but the last; returns [y, batch mean, batch variance]. */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  const c = x.shape[x.rank - 1];
  if (gamma.size !== c || beta.size !== c) {
    throw new Error(`batchNormTraining: gamma/beta must have ${c} entries (the channel axis of ${x.shape}), got ${gamma.size} and ${beta.size}`);
  }
  if (!canFuseBatchNorm(x)) throw new Error(`batchNormTraining: needs the wasm backend with prunekit kernels and a float32 input of rank ≥ 2`);
  const out = tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
  return [out[0], out[1] as tf.Tensor1D, out[2] as tf.Tensor1D];
}
