/**
 * Inference latency in onnxruntime-node: wall time of `session.run` (output read back into a JS
 * typed array) on one fixed seeded input batch, median and 10th/90th percentiles over `runs` timed
 * calls after `warmup` untimed ones, several models interleaved (A, B, A, B, …) like `compareLatency`;
 * `rewarm` untimed calls before each timed one measure the steady state (caches warm for that model).
 */
import { loadOnnxRuntime } from '../io/onnx/runtime.js';
import { createRng, randNormal } from '../util/random.js';
import { latencyStats, type LatencyRow } from './latency.js';

export interface OnnxLatencyModel {
  label: string;
  /** Serialized ONNX model (see exportOnnx). */
  bytes: Uint8Array;
}

export interface OnnxLatencyOptions {
  warmup?: number;
  runs?: number;
  seed?: number;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /**
   * Untimed calls of a model right before each of its timed calls (default 0). With 1, every timed call
   * finds the model's weights and buffers warm in the caches, as when one model serves requests in a
   * loop, while the rounds stay interleaved across the models (steady-state latency, drift-fair).
   */
  rewarm?: number;
}

/** Latency of every ONNX model at every batch size in onnxruntime-node (CPU), runs interleaved. */
export async function compareOnnxLatency(
  models: readonly OnnxLatencyModel[],
  inputShape: readonly number[],
  batches: readonly number[],
  opts: OnnxLatencyOptions = {},
): Promise<LatencyRow[]> {
  const ort = await loadOnnxRuntime();
  const warmup = opts.warmup ?? 2;
  const runs = opts.runs ?? 10;
  if (models.length === 0) throw new Error('compareOnnxLatency: no models');
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`compareOnnxLatency: runs must be an integer ≥ 1, got ${runs}`);
  const sessions = await Promise.all(
    models.map((m) =>
      ort.InferenceSession.create(m.bytes, {
        intraOpNumThreads: opts.threads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // no busy-waiting of the intra-op pool between kernels: on a shared machine spinning threads
        // steal the cores the work needs
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      }),
    ),
  );
  try {
    const rows: LatencyRow[] = [];
    for (const batch of batches) {
      const shape = [batch, ...inputShape];
      const n = shape.reduce((a, b) => a * b, 1);
      const rng = createRng(opts.seed ?? 0);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = randNormal(rng);
      const feed = (s: (typeof sessions)[number]) => ({ [s.inputNames[0]]: new ort.Tensor('float32', data, shape) });
      const once = async (s: (typeof sessions)[number]): Promise<number> => {
        const t0 = performance.now();
        const out = await s.run(feed(s));
        const first = out[s.outputNames[0]].data as Float32Array;
        if (first.length === 0) throw new Error('compareOnnxLatency: empty output');
        return performance.now() - t0;
      };
      for (const s of sessions) for (let i = 0; i < warmup; i++) await once(s);
      const times = sessions.map(() => [] as number[]);
      const rewarm = opts.rewarm ?? 0;
      for (let r = 0; r < runs; r++) {
        for (let i = 0; i < sessions.length; i++) {
          for (let k = 0; k < rewarm; k++) await once(sessions[i]);
          times[i].push(await once(sessions[i]));
        }
      }
      const stats = times.map((t) => latencyStats(batch, t));
      rows.push({ batch, stats, speedup: stats.map((s) => stats[0].medianMs / s.medianMs) });
    }
    return rows;
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}
