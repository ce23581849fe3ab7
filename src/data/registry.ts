/**
 * `--dataset` spec → DatasetSplits.
 *
 * Forms:
 *   digits                 the embedded 10k MNIST digits (8,000 train / 2,000 test), the default
 *   fashion-mnist[:DIR]    Fashion-MNIST (default DIR /usr/share/datasets/fashion-mnist)
 *   mnist-idx:DIR          any folder of MNIST-format IDX files
 *   cifar10:DIR            CIFAR-10 binary batches
 *   cifar100:DIR           CIFAR-100 binary (fine labels)
 *
 * Normalisation (default on, `normalize: false` keeps raw [0, 1] pixels): every dataset gets
 * per-channel (x − mean)/std with mean/std computed on its full train split (before limits), so
 * inputs are roughly zero-mean, unit-variance as the zoo models expect (for MNIST this is the
 * familiar ≈(0.1307, 0.3081)). The stats are returned in `normalization`.
 */
import { createRng, deriveSeed, permutation } from '../util/random.js';
import { subset } from './batches.js';
import { loadCifar10, loadCifar100 } from './cifar.js';
import { loadDigits } from './digits.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import { loadIdxDataset } from './idx-dataset.js';
import { channelStats, normalize } from './normalize.js';
import type { DatasetSplits, ImageSet } from './types.js';

export interface LoadDatasetOptions {
  /** Keep at most this many train examples: a seeded random subset, in original order. */
  limitTrain?: number;
  /** Keep at most this many test examples: a seeded random subset, in original order. */
  limitTest?: number;
  /** Seed for the limit subsets (default 0). */
  seed?: number;
  /** Apply per-channel normalisation from train statistics (default true). */
  normalize?: boolean;
}

export const DATASET_SPEC_FORMS = [
  'digits (default)',
  `fashion-mnist or fashion-mnist:DIR (default DIR ${FASHION_MNIST_DIR})`,
  'mnist-idx:DIR',
  'cifar10:DIR',
  'cifar100:DIR',
];

function specError(spec: string, why: string): Error {
  return new Error(`--dataset '${spec}': ${why}. Valid forms: ${DATASET_SPEC_FORMS.join('; ')}`);
}

/** Loads the raw ([0, 1] pixel) splits named by `spec`. */
export async function loadRawDataset(spec: string): Promise<DatasetSplits> {
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
    default:
      throw specError(spec, `unknown dataset '${kind}'`);
  }
}

export async function loadDataset(spec: string, opts: LoadDatasetOptions = {}): Promise<DatasetSplits> {
  const raw = await loadRawDataset(spec);
  const seed = opts.seed ?? 0;
  const stats = opts.normalize === false ? undefined : channelStats(raw.train);
  const train = limit(raw.train, opts.limitTrain, seed, 'limitTrain');
  const test = limit(raw.test, opts.limitTest, seed, 'limitTest');
  if (stats) {
    normalize(train, stats, { inPlace: true });
    normalize(test, stats, { inPlace: true });
  }
  return { ...raw, train, test, normalization: stats };
}

function limit(set: ImageSet, n: number | undefined, seed: number, label: string): ImageSet {
  if (n === undefined || n >= set.count) return set;
  if (!Number.isInteger(n) || n < 1) throw new Error(`loadDataset: ${label} must be a positive integer, got ${n}`);
  const perm = permutation(set.count, createRng(deriveSeed(seed, label)));
  const idx = Array.from(perm.subarray(0, n)).sort((a, b) => a - b);
  return subset(set, idx, `${set.name}[${n}]`);
}
