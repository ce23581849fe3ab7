/**
 * Per-channel normalisation x' = (x − mean[c]) / std[c] on NHWC ImageSets (in memory, or streamed:
 * statistics read example by example, normalisation applied as each example is read).
 */
import type { ExampleSource, ImageSet } from './types.js';

export interface ChannelStats {
  /** One mean per channel. */
  mean: number[];
  /** One standard deviation per channel (population std, > 0). */
  std: number[];
}

/** Per-channel mean and population std of a set (float64 accumulation, two passes). */
export function channelStats(set: ImageSet): ChannelStats {
  const C = set.channels;
  const per = set.height * set.width * C;
  const n = (set.source ? set.count * per : set.images.length) / C;
  if (n === 0) throw new Error(`channelStats(${set.name}): the set is empty`);
  const chunks = (fn: (a: Float32Array) => void) => {
    if (!set.source) return fn(set.images);
    const buf = new Float32Array(per);
    for (let i = 0; i < set.count; i++) {
      set.source.read(i, buf, 0);
      fn(buf);
    }
  };
  const sum = new Float64Array(C);
  chunks((a) => {
    for (let i = 0; i < a.length; i++) sum[i % C] += a[i];
  });
  const mean = Array.from(sum, (s) => s / n);
  const sq = new Float64Array(C);
  chunks((a) => {
    for (let i = 0; i < a.length; i++) {
      const d = a[i] - mean[i % C];
      sq[i % C] += d * d;
    }
  });
  const std = Array.from(sq, (s) => Math.sqrt(s / n));
  return { mean, std };
}

/**
 * Normalises `set` with the given (or computed-from-`set`) stats. Default: returns a new ImageSet
 * with new image data (labels shared). With `inPlace: true`, overwrites set.images and returns `set`.
 * A std below `minStd` (default 1e-6) is replaced by 1, so constant channels are only centred.
 */
export function normalize(
  set: ImageSet,
  stats: ChannelStats = channelStats(set),
  opts: { inPlace?: boolean; minStd?: number } = {},
): ImageSet {
  const C = set.channels;
  if (stats.mean.length !== C || stats.std.length !== C) {
    throw new Error(
      `normalize(${set.name}): stats have ${stats.mean.length} means / ${stats.std.length} stds, the set has ${C} channels`,
    );
  }
  const minStd = opts.minStd ?? 1e-6;
  const scale = stats.std.map((s) => {
    if (!Number.isFinite(s) || s < 0) throw new Error(`normalize(${set.name}): bad std ${s}`);
    return 1 / (s < minStd ? 1 : s);
  });
  const mean = stats.mean;
  if (set.source) {
    const from = set.source;
    const source: ExampleSource = {
      describe: from.describe,
      read(i, dst, off) {
        from.read(i, dst, off);
        const end = off + set.height * set.width * C;
        for (let j = off; j < end; j += C) for (let c = 0; c < C; c++) dst[j + c] = (dst[j + c] - mean[c]) * scale[c];
      },
    };
    if (opts.inPlace) {
      set.source = source;
      return set;
    }
    return { ...set, source };
  }
  const src = set.images;
  const dst = opts.inPlace ? src : new Float32Array(src.length);
  for (let i = 0; i < src.length; i += C) {
    for (let c = 0; c < C; c++) dst[i + c] = (src[i + c] - mean[c]) * scale[c];
  }
  return opts.inPlace ? set : { ...set, images: dst };
}

/** Inverse of normalize (returns new data): x = x'·std[c] + mean[c]. */
export function denormalize(set: ImageSet, stats: ChannelStats): ImageSet {
  const C = set.channels;
  const dst = new Float32Array(set.images.length);
  for (let i = 0; i < dst.length; i += C) {
    for (let c = 0; c < C; c++) dst[i + c] = set.images[i + c] * stats.std[c] + stats.mean[c];
  }
  return { ...set, images: dst };
}
