/**
 * Fused Adam update on the native provider: one kernel per variable (w, g, m, v) → (w', m', v') instead
 * of tf.train.adam's ~10 elementwise kernels, same float32 arithmetic (native/src/optimizer.cc):
 *   m' = β1·m + (1−β1)·g;  v' = β2·v + (1−β2)·g²;  w' = w − lr·(m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε)
 * Installed as a patch of AdamOptimizer.prototype.applyGradients that takes this path only while the
 * native kernels are active on the wasm backend; otherwise (and for everything else: slot creation and
 * names, getWeights/setWeights, β accumulators, iteration count) it is tfjs-core 4.22's own code.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.js';
import { allFloat32, asWasm, offsetOf, withOutputs, type TensorInfo } from './heap.js';

export const NATIVE_ADAM = 'PrunekitNativeAdam';

type KernelFn = tf.KernelFunc;
type Args = Parameters<KernelFn>[0];

interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

export function nativeAdamKernel(addon: () => NativeAddon | undefined): KernelFn {
  return (args: Args) => {
    const native = addon();
    if (!native) throw new Error(`${NATIVE_ADAM}: the native kernels are not active`);
    const { w, g, m, v } = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as AdamAttrs;
    const backend = asWasm(args.backend);
    const n = w.shape.reduce((p, q) => p * q, 1);
    return withOutputs(backend, [w.shape.slice(), w.shape.slice(), w.shape.slice()], (heap, [wo, mo, vo]) =>
      native.adam(heap, offsetOf(backend, w), offsetOf(backend, g), offsetOf(backend, m), offsetOf(backend, v), wo, mo, vo, n,
        a.lr, a.beta1, a.beta2, a.epsilon, a.oneMinusAccBeta1, a.oneMinusAccBeta2),
    );
  };
}

interface SlotVar {
  originalName: string;
  variable: tf.Variable;
}
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: SlotVar[];
  accumulatedSecondMoment: SlotVar[];
  incrementIterations(): void;
}
type ApplyFn = (this: tf.Optimizer, grads: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>) => void;

const PATCHED = Symbol.for('prunekit.nativeAdamPatch');

/** Installs the patch once per process; `active` says whether to take the native path right now. */
export function patchAdamOptimizer(active: () => boolean): void {
  const proto = tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyFn; [PATCHED]?: ApplyFn };
  if (proto[PATCHED]) return;
  const original = proto.applyGradients;
  proto[PATCHED] = original;
  proto.applyGradients = function (this: tf.Optimizer, variableGradients) {
    if (!active() || tf.getBackend() !== 'wasm') return original.call(this, variableGradients);
    const self = this as unknown as AdamInternals;
    const list = Array.isArray(variableGradients) ? variableGradients : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const usable = list.every(({ name, tensor }) => {
      const value = tf.engine().registeredVariables[name];
      return tensor == null || (value !== undefined && allFloat32(value, tensor) && tensor.size === value.size);
    });
    if (!usable) return original.call(this, variableGradients);
    tf.tidy(() => {
      // the same float32 scalars tfjs computes: 1 − accβ (accβ is a float32 variable)
      const oneMinusAccBeta1 = Math.fround(1 - self.accBeta1.dataSync()[0]);
      const oneMinusAccBeta2 = Math.fround(1 - self.accBeta2.dataSync()[0]);
      list.forEach(({ name, tensor: gradient }, i) => {
        const value = tf.engine().registeredVariables[name];
        if (self.accumulatedFirstMoment[i] == null) {
          self.accumulatedFirstMoment[i] = { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        }
        if (self.accumulatedSecondMoment[i] == null) {
          self.accumulatedSecondMoment[i] = { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        }
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        const attrs = {
          lr: self.learningRate,
          beta1: self.beta1,
          beta2: self.beta2,
          epsilon: self.epsilon,
          oneMinusAccBeta1,
          oneMinusAccBeta2,
        };
        const [w2, m2, v2] = tf.engine().runKernel(NATIVE_ADAM, { w: value, g: gradient, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(m2);
        v.assign(v2);
        value.assign(w2);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  };
}
