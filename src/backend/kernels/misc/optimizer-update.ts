/**
 * Fused optimiser updates on wasm: one pass over (variable, gradient, slots) in plain JS over the wasm heap,
 * instead of the ~10 elementwise kernels (and as many temporary buffers) per variable that tf.train's
 * Adam / momentum optimisers run. The arithmetic is tf.train's, with coupled weight decay g ← g + wd·w:
 *
 *   Adam      m' = β1·m + (1−β1)·g;  v' = β2·v + (1−β2)·g²
 *             w' = w − lr · (m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε)      (1−βᵗ given as attrs, as tf computes them)
 *   SGD       acc' = μ·acc + g;  w' = w − lr·acc'  (Nesterov: w − lr·(g + μ·acc'));  μ = 0 / no acc: w − lr·g
 *
 * Outputs are new buffers (the inputs are never written: a variable's buffer may be shared by clones).
 * m', v', acc' are rounded to float32 before they are used, like tf's op-by-op arithmetic.
 * Registered on 'wasm' only; callers check `canFuseOptimizerUpdate()`.
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, f32, type TensorInfo } from './wasm-heap.js';

export const ADAM_UPDATE = 'PrunekitAdamUpdate';
export const SGD_UPDATE = 'PrunekitSgdUpdate';

export interface AdamUpdateAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** 1 − β1ᵗ and 1 − β2ᵗ (bias corrections of this step). */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

export interface SgdUpdateAttrs {
  lr: number;
  /** 0 = plain SGD (no accumulator input). */
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

function checkSame(kernel: string, ref: TensorInfo, others: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(others)) {
    if (t === undefined) continue;
    if (t.dtype !== 'float32' || t.shape.join() !== ref.shape.join()) {
      throw new Error(`${kernel}: '${name}' must be float32 of shape [${ref.shape}] like the variable, got ${t.dtype} [${t.shape}]`);
    }
  }
}

const adamKernel: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { x, g, m, v } = inputs as Record<'x' | 'g' | 'm' | 'v', TensorInfo>;
  checkSame(ADAM_UPDATE, x, { x, g, m, v });
  const a = attrs as unknown as AdamUpdateAttrs;
  const xOut = backend.makeOutput(x.shape.slice(), 'float32');
  const mOut = backend.makeOutput(x.shape.slice(), 'float32');
  const vOut = backend.makeOutput(x.shape.slice(), 'float32');
  const w = f32(backend, x);
  const gr = f32(backend, g);
  const m0 = f32(backend, m);
  const v0 = f32(backend, v);
  const w1 = f32(backend, xOut);
  const m1 = f32(backend, mOut);
  const v1 = f32(backend, vOut);
  const { lr, beta1, beta2, epsilon, weightDecay: wd, oneMinusAccBeta1: c1, oneMinusAccBeta2: c2 } = a;
  const omb1 = 1 - beta1;
  const omb2 = 1 - beta2;
  // one division and one square root per element (division-bound otherwise): the bias corrections
  // become factors, lr·m̂/(√v̂+ε) = (lr/c1)·m / (√v·(1/√c2) + ε)
  const stepSize = lr / c1;
  const invSqrtC2 = 1 / Math.sqrt(c2);
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    const gi = wd === 0 ? gr[i] : Math.fround(gr[i] + Math.fround(wd * wi));
    const mi = Math.fround(beta1 * m0[i] + omb1 * gi);
    const vi = Math.fround(beta2 * v0[i] + omb2 * (gi * gi));
    m1[i] = mi;
    v1[i] = vi;
    w1[i] = wi - (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + epsilon);
  }
  return [xOut, mOut, vOut];
};

const sgdKernel: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { x, g, acc } = inputs as { x: TensorInfo; g: TensorInfo; acc?: TensorInfo };
  checkSame(SGD_UPDATE, x, { x, g, acc });
  const a = attrs as unknown as SgdUpdateAttrs;
  if ((a.momentum > 0) !== (acc !== undefined)) {
    throw new Error(`${SGD_UPDATE}: an accumulator input is needed exactly when momentum > 0 (momentum ${a.momentum})`);
  }
  const xOut = backend.makeOutput(x.shape.slice(), 'float32');
  const accOut = acc === undefined ? undefined : backend.makeOutput(x.shape.slice(), 'float32');
  const w = f32(backend, x);
  const gr = f32(backend, g);
  const w1 = f32(backend, xOut);
  const { lr, momentum: mu, nesterov, weightDecay: wd } = a;
  const n = w.length;
  if (acc === undefined || accOut === undefined) {
    for (let i = 0; i < n; i++) {
      const wi = w[i];
      const gi = wd === 0 ? gr[i] : Math.fround(gr[i] + Math.fround(wd * wi));
      w1[i] = wi - lr * gi;
    }
    return [xOut];
  }
  const a0 = f32(backend, acc);
  const a1 = f32(backend, accOut);
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    const gi = wd === 0 ? gr[i] : Math.fround(gr[i] + Math.fround(wd * wi));
    a1[i] = mu * a0[i] + gi;
    w1[i] = wi - lr * (nesterov ? Math.fround(gi + Math.fround(mu * a1[i])) : a1[i]);
  }
  return [xOut, accOut];
};

let registered = false;

/** Registers the fused update kernels on 'wasm' (idempotent). */
export function registerOptimizerUpdates(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: adamKernel });
  tf.registerKernel({ kernelName: SGD_UPDATE, backendName: 'wasm', kernelFunc: sgdKernel });
}

/** True when the fused updates can run on the current backend. */
export function canFuseOptimizerUpdate(): boolean {
  return registered && tf.getBackend() === 'wasm';
}

/** One Adam step for one variable: returns [w', m', v'] (new tensors; the caller assigns and disposes them). */
export function fusedAdamUpdate(x: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamUpdateAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const out = tf.engine().runKernel(ADAM_UPDATE, { x, g, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return [out[0], out[1], out[2]];
}

/** One SGD step for one variable: returns [w'] (momentum 0) or [w', acc']. */
export function fusedSgdUpdate(x: tf.Tensor, g: tf.Tensor, acc: tf.Tensor | undefined, attrs: SgdUpdateAttrs): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = acc === undefined ? { x, g } : { x, g, acc };
  return tf.engine().runKernel(SGD_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}
