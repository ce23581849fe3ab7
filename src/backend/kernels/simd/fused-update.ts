/**
 * Fused optimiser updates on wasm: one SIMD pass per variable (update.wat) instead of the ~12 (Adam) or 3–5
 * (SGD / momentum) element-wise kernels tfjs-core's optimisers run, each of which goes through XNNPACK's
 * thread pool. Same arithmetic, op by op, as tfjs-core 4.22.0 (`AdamOptimizer`, `MomentumOptimizer`,
 * `SGDOptimizer`), with PyTorch-style coupled L2 folded in (g' = g + wd·x, as src/train/optimizers.ts adds it):
 *
 *   Adam      m' = β1·m + (1−β1)·g';  v' = β2·v + (1−β2)·g'²;  x' = ((m'/(1−β1^t)) / (√(v'/(1−β2^t)) + ε))·(−lr) + x
 *             (the two bias corrections as multiplications by float32 reciprocals: the loop is bound by its
 *             divisions and square root; the difference to tfjs is a rounding of the last bit)
 *   momentum  a' = μ·a + g';  x' = (−lr)·a' + x;  Nesterov: x' = (−lr)·(g' + a'·μ) + x
 *   SGD       x' = (−lr)·g' + x
 *
 * Kernels 'PrunekitAdamUpdate' / 'PrunekitMomentumUpdate' return new tensors (the caller assigns them):
 * writing in place is unsafe because copy-free Identity lets other tensors share a variable's buffer.
 * The ≤ 3 elements past the last multiple of 4 are done in JS with Math.fround (exact f32 arithmetic).
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, viewF32, type TensorInfo } from '../wasm-heap.js';
import { heapPtr, simdKernels } from './instance.js';

export const ADAM_UPDATE = 'PrunekitAdamUpdate';
export const MOMENTUM_UPDATE = 'PrunekitMomentumUpdate';

export interface AdamUpdateAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1^t and 1 − β2^t as float32 (tfjs: sub(1, accBeta)). */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  weightDecay: number;
}

export interface MomentumUpdateAttrs {
  lr: number;
  /** 0: plain SGD (no accumulator input or output). */
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

const f = Math.fround;

function checkSame(what: string, ref: TensorInfo, ...others: TensorInfo[]): void {
  for (const o of others) {
    if (o.dtype !== 'float32' || o.shape.join() !== ref.shape.join()) {
      throw new Error(`${what}: every input must be float32 of shape [${ref.shape}], got ${o.dtype} [${o.shape}]`);
    }
  }
}

const adamKernel: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { x, g, m, v } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as AdamUpdateAttrs;
  checkSame(ADAM_UPDATE, x, x, g, m, v);
  const simd = simdKernels(backend);
  if (!simd) throw new Error(`${ADAM_UPDATE}: wasm SIMD kernels unavailable (check fusedUpdatesAvailable() first)`);
  const xo = backend.makeOutput(x.shape.slice(), 'float32');
  const mo = backend.makeOutput(x.shape.slice(), 'float32');
  const vo = backend.makeOutput(x.shape.slice(), 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  const n4 = n & ~3;
  const [neglr, b1, omb1, b2, omb2, eps, r1, r2, wd] = [-a.lr, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.epsilon, 1 / a.oneMinusAccBeta1, 1 / a.oneMinusAccBeta2, a.weightDecay].map(f);
  simd.adam(heapPtr(backend, x), heapPtr(backend, g), heapPtr(backend, m), heapPtr(backend, v), heapPtr(backend, xo), heapPtr(backend, mo), heapPtr(backend, vo), n4, neglr, b1, omb1, b2, omb2, eps, r1, r2, wd);
  if (n4 < n) {
    const [X, G, M, V, XO, MO, VO] = [x, g, m, v, xo, mo, vo].map((t) => viewF32(backend, t));
    for (let i = n4; i < n; i++) {
      const gg = f(G[i] + f(X[i] * wd));
      const mm = f(f(M[i] * b1) + f(gg * omb1));
      const vv = f(f(V[i] * b2) + f(f(gg * gg) * omb2));
      MO[i] = mm;
      VO[i] = vv;
      XO[i] = f(f(f(f(mm * r1) / f(f(Math.sqrt(f(vv * r2))) + eps)) * neglr) + X[i]);
    }
  }
  return [xo, mo, vo];
};

const momentumKernel: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasm(anyBackend);
  const { x, g, a: acc } = inputs as Record<string, TensorInfo | undefined> as { x: TensorInfo; g: TensorInfo; a?: TensorInfo };
  const at = attrs as unknown as MomentumUpdateAttrs;
  const withAcc = at.momentum > 0;
  if (withAcc && acc === undefined) throw new Error(`${MOMENTUM_UPDATE}: momentum ${at.momentum} needs the accumulator input 'a'`);
  checkSame(MOMENTUM_UPDATE, x, x, g, ...(withAcc ? [acc!] : []));
  const simd = simdKernels(backend);
  if (!simd) throw new Error(`${MOMENTUM_UPDATE}: wasm SIMD kernels unavailable (check fusedUpdatesAvailable() first)`);
  const xo = backend.makeOutput(x.shape.slice(), 'float32');
  const ao = withAcc ? backend.makeOutput(x.shape.slice(), 'float32') : undefined;
  const n = tf.util.sizeFromShape(x.shape);
  const n4 = n & ~3;
  const [neglr, mom, wd] = [-at.lr, at.momentum, at.weightDecay].map(f);
  const [k1, k2] = at.nesterov ? [1, mom] : [0, 1];
  const gp = heapPtr(backend, g);
  simd.momentum(heapPtr(backend, x), gp, withAcc ? heapPtr(backend, acc!) : gp, heapPtr(backend, xo), ao ? heapPtr(backend, ao) : gp, n4, neglr, mom, wd, k1, k2, withAcc ? 1 : 0);
  if (n4 < n) {
    const X = viewF32(backend, x);
    const G = viewF32(backend, g);
    const XO = viewF32(backend, xo);
    const A = withAcc ? viewF32(backend, acc!) : undefined;
    const AO = ao ? viewF32(backend, ao) : undefined;
    for (let i = n4; i < n; i++) {
      const gg = f(G[i] + f(X[i] * wd));
      let step = gg;
      if (A && AO) {
        const aa = f(f(mom * A[i]) + gg);
        AO[i] = aa;
        step = f(f(gg * k1) + f(aa * k2));
      }
      XO[i] = f(f(neglr * step) + X[i]);
    }
  }
  return ao ? [xo, ao] : [xo];
};

let registered = false;

/** Registers the fused update kernels on 'wasm' (idempotent). */
export function registerFusedUpdates(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: adamKernel });
  tf.registerKernel({ kernelName: MOMENTUM_UPDATE, backendName: 'wasm', kernelFunc: momentumKernel });
}

/** True when the current backend is wasm with prunekit's kernels and the SIMD module instantiates. */
export function fusedUpdatesAvailable(): boolean {
  if (!registered || tf.getBackend() !== 'wasm') return false;
  return simdKernels(asWasm(tf.backend())) !== undefined;
}

/** One fused Adam step for one variable: returns [x', m', v'] (new tensors). */
export function adamUpdate(x: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamUpdateAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const out = tf.engine().runKernel(ADAM_UPDATE, { x, g, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return [out[0], out[1], out[2]];
}

/** One fused SGD / momentum step: returns [x'] (momentum 0) or [x', a']. */
export function momentumUpdate(x: tf.Tensor, g: tf.Tensor, a: tf.Tensor | undefined, attrs: MomentumUpdateAttrs): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = a ? { x, g, a } : { x, g };
  return tf.engine().runKernel(MOMENTUM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}
