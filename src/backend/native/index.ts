/**
 * prunekit's native kernel provider: libtorch (ATen) kernels registered on the TF.js wasm backend,
 * working on the wasm heap without copies (NHWC = channels-last). The tfjs backend stays 'wasm': every
 * tensor lives in wasm memory, the heavy kernels (Conv2D forward and both gradients, depthwise, (batched,
 * fused) MatMul with transposes, fused batch-norm training forward/backward, max/avg pooling and
 * gradients, the Adam update) dispatch to the addon while it is active, and every other kernel is the
 * wasm one. Each native kernel falls back to the kernel it replaced for inputs it does not take (other
 * dtypes, prelu, asymmetric average pooling, empty tensors), and after `setNativeKernelsActive(false)`.
 *
 * Why on the wasm heap rather than a complete backend with native tensors: the few heavy kernels carry
 * nearly all of a training step's time, so wrapping wasm memory keeps TF.js's other ~100 kernels, the
 * layers' code paths and prunekit's own wasm kernels working unchanged, at no copy cost (see README).
 */
import * as tf from '@tensorflow/tfjs';
import { BN_TRAIN, BN_TRAIN_GRAD } from '../kernels/misc/batch-norm-train.js';
import { replaceWasmKernel } from '../kernels/misc/replace-kernel.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { NATIVE_ADAM, nativeAdamKernel, patchAdamOptimizer } from './adam.js';
import { nativeBatchNormTrain, nativeBatchNormTrainGrad } from './batch-norm.js';
import { nativeConvBackpropFilter, nativeConvBackpropInput, nativeConvForward } from './conv.js';
import { nativeMatMul } from './matmul.js';
import { nativeAvgPool, nativeAvgPoolGrad, nativeMaxPool, nativeMaxPoolGrad } from './pool.js';
import { applyNativeThreadEnv } from './threads.js';

export { loadNativeAddon, nativeAddonPath, type NativeAddon } from './addon.js';
export { applyNativeThreadEnv } from './threads.js';

let active: NativeAddon | undefined;
let registered = false;
const current = (): NativeAddon | undefined => active;

/** Kernel names that get a native implementation (for tests and docs). */
export const NATIVE_KERNELS = [
  'Conv2D',
  'FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'BatchMatMul',
  '_FusedMatMul',
  'MaxPool',
  'MaxPoolGrad',
  'AvgPool',
  'AvgPoolGrad',
  BN_TRAIN,
  BN_TRAIN_GRAD,
  NATIVE_ADAM,
] as const;

/**
 * Wraps the current wasm kernels (prunekit's wasm training kernels must already be registered, so that
 * they are the fallbacks) with native dispatchers. Idempotent.
 */
function registerNativeKernels(): void {
  if (registered) return;
  registered = true;
  const need = (name: string, prev: tf.KernelFunc | undefined): tf.KernelFunc => {
    if (!prev) throw new Error(`prunekit native kernels: the wasm kernel '${name}' is not registered; register the wasm training kernels first`);
    return prev;
  };
  for (const [name, depthwise] of [['Conv2D', false], ['FusedConv2D', false], ['DepthwiseConv2dNative', true], ['FusedDepthwiseConv2D', true]] as const) {
    replaceWasmKernel(name, (prev) => nativeConvForward(name, depthwise, current, need(name, prev)));
  }
  for (const [name, depthwise] of [['Conv2DBackpropInput', false], ['DepthwiseConv2dNativeBackpropInput', true]] as const) {
    replaceWasmKernel(name, (prev) => nativeConvBackpropInput(name, depthwise, current, need(name, prev)));
  }
  for (const [name, depthwise] of [['Conv2DBackpropFilter', false], ['DepthwiseConv2dNativeBackpropFilter', true]] as const) {
    replaceWasmKernel(name, (prev) => nativeConvBackpropFilter(name, depthwise, current, need(name, prev)));
  }
  replaceWasmKernel('BatchMatMul', (prev) => nativeMatMul('BatchMatMul', current, need('BatchMatMul', prev)));
  replaceWasmKernel('_FusedMatMul', (prev) => nativeMatMul('_FusedMatMul', current, need('_FusedMatMul', prev)));
  replaceWasmKernel('MaxPool', (prev) => nativeMaxPool(current, need('MaxPool', prev)));
  replaceWasmKernel('MaxPoolGrad', (prev) => nativeMaxPoolGrad(current, need('MaxPoolGrad', prev)));
  replaceWasmKernel('AvgPool', (prev) => nativeAvgPool(current, need('AvgPool', prev)));
  replaceWasmKernel('AvgPoolGrad', (prev) => nativeAvgPoolGrad(current, need('AvgPoolGrad', prev)));
  replaceWasmKernel(BN_TRAIN, (prev) => nativeBatchNormTrain(current, need(BN_TRAIN, prev)));
  replaceWasmKernel(BN_TRAIN_GRAD, (prev) => nativeBatchNormTrainGrad(current, need(BN_TRAIN_GRAD, prev)));
  tf.registerKernel({ kernelName: NATIVE_ADAM, backendName: 'wasm', kernelFunc: nativeAdamKernel(current) });
  patchAdamOptimizer(() => active !== undefined);
}

export type NativeSetup = { ok: true; threads: number; detail: string } | { ok: false; reason: string };

/**
 * Loads the addon (thread environment first: OpenMP passive wait, one thread count for libtorch, OpenMP
 * and OpenBLAS) and makes the native kernels active on the wasm backend. Call after prunekit's wasm
 * training kernels are registered. Never throws for a missing/unloadable addon: `reason` says why.
 */
export function enableNativeKernels(threads: number): NativeSetup {
  const env = applyNativeThreadEnv(threads);
  const load = loadNativeAddon();
  if (!load.addon) return { ok: false, reason: load.reason };
  load.addon.setThreads(threads);
  registerNativeKernels();
  active = load.addon;
  const info = load.addon.info();
  const kept = env.kept.length ? `; kept ${env.kept.join(' ')}` : '';
  return {
    ok: true,
    threads,
    detail: `libtorch ${info.torchVersion} kernels on the wasm heap (oneDNN/OpenBLAS, ${threads} thread${threads === 1 ? '' : 's'}, OpenMP passive wait${kept}); other kernels: wasm, 1 thread`,
  };
}

/** Switches the native dispatch off (the replaced wasm kernels run) or back on; for tests and benchmarks. */
export function setNativeKernelsActive(on: boolean): void {
  if (on) {
    const load = loadNativeAddon();
    if (!load.addon) throw new Error(`setNativeKernelsActive: ${load.reason}`);
    if (!registered) throw new Error('setNativeKernelsActive: call enableNativeKernels first');
    active = load.addon;
  } else {
    active = undefined;
  }
}

export function nativeKernelsActive(): boolean {
  return active !== undefined;
}
