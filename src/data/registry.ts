/**
 * `--dataset` spec → DatasetSplits.
 *
 * Forms:
 *   digits                 the embedded 10k MNIST digits (8,000 train / 2,000 test), the default
 *   fashion-mnist[:DIR]    Fashion-MNIST (default DIR /usr/share/datasets/fashion-mnist)
 *   mnist-idx:DIR          any folder of MNIST-format IDX files
 *   cifar10:DIR            CIFAR-10 binary batches
 *   cifar100:DIR           CIFAR-100 binary (fine labels)
 *   images:DIR             PNG / JPEG files, one sub-folder per class (image-folder.ts), fitted to `shape`
 *   npy:DIR                x_train.npy, y_train.npy, x_test.npy, y_test.npy (npy-dataset.ts)
 *
 * Normalisation (preprocess.ts; default 'stats', `normalize: false` = '0-1' keeps raw [0, 1] pixels):
 * 'stats' is per-channel (x − mean)/std with mean/std computed on the full train split (before
 * limits), so inputs are roughly zero-mean, unit-variance as the zoo models expect (for MNIST this
 * is the familiar ≈(0.1307, 0.3081)); the Keras modes (0-1, -1-1, raw, caffe, torch, MEAN/STD) are
 * fixed per-channel affine maps. The affine stats are returned in `normalization`, a description
 * in `preprocessing`. Streamed sets (images:) are normalised as each example is read.
 */
import { createRng, deriveSeed, permutation } from '../util/random.js';
import { subset } from './batches.js';
import { loadCifar10, loadCifar100 } from './cifar.js';
import { loadDigits } from './digits.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import { loadIdxDataset } from './idx-dataset.js';
import { type ImageFit } from './image-decode.js';
import { commonImageSize, decodeImageFolder, indexImageFolder, storeImageSet } from './image-folder.js';
import { channelStats, normalize } from './normalize.js';
import { loadNpyDataset } from './npy-dataset.js';
import { applyPixelTransform, normalizeName, pixelTransform, type NormalizeSpec } from './preprocess.js';
import type { DatasetSplits, ExampleSource, ImageSet } from './types.js';

export interface LoadDatasetOptions {
  /** Keep at most this many train examples: a seeded random subset, in original order. */
  limitTrain?: number;
  /** Keep at most this many test examples: a seeded random subset, in original order. */
  limitTest?: number;
  /** Seed for the limit subsets (default 0). */
  seed?: number;
  /** Normalisation (preprocess.ts): true or omitted = 'stats' (train statistics), false = '0-1', or a spec. */
  normalize?: boolean | NormalizeSpec;
  /** images: fit every image to this [H, W, C] (the model's input); default: the images' common size, RGB. */
  shape?: [number, number, number];
  /** images: how an image of another size is fitted (default 'crop'). */
  fit?: ImageFit;
  /** images: fraction of each class held out for test without DIR/train + DIR/test (default 0.2). */
  testFraction?: number;
  /** images: a folder for the reusable decoded-pixel cache. */
  cacheDir?: string;
  /** images: decoded bytes kept in memory up to this size, else streamed from disk (default 1 GiB). */
  memoryBudgetBytes?: number;
  /** images: progress bar while decoding (default 'auto': when stderr is a terminal). */
  progress?: boolean | 'auto';
}

export const DATASET_SPEC_FORMS = [
  'digits (default)',
  `fashion-mnist or fashion-mnist:DIR (default DIR ${FASHION_MNIST_DIR})`,
  'mnist-idx:DIR',
  'cifar10:DIR',
  'cifar100:DIR',
  'images:DIR (one sub-folder per class; optional DIR/train + DIR/test)',
  'npy:DIR (x_train.npy, y_train.npy, x_test.npy, y_test.npy)',
];

/** The kind of a spec ('digits', 'images', …), lower-case, without its directory. */
export function datasetKind(spec: string): string {
  const s = spec.trim();
  const colon = s.indexOf(':');
  return (colon < 0 ? s : s.slice(0, colon)).toLowerCase() || 'digits';
}

function specError(spec: string, why: string): Error {
  return new Error(`--dataset '${spec}': ${why}. Valid forms: ${DATASET_SPEC_FORMS.join('; ')}`);
}

/** Loads the raw ([0, 1] pixel) splits named by `spec`. */
export async function loadRawDataset(spec: string, opts: LoadDatasetOptions = {}): Promise<DatasetSplits> {
  const s = spec.trim();
  const colon = s.indexOf(':');
  const kind = (colon < 0 ? s : s.slice(0, colon)).toLowerCase();
  const dir = colon < 0 ? undefined : s.slice(colon + 1);
  if (dir !== undefined && dir.length === 0) throw specError(spec, 'empty directory after the colon');
  const needDir = (): string => {
    if (dir === undefined) throw specError(spec, `'${kind}' needs a directory: ${kind}:DIR`);
    return dir;
  };
  switch (kind) {
    case '':
    case 'digits':
      if (dir !== undefined) throw specError(spec, "'digits' takes no directory");
      return loadDigits();
    case 'fashion-mnist':
      return loadFashionMnist(dir ?? FASHION_MNIST_DIR);
    case 'mnist-idx': {
      const d = needDir();
      return loadIdxDataset(d, `mnist-idx:${d}`);
    }
    case 'cifar10':
      return loadCifar10(needDir());
    case 'cifar100':
      return loadCifar100(needDir());
    case 'images':
      return loadImageFolder(needDir(), opts);
    case 'npy':
      return loadNpyDataset(needDir());
    default:
      throw specError(spec, `unknown dataset '${kind}'`);
  }
}

async function loadImageFolder(dir: string, opts: LoadDatasetOptions): Promise<DatasetSplits> {
  const seed = opts.seed ?? 0;
  let shape = opts.shape;
  if (!shape) {
    const { height, width } = await commonImageSize(indexImageFolder(dir, { testFraction: opts.testFraction, seed }));
    shape = [height, width, 3];
  }
  const d = await decodeImageFolder(dir, { ...opts, shape, seed });
  const name = `images:${dir}`;
  const n = d.index.classNames.length;
  const toUnit = (bytes: Uint8Array, dst: Float32Array, off: number) => {
    for (let i = 0; i < bytes.length; i++) dst[off + i] = bytes[i] / 255;
  };
  return {
    name,
    classNames: d.index.classNames,
    train: storeImageSet(`${name}/train`, d.train.store, d.train.labels, shape, n, toUnit),
    test: storeImageSet(`${name}/test`, d.test.store, d.test.labels, shape, n, toUnit),
    preprocessing: `decoded with ${d.decoder}, ${d.index.split === 'folders' ? 'train/ + test/ folders' : `seeded ${Math.round(100 * (opts.testFraction ?? 0.2))}% test split`}, fit ${opts.fit ?? 'crop'}, pixels in ${d.train.store.describe}`,
  };
}

/** Applies one normalisation to both splits (in place for in-memory sets, on read for streamed ones). */
function normalizeSplits(raw: DatasetSplits, train: ImageSet, test: ImageSet, spec: NormalizeSpec): Pick<DatasetSplits, 'normalization' | 'preprocessing'> {
  if (spec.mode === 'stats') {
    const stats = channelStats(raw.train);
    normalize(train, stats, { inPlace: true });
    normalize(test, stats, { inPlace: true });
    return { normalization: stats, preprocessing: `stats (train mean ${fmtList(stats.mean)}, std ${fmtList(stats.std)})` };
  }
  const t = pixelTransform(spec, raw.train.channels, () => channelStats(raw.train));
  if (spec.mode === '0-1') return { preprocessing: `0-1: ${t.describe}` }; // identity on [0, 1] pixels
  for (const set of [train, test]) {
    if (set.source) {
      const from = set.source;
      const per = set.height * set.width * set.channels;
      set.source = {
        describe: from.describe,
        read(i, dst, off) {
          from.read(i, dst, off);
          applyPixelTransform(t, dst.subarray(off, off + per), dst, off, set.channels);
        },
      } satisfies ExampleSource;
    } else {
      applyPixelTransform(t, set.images, set.images, 0, set.channels);
    }
  }
  return { normalization: t.bgr ? undefined : { mean: t.mean, std: t.std }, preprocessing: `${normalizeName(spec)}: ${t.describe}` };
}

function fmtList(v: number[]): string {
  return v.map((x) => Number(x.toFixed(4))).join(',');
}

export async function loadDataset(spec: string, opts: LoadDatasetOptions = {}): Promise<DatasetSplits> {
  const raw = await loadRawDataset(spec, opts);
  const seed = opts.seed ?? 0;
  const norm: NormalizeSpec = opts.normalize === false ? { mode: '0-1' } : opts.normalize === true || opts.normalize === undefined ? { mode: 'stats' } : opts.normalize;
  const train = limit(raw.train, opts.limitTrain, seed, 'limitTrain');
  const test = limit(raw.test, opts.limitTest, seed, 'limitTest');
  const n = normalizeSplits(raw, train, test, norm);
  return { ...raw, train, test, ...n, preprocessing: [raw.preprocessing, n.preprocessing].filter(Boolean).join('; ') };
}

function limit(set: ImageSet, n: number | undefined, seed: number, label: string): ImageSet {
  if (n === undefined || n >= set.count) return set;
  if (!Number.isInteger(n) || n < 1) throw new Error(`loadDataset: ${label} must be a positive integer, got ${n}`);
  const perm = permutation(set.count, createRng(deriveSeed(seed, label)));
  const idx = Array.from(perm.subarray(0, n)).sort((a, b) => a - b);
  return subset(set, idx, `${set.name}[${n}]`);
}
