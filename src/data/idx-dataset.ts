/**
 * Loads any MNIST-format folder (IDX image + label files, raw or .gz) as train/test ImageSets.
 *
 * Expected names (first match wins, each raw or with .gz):
 *   train: train-images-idx3-ubyte | train-images.idx3-ubyte, train-labels-idx1-ubyte | train-labels.idx1-ubyte
 *   test:  t10k-… or test-… with the same suffixes.
 * Images: [N, H, W] (1 channel) or [N, H, W, C]; uint8 pixels are scaled to [0, 1], other dtypes are kept as is.
 * Labels: 1-D integer IDX with N entries ≥ 0.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx, type IdxArray } from './idx.js';
import type { DatasetSplits, ImageSet } from './types.js';

export interface IdxDatasetOptions {
  classNames?: string[];
  /** Defaults to classNames.length, else max label + 1. */
  numClasses?: number;
}

const PREFIXES = { train: ['train'], test: ['t10k', 'test'] } as const;

/** The path of an IDX file for a split and kind in `dir`, or undefined when none exists. */
export function findIdxFile(dir: string, split: 'train' | 'test', kind: 'images' | 'labels'): string | undefined {
  const rank = kind === 'images' ? 'idx3' : 'idx1';
  for (const p of PREFIXES[split]) {
    for (const sep of ['-', '.']) {
      for (const ext of ['.gz', '']) {
        const path = join(dir, `${p}-${kind}${sep}${rank}-ubyte${ext}`);
        if (existsSync(path)) return path;
      }
    }
  }
  return undefined;
}

export async function loadIdxDataset(dir: string, name: string, opts: IdxDatasetOptions = {}): Promise<DatasetSplits> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`${name}: dataset directory ${dir} does not exist (expected a folder of MNIST-format IDX files)`);
  }
  const paths = {
    trainImages: findIdxFile(dir, 'train', 'images'),
    trainLabels: findIdxFile(dir, 'train', 'labels'),
    testImages: findIdxFile(dir, 'test', 'images'),
    testLabels: findIdxFile(dir, 'test', 'labels'),
  };
  const missing = Object.entries(paths).filter(([, p]) => p === undefined).map(([k]) => k);
  if (missing.length > 0) {
    throw new Error(
      `${name}: ${dir} lacks IDX files for ${missing.join(', ')}; expected e.g. train-images-idx3-ubyte(.gz), ` +
        `train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)`,
    );
  }
  const [trI, trL, teI, teL] = await Promise.all([
    readIdx(paths.trainImages!),
    readIdx(paths.trainLabels!),
    readIdx(paths.testImages!),
    readIdx(paths.testLabels!),
  ]);
  const train = toImageSet(`${name}/train`, trI, paths.trainImages!, trL, paths.trainLabels!);
  const test = toImageSet(`${name}/test`, teI, paths.testImages!, teL, paths.testLabels!);
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new Error(
      `${name}: train images are ${train.height}×${train.width}×${train.channels} but test images are ` +
        `${test.height}×${test.width}×${test.channels} (${dir})`,
    );
  }
  const maxLabel = Math.max(maxOf(train.labels), maxOf(test.labels));
  const numClasses = opts.numClasses ?? opts.classNames?.length ?? maxLabel + 1;
  if (maxLabel >= numClasses) {
    throw new Error(`${name}: label ${maxLabel} found in ${dir} but the dataset has ${numClasses} classes`);
  }
  train.numClasses = numClasses;
  test.numClasses = numClasses;
  return { name, train, test, classNames: opts.classNames };
}

function toImageSet(name: string, img: IdxArray, imgPath: string, lab: IdxArray, labPath: string): ImageSet {
  if (img.shape.length !== 3 && img.shape.length !== 4) {
    throw new Error(`${imgPath}: images must be [N, H, W] or [N, H, W, C], got dims [${img.shape.join(', ')}]`);
  }
  if (lab.shape.length !== 1) throw new Error(`${labPath}: labels must be 1-D, got dims [${lab.shape.join(', ')}]`);
  if (lab.dtype === 'float32' || lab.dtype === 'float64') {
    throw new Error(`${labPath}: labels must be an integer IDX dtype, got ${lab.dtype}`);
  }
  const [count, height, width] = img.shape;
  const channels = img.shape[3] ?? 1;
  if (lab.shape[0] !== count) {
    throw new Error(`${labPath}: ${lab.shape[0]} labels but ${imgPath} holds ${count} images`);
  }
  const labels = Int32Array.from(lab.data as ArrayLike<number>);
  for (let i = 0; i < count; i++) {
    if (labels[i] < 0) throw new Error(`${labPath}: negative label ${labels[i]} at index ${i}`);
  }
  const images = new Float32Array(img.data.length);
  if (img.dtype === 'uint8') {
    const src = img.data;
    for (let i = 0; i < src.length; i++) images[i] = src[i] / 255;
  } else {
    images.set(img.data);
  }
  return { name, images, labels, count, height, width, channels, numClasses: maxOf(labels) + 1 };
}

function maxOf(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}
