/**
 * Convolution gradient kernels for wasm (Conv2DBackpropFilter, Conv2DBackpropInput, depthwise).
 *
 * Stock tfjs-backend-wasm 4.22.0 lacks Conv2DBackpropFilter and both depthwise gradients, and its
 * Conv2DBackpropInput is a naive loop; these replacements reach XNNPACK's forward kernels.
 * Requires '@tensorflow/tfjs-backend-wasm' to have been imported first (its kernels are reused).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasm } from './backprop-filter.js';
import { conv2DBackpropInputWasm } from './backprop-input.js';
import { depthwiseBackpropFilterWasm } from './depthwise-backprop-filter.js';
import { depthwiseBackpropInputWasm } from './depthwise-backprop-input.js';

const KERNELS: Array<[string, tf.KernelFunc]> = [
  ['Conv2DBackpropInput', conv2DBackpropInputWasm as unknown as tf.KernelFunc],
  ['Conv2DBackpropFilter', conv2DBackpropFilterWasm as unknown as tf.KernelFunc],
  ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInputWasm as unknown as tf.KernelFunc],
  ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilterWasm as unknown as tf.KernelFunc],
];

/** The stock wasm kernels that were replaced (for benchmarks and comparisons). */
const stock = new Map<string, tf.KernelConfig>();
let registered = false;

export function registerConvGradKernels(): void {
  if (registered) return;
  for (const name of ['Conv2D', 'Transpose', 'BatchMatMul']) {
    if (!tf.getKernel(name, 'wasm')) {
      throw new Error(
        `registerConvGradKernels: the wasm kernel '${name}' is not registered; import '@tensorflow/tfjs-backend-wasm' before registering prunekit's kernels`,
      );
    }
  }
  for (const [kernelName, kernelFunc] of KERNELS) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing) {
      stock.set(kernelName, existing);
      tf.unregisterKernel(kernelName, 'wasm');
    }
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  registered = true;
}

/**
 * The stock wasm kernel config that `registerConvGradKernels` replaced, if there was one (only
 * Conv2DBackpropInput in 4.22.0). If it was replaced before the wasm backend initialised, its setupFunc
 * never ran: call `config.setupFunc?.(tf.backend())` once before calling its kernelFunc.
 */
export function stockWasmKernel(kernelName: string): tf.KernelConfig | undefined {
  return stock.get(kernelName);
}
