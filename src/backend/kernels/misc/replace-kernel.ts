/**
 * Replaces (or adds) a kernel on the 'wasm' backend, keeping the stock kernel available to the
 * replacement as a fallback / fast path. Works before and after the backend is initialised.
 */
import * as tf from '@tensorflow/tfjs';

export type KernelFn = tf.KernelFunc;

/**
 * `make` receives the stock kernel function (undefined when wasm has none) and returns the new one.
 * The stock setup function is chained so the stock kernel stays usable.
 */
export function replaceWasmKernel(name: string, make: (stock: KernelFn | undefined) => KernelFn): void {
  const stockCfg = tf.getKernel(name, 'wasm');
  if (stockCfg !== undefined) tf.unregisterKernel(name, 'wasm');
  const stock = stockCfg?.kernelFunc;
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    setupFunc: stockCfg?.setupFunc,
    disposeFunc: stockCfg?.disposeFunc,
    kernelFunc: make(stock),
  });
}
