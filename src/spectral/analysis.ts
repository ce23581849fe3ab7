/**
 * Frequency analysis of a classifier as a function (methods.md 3.2), two views:
 *
 * (a) The filtering method (F-Principle): on an analysis set x_1..x_n with targets y (the teacher's
 *     probabilities or one-hot labels) and the network's probabilities h, for Gaussian widths δ:
 *       e_low(δ)  = ‖G^δ(y − h)‖ / ‖G^δ y‖,   e_high(δ) = ‖(I − G^δ)(y − h)‖ / ‖(I − G^δ) y‖
 *     (Frobenius norms; G^δ the row-normalised kernel over the set). δ is given as a multiple of the
 *     median pairwise squared distance.
 * (b) The input-spectrum view: accuracy, and agreement with the teacher, on the set's images low-passed
 *     at radii 1…max (the last radius is the unfiltered image).
 *
 * `FrequencyAnalyzer` holds the set's kernels once; `analysisRecorder` runs it after every epoch of
 * training (pass it as trainModel's onEpochEnd).
 */
import * as tf from '@tensorflow/tfjs';
import { allExamples } from '../data/batches.js';
import type { ImageSet } from '../data/types.js';
import { batchTensor, forwardLogits } from '../train/evaluate.js';
import type { EpochLogs } from '../train/types.js';
import { flattenRows, medianDistance, smoothingKernel, squaredDistances } from './smoothing-kernel.js';
import { lowPassImages, maxRadius } from './lowpass.js';

export interface FilteringPoint {
  /** δ / median d_ij. */
  deltaFactor: number;
  delta: number;
  eLow: number;
  eHigh: number;
}

export interface SpectrumPoint {
  /** Cut-off radius; the last point (radius ≥ maxRadius) is the unfiltered input. */
  radius: number;
  accuracy: number;
  /** Fraction of images whose arg-max equals the teacher's on the same filtered images (null without teacher). */
  agreement: number | null;
}

export interface FrequencyAnalysis {
  label: string;
  /** What y is in the filtering method. */
  target: 'teacher' | 'labels';
  /** Accuracy on the unfiltered analysis set. */
  accuracy: number;
  filtering: FilteringPoint[];
  spectrum: SpectrumPoint[];
  /** Set when recorded during training. */
  epoch?: number;
}

export interface AnalyzerOptions {
  /** The reference network (targets y and agreement). Without it y = one-hot labels. */
  teacher?: tf.LayersModel;
  /** δ as multiples of the median pairwise squared distance (default 0.01, 0.03, 0.1, 0.3, 1, 3). */
  deltaFactors?: number[];
  /** Radii of the spectrum view (default 1 … ⌈maxRadius⌉). */
  radii?: number[];
  /** Batch size for forward passes (default 500). */
  batchSize?: number;
}

export const DEFAULT_DELTA_FACTORS = [0.01, 0.03, 0.1, 0.3, 1, 3];

/** Default radii 1 … ⌈maxRadius(H, W)⌉ (the last one keeps every coefficient). */
export function defaultRadii(h: number, w: number): number[] {
  const out: number[] = [];
  for (let r = 1; r <= Math.ceil(maxRadius(h, w)); r++) out.push(r);
  return out;
}

/** Probabilities [n, K] of a model on a tensor batch, in inference mode, batched. */
function probabilities(model: tf.LayersModel, x: tf.Tensor4D, batchSize: number): tf.Tensor2D {
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    for (let s = 0; s < x.shape[0]; s += batchSize) {
      const size = Math.min(batchSize, x.shape[0] - s);
      parts.push(tf.softmax(forwardLogits(model, tf.slice(x, [s, 0, 0, 0], [size, -1, -1, -1]), false)) as tf.Tensor2D);
    }
    return (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor2D;
  });
}

/** Row arg-max as numbers; disposes `p`. */
function argMaxValues(p: tf.Tensor2D): Int32Array {
  const a = tf.argMax(p, 1);
  const out = Int32Array.from(a.dataSync());
  tf.dispose([a, p]);
  return out;
}

export class FrequencyAnalyzer {
  readonly deltaFactors: number[];
  readonly radii: number[];
  readonly medianDistance: number;
  private readonly x: tf.Tensor4D;
  private readonly labels: Int32Array;
  private readonly kernels: tf.Tensor2D[];
  private readonly y: tf.Tensor2D;
  private readonly yNorms: { low: number; high: number }[];
  /** Teacher arg-max per radius (cached; inputs repeat every call). */
  private readonly teacherArgMax: (Int32Array | null)[];
  private readonly batchSize: number;
  private disposed = false;

  constructor(
    readonly set: ImageSet,
    private readonly opts: AnalyzerOptions = {},
  ) {
    if (set.count < 2) throw new Error(`FrequencyAnalyzer: the analysis set ${set.name} needs at least 2 images`);
    this.deltaFactors = opts.deltaFactors ?? DEFAULT_DELTA_FACTORS;
    if (this.deltaFactors.some((f) => !(f > 0))) throw new Error(`FrequencyAnalyzer: δ factors must be positive, got ${this.deltaFactors}`);
    this.radii = opts.radii ?? defaultRadii(set.height, set.width);
    this.batchSize = opts.batchSize ?? 500;
    this.labels = set.labels;
    this.x = tf.keep(batchTensor(set, allExamples(set), set.count));
    const d = tf.tidy(() => squaredDistances(flattenRows(this.x)));
    this.medianDistance = medianDistance(d.dataSync() as Float32Array, set.count);
    this.kernels = this.deltaFactors.map((f) => tf.keep(smoothingKernel(d, f * this.medianDistance)));
    d.dispose();
    const teacher = opts.teacher;
    this.y = tf.keep(
      tf.tidy(() =>
        teacher ? probabilities(teacher, this.x, this.batchSize) : (tf.oneHot(tf.tensor1d(set.labels, 'int32'), set.numClasses).toFloat() as tf.Tensor2D),
      ),
    );
    this.yNorms = this.kernels.map((g) =>
      tf.tidy(() => {
        const low = tf.matMul(g, this.y);
        return { low: tf.norm(low).dataSync()[0], high: tf.norm(tf.sub(this.y, low)).dataSync()[0] };
      }),
    );
    this.teacherArgMax = this.radii.map(() => null);
  }

  /** Filtering-method errors of `model` against the targets. */
  filtering(model: tf.LayersModel): FilteringPoint[] {
    this.check();
    return tf.tidy(() => {
      const h = probabilities(model, this.x, this.batchSize);
      if (h.shape[1] !== this.y.shape[1]) throw new Error(`FrequencyAnalyzer: model '${model.name}' outputs ${h.shape[1]} classes, targets have ${this.y.shape[1]}`);
      const e = tf.sub(this.y, h);
      return this.kernels.map((g, i) => {
        const low = tf.matMul(g, e);
        const nl = tf.norm(low).dataSync()[0];
        const nh = tf.norm(tf.sub(e, low)).dataSync()[0];
        const yn = this.yNorms[i];
        return {
          deltaFactor: this.deltaFactors[i],
          delta: this.deltaFactors[i] * this.medianDistance,
          eLow: yn.low > 0 ? nl / yn.low : 0,
          eHigh: yn.high > 0 ? nh / yn.high : 0,
        };
      });
    });
  }

  /** Accuracy and teacher agreement on low-passed inputs. */
  spectrum(model: tf.LayersModel): SpectrumPoint[] {
    this.check();
    return this.radii.map((r, i) => {
      const xr = lowPassImages(this.x, r);
      try {
        const pred = argMaxValues(tf.tidy(() => probabilities(model, xr, this.batchSize)));
        let teach = this.teacherArgMax[i];
        if (!teach && this.opts.teacher) {
          const t = this.opts.teacher;
          teach = argMaxValues(tf.tidy(() => probabilities(t, xr, this.batchSize)));
          this.teacherArgMax[i] = teach;
        }
        let correct = 0;
        let agree = 0;
        for (let k = 0; k < pred.length; k++) {
          if (pred[k] === this.labels[k]) correct++;
          if (teach && pred[k] === teach[k]) agree++;
        }
        return { radius: r, accuracy: correct / pred.length, agreement: teach ? agree / pred.length : null };
      } finally {
        xr.dispose();
      }
    });
  }

  /** Both views plus plain accuracy. */
  analyze(model: tf.LayersModel, label: string): FrequencyAnalysis {
    const pred = argMaxValues(tf.tidy(() => probabilities(model, this.x, this.batchSize)));
    let correct = 0;
    for (let k = 0; k < pred.length; k++) if (pred[k] === this.labels[k]) correct++;
    return {
      label,
      target: this.opts.teacher ? 'teacher' : 'labels',
      accuracy: correct / pred.length,
      filtering: this.filtering(model),
      spectrum: this.spectrum(model),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([this.x, this.y, ...this.kernels]);
  }

  private check(): void {
    if (this.disposed) throw new Error('FrequencyAnalyzer: used after dispose()');
  }
}

export interface AnalysisRecorder {
  /** Pass as trainModel's onEpochEnd. */
  onEpochEnd: (epoch: number, logs: EpochLogs) => void;
  records: FrequencyAnalysis[];
}

/** Records `analyzer.analyze(model)` after every epoch (label `${prefix} epoch N`, 1-based). */
export function analysisRecorder(analyzer: FrequencyAnalyzer, model: tf.LayersModel, prefix = 'retrain'): AnalysisRecorder {
  const records: FrequencyAnalysis[] = [];
  return {
    records,
    onEpochEnd: (epoch: number) => {
      records.push({ ...analyzer.analyze(model, `${prefix} epoch ${epoch + 1}`), epoch: epoch + 1 });
    },
  };
}
