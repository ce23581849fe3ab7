/**
 * Dense layers in training on wasm as one op whose gradients are computed only for the inputs that need them.
 *
 * tfjs-layers' Dense calls `tf.fused.matMul`, whose custom gradient computes ∂x, ∂W and ∂b eagerly — so the
 * first layer of every MLP also computes ∂x = dy·Wᵀ for the input batch, which nothing uses (for the bench MLP
 * 784-500×4-10 that is a 784×500×batch GEMM, a third of a forward pass, every step). Here the layer's `call`
 * (training mode, wasm, rank-2 float32 input, activation relu or linear) runs the kernel 'PrunekitDenseTrain'
 * = the wasm _FusedMatMul (threaded 1×1-conv GEMM, gemm-conv.ts) with a registered gradient whose parts are
 * lazy: the engine calls only those on a path to the variables. Same formulas as tfjs-core's fused matMul:
 *   dyAct = dy·[y > 0] (relu; relu-grad.ts) or dy;  ∂x = dyAct·Wᵀ;  ∂W = xᵀ·dyAct;  ∂b = Σ_rows dyAct.
 * The layer's class, config, weights and serialisation are unchanged; everything else takes the original path.
 */
import * as tf from '@tensorflow/tfjs';
import { runWasmKernel, asWasm, type TensorInfo } from '../wasm-heap.js';
import { patchLayerTraining } from './layer-training-patch.js';
import { reluGrad } from './relu-grad.js';

export const DENSE_TRAIN = 'PrunekitDenseTrain';

type Activation = 'linear' | 'relu';

interface DenseInternals {
  kernel?: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  activation?: { getClassName(): string };
  invokeCallHook?(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): void;
}

const PATCHED = Symbol.for('prunekit.denseTrainingPatch');

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, kernel, bias } = inputs as { x: TensorInfo; kernel: TensorInfo; bias?: TensorInfo };
  const activation = (attrs as { activation: Activation }).activation;
  return runWasmKernel(asWasm(backend), '_FusedMatMul', bias ? { a: x, b: kernel, bias } : { a: x, b: kernel }, {
    transposeA: false,
    transposeB: false,
    activation,
    leakyreluAlpha: 0,
  });
};

let registered = false;

export function registerDenseTraining(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: DENSE_TRAIN, backendName: 'wasm', kernelFunc: forward });
  tf.registerGradient({
    kernelName: DENSE_TRAIN,
    inputsToSave: ['x', 'kernel'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, kernel, y] = saved;
      const g = dy as tf.Tensor;
      const dyAct = (attrs as unknown as { activation: Activation }).activation === 'relu' ? reluGrad(g, y) : g;
      return {
        x: () => tf.matMul(dyAct, kernel, false, true),
        kernel: () => tf.matMul(x, dyAct, true, false),
        bias: () => tf.sum(dyAct, 0),
      };
    },
  });
}

function fusable(layer: DenseInternals, input: tf.Tensor): Activation | undefined {
  if (!registered || tf.getBackend() !== 'wasm' || input.rank !== 2 || input.dtype !== 'float32') return undefined;
  if (!layer.kernel || layer.kernel.shape.length !== 2) return undefined;
  const name = layer.activation?.getClassName() ?? 'linear';
  return name === 'relu' || name === 'linear' ? name : undefined;
}

/** Installs the patch on tfjs-layers' Dense once per process; returns false when the class cannot be found. */
export function patchDenseLayer(): boolean {
  return patchLayerTraining('Dense', PATCHED, (layer, input, inputs, kwargs) => {
    const self = layer as unknown as DenseInternals;
    const activation = fusable(self, input);
    if (activation === undefined) return undefined;
    return tf.tidy(() => {
      self.invokeCallHook?.(inputs, kwargs);
      const kernel = self.kernel!.read();
      const bias = self.bias ? self.bias.read() : undefined;
      const ins: tf.NamedTensorMap = bias ? { x: input, kernel, bias } : { x: input, kernel };
      return tf.engine().runKernel(DENSE_TRAIN, ins, { activation }) as tf.Tensor;
    });
  });
}
