/** Registers prunekit's training kernels on the wasm backend (idempotent). */
import { registerConvGradKernels } from './conv/index.js';
import { registerMiscKernels } from './misc/index.js';
import { registerFusedUpdates } from './simd/fused-update.js';

let registered = false;

export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  registerConvGradKernels();
  registerMiscKernels();
  registerFusedUpdates();
}
