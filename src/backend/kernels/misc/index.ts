/**
 * Other training kernels for wasm: matmul with transposes, pooling grads, Tile, leading-axis reductions,
 * copy-free Identity/Cast,
 * inference batch norm as one SIMD pass (batch-norm-inference.ts), and a fused batch-norm training op that tfjs-layers' BatchNormalization uses on wasm (runtime patch of
 * the layer's `call`; its config and serialisation are unchanged), and Dense training with lazy gradients
 * (dense-train.ts, same kind of patch), and Conv2D training as one threaded fused op with lazy gradients (conv-train.ts).
 */
import { replaceWasmKernel } from './replace-kernel.js';
import { makeCast, makeIdentity } from './identity.js';
import { makeBatchMatMul, makeFusedMatMul } from './matmul.js';
import { maxPoolGrad } from './max-pool-grad.js';
import { avgPoolGrad } from './avg-pool-grad.js';
import { makeTile } from './tile.js';
import { makeFusedBatchNorm } from './batch-norm-inference.js';
import { makeMean, makeSum } from './reduce-leading.js';
import { registerBatchNormTraining } from './batch-norm-train.js';
import { patchBatchNormalizationLayer } from './batch-norm-layer-patch.js';
import { patchDenseLayer, registerDenseTraining } from './dense-train.js';
import { patchConv2DLayer, registerConvTraining } from './conv-train.js';
import { registerReluGradient } from './relu-grad.js';

let registered = false;

/** Replaces the slow stock wasm kernels a training step hits (idempotent). */
export function registerMiscKernels(): void {
  if (registered) return;
  registered = true;
  replaceWasmKernel('BatchMatMul', makeBatchMatMul);
  replaceWasmKernel('_FusedMatMul', makeFusedMatMul);
  replaceWasmKernel('MaxPoolGrad', () => maxPoolGrad);
  replaceWasmKernel('AvgPoolGrad', () => avgPoolGrad);
  replaceWasmKernel('Tile', makeTile);
  replaceWasmKernel('FusedBatchNorm', makeFusedBatchNorm);
  replaceWasmKernel('Sum', makeSum);
  replaceWasmKernel('Mean', makeMean);
  replaceWasmKernel('Identity', makeIdentity);
  replaceWasmKernel('Cast', makeCast);
  registerBatchNormTraining();
  patchBatchNormalizationLayer();
  registerDenseTraining();
  patchDenseLayer();
  registerConvTraining();
  patchConv2DLayer();
  registerReluGradient();
}
