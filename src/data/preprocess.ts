/**
 * Input normalisations Keras models are trained with, as one per-channel affine map on pixels
 * scaled to [0, 1] (x = p / 255):   out[c] = (x[src(c)] − mean[c]) / std[c],   src(c) = C−1−c for BGR.
 *
 *   0-1     x                         (Rescaling(1/255))
 *   -1-1    2x − 1  (alias tf)        (keras.applications mobilenet/mobilenet_v2/inception/xception 'tf' mode)
 *   raw     255x                      (a model with its own Rescaling layer; EfficientNet)
 *   caffe   BGR, 255x − [103.939, 116.779, 123.68]    (keras.applications resnet50/vgg16 'caffe' mode)
 *   torch   (x − [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]  (keras.applications densenet 'torch' mode)
 *   stats   (x − mean_c) / std_c with the per-channel mean and population std of the train split
 *   M1,M2,M3/S1,S2,S3   explicit per-channel mean / std on the [0, 1] scale (one value = every channel)
 */
import type { ChannelStats } from './normalize.js';

export const NORMALIZE_MODES = ['stats', '0-1', '-1-1', 'tf', 'raw', 'caffe', 'torch'] as const;
export type NormalizeMode = Exclude<(typeof NORMALIZE_MODES)[number], 'tf'>;

export type NormalizeSpec = { mode: NormalizeMode } | { mode: 'mean-std'; mean: number[]; std: number[] };

/** The affine map of one normalisation for a given channel count. */
export interface PixelTransform {
  /** Output channel c reads input channel C−1−c (RGB → BGR). */
  bgr: boolean;
  /** Per output channel, on the [0, 1] pixel scale. */
  mean: number[];
  std: number[];
  /** e.g. 'caffe (BGR, 255x − mean)'. */
  describe: string;
}

const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

export const NORMALIZE_HELP =
  'stats (per-channel train statistics) | 0-1 | -1-1 (= tf) | raw (0-255) | caffe (BGR, mean-subtracted 0-255) | torch (ImageNet mean/std) | MEAN/STD lists, e.g. 0.5,0.5,0.5/0.25,0.25,0.25';

/** `--normalize` text → spec; throws naming the valid forms. */
export function parseNormalize(text: string): NormalizeSpec {
  const t = text.trim().toLowerCase();
  if (t === 'tf') return { mode: '-1-1' };
  if ((NORMALIZE_MODES as readonly string[]).includes(t)) return { mode: t as NormalizeMode };
  const parts = t.split('/');
  const list = (s: string | undefined) => (s === undefined ? [] : s.split(',').map((v) => Number(v.trim())));
  const mean = list(parts[0]);
  const std = list(parts[1]);
  if (
    parts.length !== 2 ||
    mean.length === 0 ||
    mean.some((v) => !Number.isFinite(v)) ||
    std.length === 0 ||
    std.some((v) => !(Number.isFinite(v) && v > 0))
  ) {
    throw new Error(`--normalize must be one of ${NORMALIZE_HELP}; got '${text}'`);
  }
  return { mode: 'mean-std', mean, std };
}

/** Short name of a spec, e.g. 'caffe' or 'mean 0.5,0.5,0.5 / std 0.25,0.25,0.25'. */
export function normalizeName(spec: NormalizeSpec): string {
  return spec.mode === 'mean-std' ? `mean ${spec.mean.join(',')} / std ${spec.std.join(',')}` : spec.mode;
}

/**
 * The affine map of `spec` for images with `channels` channels; `stats` (train-split statistics on
 * the [0, 1] scale) is needed for 'stats'. Throws naming the flag when a mode does not fit.
 */
export function pixelTransform(spec: NormalizeSpec, channels: number, stats?: () => ChannelStats): PixelTransform {
  const fill = (v: number) => new Array<number>(channels).fill(v);
  const rgbOnly = (name: string) => {
    if (channels !== 3) {
      throw new Error(`--normalize ${name} is defined for RGB (3-channel) inputs but the model takes ${channels} channel(s); use --normalize 0-1, -1-1 or stats`);
    }
  };
  switch (spec.mode) {
    case '0-1':
      return { bgr: false, mean: fill(0), std: fill(1), describe: '0-1 (x/255)' };
    case '-1-1':
      return { bgr: false, mean: fill(0.5), std: fill(0.5), describe: '-1-1 (x/127.5 − 1, Keras "tf")' };
    case 'raw':
      return { bgr: false, mean: fill(0), std: fill(1 / 255), describe: 'raw (0-255)' };
    case 'caffe':
      rgbOnly('caffe');
      return { bgr: true, mean: CAFFE_MEAN_BGR.map((m) => m / 255), std: fill(1 / 255), describe: 'caffe (BGR, x − [103.939, 116.779, 123.68])' };
    case 'torch':
      rgbOnly('torch');
      return { bgr: false, mean: [...TORCH_MEAN], std: [...TORCH_STD], describe: 'torch ((x/255 − ImageNet mean) / ImageNet std)' };
    case 'stats': {
      if (!stats) throw new Error('--normalize stats needs the training split to compute its statistics');
      const s = stats();
      return { bgr: false, mean: s.mean, std: s.std.map((v) => (v < 1e-6 ? 1 : v)), describe: `stats (train mean ${fmt(s.mean)}, std ${fmt(s.std)})` };
    }
    case 'mean-std': {
      const expand = (v: number[], what: string) => {
        if (v.length === 1) return fill(v[0]);
        if (v.length !== channels) throw new Error(`--normalize gives ${v.length} ${what} values but the images have ${channels} channels (give ${channels} or 1)`);
        return v;
      };
      return { bgr: false, mean: expand(spec.mean, 'mean'), std: expand(spec.std, 'std'), describe: `mean ${fmt(spec.mean)} / std ${fmt(spec.std)}` };
    }
  }
}

function fmt(v: number[]): string {
  return v.map((x) => Number(x.toFixed(4))).join(',');
}

/**
 * Applies `t` to `n` pixels of `channels` channels: src holds values on the [0, 1] scale (Float32Array)
 * or bytes 0..255 (Uint8Array, divided by 255); writes n·channels floats into dst at `offset`.
 */
export function applyPixelTransform(
  t: PixelTransform,
  src: Float32Array | Uint8Array,
  dst: Float32Array,
  offset: number,
  channels: number,
): void {
  const scale = src instanceof Uint8Array ? 1 / 255 : 1;
  const inv = t.std.map((s) => 1 / s);
  const px = new Float32Array(channels); // one pixel, so src and dst may be the same array
  for (let i = 0; i < src.length; i += channels) {
    for (let c = 0; c < channels; c++) px[c] = src[i + c] * scale;
    for (let c = 0; c < channels; c++) dst[offset + i + c] = (px[t.bgr ? channels - 1 - c : c] - t.mean[c]) * inv[c];
  }
}
