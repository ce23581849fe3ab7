/**
 * Mini-batch iteration over an ImageSet (in memory or streamed from an ExampleSource), with seeded
 * per-epoch shuffling and optional seeded augmentation; plus small set-slicing helpers (subset,
 * take, splitTrainVal) and example access that works for both kinds (readExample, gatherExamples).
 */
import { createRng, deriveSeed, permutation } from '../util/random.js';
import { applyCropFlip, drawCropFlipParams } from './augment.js';
import type { ImageSet } from './types.js';

export interface Batch {
  /** size·H·W·C values, NHWC (a fresh array; the caller may keep or mutate it). */
  x: Float32Array;
  /** size class indices. */
  y: Int32Array;
  /** Number of examples in this batch (the last one may be short unless dropRemainder). */
  size: number;
  /** 0-based batch number within the epoch. */
  index: number;
}

export interface BatchOptions {
  /** Shuffle the example order (default false: natural order 0..count−1). */
  shuffle?: boolean;
  /** Seed for shuffling and augmentation (default 0). */
  seed?: number;
  /** Epoch number: with shuffle, each (seed, epoch) pair gives its own fixed order (default 0). */
  epoch?: number;
  /** Skip a final batch smaller than batchSize (default false). */
  dropRemainder?: boolean;
  /** 'crop-flip': random crop with 4-pixel zero padding + random horizontal flip (default 'none'). */
  augment?: 'none' | 'crop-flip';
}

/** Padding used by the 'crop-flip' augmentation. */
export const CROP_PAD = 4;

/**
 * The example order for one epoch: identity without shuffle, otherwise a permutation
 * determined by (seed, epoch) alone.
 */
export function epochOrder(count: number, shuffle: boolean, seed: number, epoch: number): Int32Array {
  if (!shuffle) {
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    return order;
  }
  return permutation(count, createRng(deriveSeed(seed, `shuffle/epoch:${epoch}`)));
}

/** Number of batches iterateBatches yields for `count` examples. */
export function batchCount(count: number, batchSize: number, dropRemainder = false): number {
  return dropRemainder ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

export function* iterateBatches(set: ImageSet, batchSize: number, opts: BatchOptions = {}): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`iterateBatches(${set.name}): batchSize must be a positive integer, got ${batchSize}`);
  }
  checkSet(set, 'iterateBatches');
  const shuffle = opts.shuffle ?? false;
  const seed = opts.seed ?? 0;
  const epoch = opts.epoch ?? 0;
  const augment = opts.augment ?? 'none';
  if (augment !== 'none' && augment !== 'crop-flip') {
    throw new Error(`iterateBatches(${set.name}): unknown augment '${String(augment)}' (use 'none' or 'crop-flip')`);
  }
  const order = epochOrder(set.count, shuffle, seed, epoch);
  const per = set.height * set.width * set.channels;
  const n = batchCount(set.count, batchSize, opts.dropRemainder ?? false);
  const augRng = augment === 'crop-flip' ? createRng(deriveSeed(seed, `augment/epoch:${epoch}`)) : null;
  for (let b = 0; b < n; b++) {
    const start = b * batchSize;
    const size = Math.min(batchSize, set.count - start);
    let x = new Float32Array(size * per);
    const y = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      const src = order[start + k];
      readExample(set, src, x, k * per);
      y[k] = set.labels[src];
    }
    if (augRng) {
      const params = drawCropFlipParams(size, CROP_PAD, augRng);
      const out = new Float32Array(x.length);
      applyCropFlip(x, out, set, CROP_PAD, params);
      x = out;
    }
    yield { x, y, size, index: b };
  }
}

/** Writes example `index` of `set` (H·W·C values) into `dst` at `offset`, in memory or streamed. */
export function readExample(set: ImageSet, index: number, dst: Float32Array, offset: number): void {
  if (set.source) {
    set.source.read(index, dst, offset);
    return;
  }
  const per = set.height * set.width * set.channels;
  dst.set(set.images.subarray(index * per, (index + 1) * per), offset);
}

/** The given examples, concatenated NHWC (a fresh array). */
export function gatherExamples(set: ImageSet, indices: ArrayLike<number>): Float32Array {
  const per = set.height * set.width * set.channels;
  const out = new Float32Array(indices.length * per);
  for (let k = 0; k < indices.length; k++) readExample(set, indices[k], out, k * per);
  return out;
}

/** Every example of `set` as one NHWC array: `set.images` itself when in memory, else read from its source. */
export function allExamples(set: ImageSet): Float32Array {
  if (!set.source) return set.images;
  const idx = new Int32Array(set.count);
  for (let i = 0; i < set.count; i++) idx[i] = i;
  return gatherExamples(set, idx);
}

/**
 * A new ImageSet of the given examples, in the given order (repeats allowed): copies for an
 * in-memory set; for a streamed set, a view that reads through to the same source (no copy).
 */
export function subset(set: ImageSet, indices: ArrayLike<number>, name = `${set.name}[subset]`): ImageSet {
  checkSet(set, 'subset');
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= set.count) {
      throw new Error(`subset(${set.name}): index ${i} at position ${k} is outside [0, ${set.count})`);
    }
    labels[k] = set.labels[i];
  }
  if (set.source) {
    const from = set.source;
    const map = Int32Array.from(indices);
    const source = { describe: from.describe, read: (i: number, dst: Float32Array, off: number) => from.read(map[i], dst, off) };
    return { ...set, name, images: new Float32Array(0), labels, count: indices.length, source };
  }
  return { ...set, name, images: gatherExamples(set, indices), labels, count: indices.length };
}

/** The first min(n, count) examples (copied). */
export function take(set: ImageSet, n: number): ImageSet {
  if (!Number.isInteger(n) || n < 0) throw new Error(`take(${set.name}): n must be an integer >= 0, got ${n}`);
  const m = Math.min(n, set.count);
  const idx = new Int32Array(m);
  for (let i = 0; i < m; i++) idx[i] = i;
  return subset(set, idx, m === set.count ? set.name : `${set.name}[:${m}]`);
}

/**
 * Seeded random split: `fraction` of the examples (rounded, at least 1 when fraction > 0 and
 * count > 1) go to `val`, the rest to `train`. Both keep the original relative order.
 */
export function splitTrainVal(set: ImageSet, fraction: number, seed: number): { train: ImageSet; val: ImageSet } {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new Error(`splitTrainVal(${set.name}): fraction must be in [0, 1), got ${fraction}`);
  }
  let nVal = Math.round(set.count * fraction);
  if (fraction > 0 && nVal === 0 && set.count > 1) nVal = 1;
  const perm = permutation(set.count, createRng(deriveSeed(seed, 'splitTrainVal')));
  const isVal = new Uint8Array(set.count);
  for (let k = 0; k < nVal; k++) isVal[perm[k]] = 1;
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  for (let i = 0; i < set.count; i++) (isVal[i] ? valIdx : trainIdx).push(i);
  return {
    train: subset(set, trainIdx, `${set.name}/train`),
    val: subset(set, valIdx, `${set.name}/val`),
  };
}

function checkSet(set: ImageSet, fn: string): void {
  const per = set.height * set.width * set.channels;
  if (set.source) {
    if (set.images.length !== 0) throw new Error(`${fn}(${set.name}): a streamed set must have empty images`);
  } else if (set.images.length !== set.count * per) {
    throw new Error(
      `${fn}(${set.name}): images hold ${set.images.length} values, expected count·H·W·C = ${set.count}·${per}`,
    );
  }
  if (set.labels.length !== set.count) {
    throw new Error(`${fn}(${set.name}): labels hold ${set.labels.length} entries, expected count = ${set.count}`);
  }
}
