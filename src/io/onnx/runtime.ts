/**
 * onnxruntime-node, loaded on demand (a dev/optional dependency: the exporter itself does not need it),
 * and `verifyOnnx`: the exported file run in onnxruntime against `model.predict` on a seeded batch,
 * relative error max|a − b| / max|b| (src/util/rel-error.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { maxRelError } from '../../util/rel-error.js';
import type { OnnxInputLayout } from './export.js';

export type OrtModule = typeof import('onnxruntime-node');

let cached: OrtModule | undefined;

/** The onnxruntime-node module, or a clear error saying how to install it. */
export async function loadOnnxRuntime(): Promise<OrtModule> {
  if (cached) return cached;
  try {
    const m = (await import('onnxruntime-node')) as OrtModule & { default?: OrtModule };
    cached = (m.InferenceSession ? m : m.default) as OrtModule;
    return cached;
  } catch (err) {
    throw new Error(
      `onnxruntime-node is not available (${(err as Error).message.split('\n')[0]}); install it with ` +
        '`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node` to run ONNX files in Node',
    );
  }
}

export interface VerifyOptions {
  batch?: number;
  seed?: number;
  inputLayout?: OnnxInputLayout;
  threads?: number;
}

/** Runs `bytes` in onnxruntime-node and `model` in TF.js on the same seeded N(0,1) batch; returns the relative error. */
export async function verifyOnnx(model: tf.LayersModel, bytes: Uint8Array, opts: VerifyOptions = {}): Promise<number> {
  const ort = await loadOnnxRuntime();
  const inShape = model.inputs[0].shape.slice(1);
  if (inShape.some((d) => d === null)) throw new Error(`verifyOnnx: model '${model.name}' has an input with unknown dimensions`);
  const batch = opts.batch ?? 2;
  const x = tf.randomNormal([batch, ...(inShape as number[])], 0, 1, 'float32', opts.seed ?? 0);
  const nchw = opts.inputLayout === 'nchw' && inShape.length === 3;
  try {
    const feed = nchw ? tf.tidy(() => tf.transpose(x, [0, 3, 1, 2])) : x;
    const want = tf.tidy(() => {
      const y = model.predict(x) as tf.Tensor;
      return nchw && y.shape.length === 4 ? tf.transpose(y, [0, 3, 1, 2]) : y;
    });
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1 });
    try {
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(feed.dataSync() as Float32Array), feed.shape) });
      const got = out[session.outputNames[0]];
      if (got.dims.length !== want.shape.length || got.dims.some((d, i) => d !== want.shape[i])) {
        throw new Error(`verifyOnnx: onnxruntime output shape [${got.dims}] differs from TF.js [${want.shape}]`);
      }
      return maxRelError(got.data as Float32Array, want.dataSync() as Float32Array);
    } finally {
      await session.release();
      tf.dispose(feed === x ? [want] : [feed, want]);
    }
  } finally {
    x.dispose();
  }
}
