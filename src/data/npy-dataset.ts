/**
 * `npy:DIR`: NumPy arrays x_train.npy, y_train.npy, x_test.npy, y_test.npy (as written by
 * `np.save`), parsed with npyjs, as train/test ImageSets held in memory.
 *
 * x: [N, H, W, C] or [N, H, W] (one channel), C-order. uint8 pixels are scaled to [0, 1]; float
 *    arrays are taken as already on the [0, 1] scale (then `--normalize 0-1` passes them through
 *    unchanged); other integer dtypes are converted as numbers.
 * y: [N] integer class indices ≥ 0, or [N, K] one-hot / probabilities (argmax is the class).
 * The arrays are not resized: their H×W×C must be the model's input shape.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type NpyArray } from 'npyjs';
import type { DatasetSplits, ImageSet } from './types.js';

export const NPY_FILES = ['x_train.npy', 'y_train.npy', 'x_test.npy', 'y_test.npy'] as const;

/** Reads and checks one .npy file; errors name the file. */
export function readNpy(path: string): NpyArray {
  if (!existsSync(path)) throw new Error(`npy: ${path} does not exist`);
  const bytes = readFileSync(path);
  let arr: NpyArray;
  try {
    arr = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  } catch (e) {
    throw new Error(`npy: cannot read ${path} (not a valid .npy file: ${(e as Error).message})`);
  }
  const n = arr.shape.reduce((a, b) => a * b, 1);
  const len = (arr.data as unknown as { length: number }).length;
  if (len !== n) throw new Error(`npy: ${path} is truncated or corrupt: header shape [${arr.shape.join(', ')}] needs ${n} values, the file holds ${len}`);
  if (arr.fortranOrder) throw new Error(`npy: ${path} is in Fortran order; save it with np.save(path, np.ascontiguousarray(a))`);
  if (typeof arr.dtype === 'string' && (arr.dtype.startsWith('U') || arr.dtype.startsWith('c'))) {
    throw new Error(`npy: ${path} has dtype ${arr.dtype}; expected numbers`);
  }
  return arr;
}

function toImages(name: string, x: NpyArray, path: string): Omit<ImageSet, 'labels' | 'numClasses'> {
  if (x.shape.length !== 3 && x.shape.length !== 4) {
    throw new Error(`npy: ${path} must be [N, H, W] or [N, H, W, C], got shape [${x.shape.join(', ')}]`);
  }
  const [count, height, width] = x.shape;
  const channels = x.shape[3] ?? 1;
  const images = new Float32Array(count * height * width * channels);
  const src = x.data as unknown as ArrayLike<number | bigint>;
  const scale = x.dtype === 'u1' ? 1 / 255 : 1;
  for (let i = 0; i < images.length; i++) images[i] = Number(src[i]) * scale;
  return { name, images, count, height, width, channels };
}

function toLabels(y: NpyArray, path: string, count: number, xPath: string): Int32Array {
  const src = y.data as unknown as ArrayLike<number | bigint>;
  let labels: Int32Array;
  if (y.shape.length === 1) {
    if (y.dtype.startsWith('f')) throw new Error(`npy: ${path} holds floats (${y.dtype}); class labels must be integers (or [N, K] one-hot)`);
    labels = Int32Array.from({ length: y.shape[0] }, (_, i) => Number(src[i]));
  } else if (y.shape.length === 2) {
    const [n, k] = y.shape;
    labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (Number(src[i * k + j]) > Number(src[i * k + best])) best = j;
      labels[i] = best;
    }
  } else {
    throw new Error(`npy: ${path} must be [N] labels or [N, K] one-hot, got shape [${y.shape.join(', ')}]`);
  }
  if (labels.length !== count) throw new Error(`npy: ${path} has ${labels.length} labels but ${xPath} has ${count} images`);
  const bad = labels.findIndex((l) => l < 0);
  if (bad >= 0) throw new Error(`npy: ${path} has a negative label ${labels[bad]} at index ${bad}`);
  return labels;
}

export function loadNpyDataset(dir: string): DatasetSplits {
  const name = `npy:${dir}`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${name}: ${dir} is not a folder`);
  const missing = NPY_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) throw new Error(`${name}: ${dir} lacks ${missing.join(', ')} (expected ${NPY_FILES.join(', ')}, as written by np.save)`);
  const split = (s: 'train' | 'test') => {
    const xp = join(dir, `x_${s}.npy`);
    const yp = join(dir, `y_${s}.npy`);
    const img = toImages(`${name}/${s}`, readNpy(xp), xp);
    return { ...img, labels: toLabels(readNpy(yp), yp, img.count, xp), numClasses: 0 };
  };
  const train: ImageSet = split('train');
  const test: ImageSet = split('test');
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new Error(`${name}: x_train.npy images are ${train.height}×${train.width}×${train.channels} but x_test.npy images are ${test.height}×${test.width}×${test.channels}`);
  }
  let max = 0;
  for (const s of [train, test]) for (const l of s.labels) if (l > max) max = l;
  train.numClasses = test.numClasses = max + 1;
  return { name, train, test };
}
