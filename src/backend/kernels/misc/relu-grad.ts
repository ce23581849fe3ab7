/**
 * The ReLU gradient of the wasm training ops (Dense, Conv2D): ∂x = dy·[y > 0] from the ReLU's output y, one pass of
 * prunekit's SIMD module (`reluGrad` in simd/update.wat) instead of tfjs' Step + Multiply (three passes, two
 * kernels). Without the SIMD module (PRUNEKIT_WASM_SIMD=off) it is tfjs' `dy·step(y)`. Differs from that only for
 * a NaN y (0 here, NaN there).
 */
import * as tf from '@tensorflow/tfjs';
import { asWasm, type TensorInfo } from '../wasm-heap.js';
import { heapPtr, simdKernels } from '../simd/instance.js';

export const RELU_GRAD = 'PrunekitReluGrad';

let registered = false;

function registerReluGrad(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: anyBackend }) => {
      const backend = asWasm(anyBackend);
      const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
      const simd = simdKernels(backend)!;
      const out = backend.makeOutput(dy.shape.slice(), 'float32');
      simd.reluGrad(heapPtr(backend, dy), heapPtr(backend, y), heapPtr(backend, out), tf.util.sizeFromShape(dy.shape));
      return out;
    },
  });
}

/** dy·[y > 0] for float32 tensors of one shape on wasm. */
export function reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const backend = tf.backend();
  const fused = tf.getBackend() === 'wasm' && dy.dtype === 'float32' && y.dtype === 'float32' && simdKernels(asWasm(backend)) !== undefined;
  if (!fused) return tf.mul(dy, tf.step(y));
  registerReluGrad();
  return tf.engine().runKernel(RELU_GRAD, { dy, y }) as tf.Tensor;
}

let gradientRegistered = false;

/**
 * The gradient of tf.relu (kernel 'Relu', used by Activation / ReLU layers, e.g. after BatchNormalization) through
 * `reluGrad`: one SIMD pass on wasm instead of Step + Cast + Multiply; elsewhere (other backends, other dtypes) the
 * same formula as tfjs-core's Relu_grad, dy·step(x). x > 0 exactly where relu(x) > 0, so the saved input serves.
 * In resnet20's training step (21 ReLUs, batch 128, 28×28) Step alone took ~10 of ~250 ms.
 */
export function registerReluGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => reluGrad(dy as tf.Tensor, x) };
    },
  });
}
