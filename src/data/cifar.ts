/**
 * CIFAR-10 / CIFAR-100 binary format ("binary version" archives), reader, loaders and writer.
 *
 * Records: CIFAR-10 = 1 label byte + 3072 pixel bytes; CIFAR-100 = 1 coarse label byte +
 * 1 fine label byte + 3072 pixel bytes. Pixels are channel-major (1024 R, 1024 G, 1024 B, each
 * 32 rows of 32). They are converted to NHWC float32 in [0, 1] (byte / 255).
 *
 * Folder layouts (DIR may be the folder itself or its parent):
 *   cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin (+ optional batches.meta.txt)
 *   cifar-100-binary/train.bin, test.bin (+ optional fine_label_names.txt, coarse_label_names.txt)
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetSplits, ImageSet } from './types.js';
import { writeFileAtomic } from '../io/atomic.js';

export type CifarVariant = 'cifar10' | 'cifar100';
export type Cifar100Labels = 'fine' | 'coarse';

const SIDE = 32;
const PIXELS = SIDE * SIDE;
const IMAGE_BYTES = 3 * PIXELS;

export const CIFAR10_CLASSES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

/** Bytes per record for a variant. */
export function cifarRecordBytes(variant: CifarVariant): number {
  return (variant === 'cifar10' ? 1 : 2) + IMAGE_BYTES;
}

export interface CifarBatch {
  images: Float32Array;
  /** CIFAR-10 labels, or CIFAR-100 fine labels. */
  labels: Int32Array;
  /** CIFAR-100 only: coarse (superclass) labels. */
  coarseLabels?: Int32Array;
  count: number;
}

/** Decodes one binary batch file's bytes. `source` names the file in errors. */
export function parseCifarBatch(bytes: Uint8Array, source: string, variant: CifarVariant): CifarBatch {
  const rec = cifarRecordBytes(variant);
  if (bytes.length === 0 || bytes.length % rec !== 0) {
    throw new Error(
      `${source}: size ${bytes.length} bytes is not a positive multiple of the ${variant} record size ${rec} ` +
        `(truncated file, or not ${variant === 'cifar10' ? 'a CIFAR-10' : 'a CIFAR-100'} binary batch?)`,
    );
  }
  const count = bytes.length / rec;
  const labelBytes = rec - IMAGE_BYTES;
  const images = new Float32Array(count * IMAGE_BYTES);
  const labels = new Int32Array(count);
  const coarseLabels = variant === 'cifar100' ? new Int32Array(count) : undefined;
  const maxFine = variant === 'cifar10' ? 10 : 100;
  for (let n = 0; n < count; n++) {
    const r = n * rec;
    const fine = bytes[r + labelBytes - 1];
    if (fine >= maxFine) throw new Error(`${source}: record ${n} has label ${fine}, expected < ${maxFine}`);
    labels[n] = fine;
    if (coarseLabels) {
      const coarse = bytes[r];
      if (coarse >= 20) throw new Error(`${source}: record ${n} has coarse label ${coarse}, expected < 20`);
      coarseLabels[n] = coarse;
    }
    const px = r + labelBytes;
    const out = n * IMAGE_BYTES;
    for (let c = 0; c < 3; c++) {
      const plane = px + c * PIXELS;
      for (let p = 0; p < PIXELS; p++) images[out + p * 3 + c] = bytes[plane + p] / 255;
    }
  }
  return { images, labels, coarseLabels, count };
}

export async function readCifarBatch(path: string, variant: CifarVariant): Promise<CifarBatch> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read CIFAR batch file (${(err as Error).message})`);
  }
  return parseCifarBatch(bytes, path, variant);
}

/**
 * Encodes a 32×32×3 ImageSet (values in [0, 1], rounded to bytes) as a binary batch.
 * For cifar100, `coarseLabels` gives the coarse byte (default 0); set.labels is the fine label.
 */
export function encodeCifarBatch(set: ImageSet, variant: CifarVariant, coarseLabels?: Int32Array): Uint8Array {
  if (set.height !== SIDE || set.width !== SIDE || set.channels !== 3) {
    throw new Error(`encodeCifarBatch(${set.name}): need 32×32×3 images, got ${set.height}×${set.width}×${set.channels}`);
  }
  const rec = cifarRecordBytes(variant);
  const labelBytes = rec - IMAGE_BYTES;
  const out = new Uint8Array(set.count * rec);
  for (let n = 0; n < set.count; n++) {
    const r = n * rec;
    out[r + labelBytes - 1] = set.labels[n];
    if (variant === 'cifar100') out[r] = coarseLabels?.[n] ?? 0;
    const src = n * IMAGE_BYTES;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < PIXELS; p++) {
        const v = Math.round(set.images[src + p * 3 + c] * 255);
        out[r + labelBytes + c * PIXELS + p] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return out;
}

export async function writeCifarBatch(
  path: string,
  set: ImageSet,
  variant: CifarVariant,
  coarseLabels?: Int32Array,
): Promise<void> {
  await writeFileAtomic(path, encodeCifarBatch(set, variant, coarseLabels));
}

/** Uses DIR/<sub> when it exists, else DIR. */
function resolveDir(dir: string, sub: string): string {
  const nested = join(dir, sub);
  return existsSync(nested) ? nested : dir;
}

function requireFiles(name: string, dir: string, files: string[], layout: string): void {
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new Error(
      `${name}: ${dir} lacks ${missing.join(', ')}; expected the binary layout ${layout} ` +
        '(download the "binary version" from https://www.cs.toronto.edu/~kriz/cifar.html and extract it)',
    );
  }
}

function readNames(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  const names = readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  return names.length > 0 ? names : undefined;
}

function concat(name: string, batches: CifarBatch[], numClasses: number, useCoarse = false): ImageSet {
  const count = batches.reduce((a, b) => a + b.count, 0);
  const images = new Float32Array(count * IMAGE_BYTES);
  const labels = new Int32Array(count);
  let k = 0;
  for (const b of batches) {
    images.set(b.images, k * IMAGE_BYTES);
    labels.set(useCoarse ? b.coarseLabels! : b.labels, k);
    k += b.count;
  }
  return { name, images, labels, count, height: SIDE, width: SIDE, channels: 3, numClasses };
}

export async function loadCifar10(dirArg: string): Promise<DatasetSplits> {
  const dir = resolveDir(dirArg, 'cifar-10-batches-bin');
  const trainFiles = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
  requireFiles('cifar10', dir, [...trainFiles, 'test_batch.bin'], 'cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin');
  const train = await Promise.all(trainFiles.map((f) => readCifarBatch(join(dir, f), 'cifar10')));
  const test = await readCifarBatch(join(dir, 'test_batch.bin'), 'cifar10');
  return {
    name: 'cifar10',
    train: concat('cifar10/train', train, 10),
    test: concat('cifar10/test', [test], 10),
    classNames: readNames(join(dir, 'batches.meta.txt')) ?? CIFAR10_CLASSES.slice(),
  };
}

/** CIFAR-100 with fine (100 classes, default) or coarse (20 superclasses) labels. */
export async function loadCifar100(dirArg: string, opts: { labels?: Cifar100Labels } = {}): Promise<DatasetSplits> {
  const dir = resolveDir(dirArg, 'cifar-100-binary');
  requireFiles('cifar100', dir, ['train.bin', 'test.bin'], 'cifar-100-binary/{train,test}.bin');
  const coarse = opts.labels === 'coarse';
  const numClasses = coarse ? 20 : 100;
  const [train, test] = await Promise.all([
    readCifarBatch(join(dir, 'train.bin'), 'cifar100'),
    readCifarBatch(join(dir, 'test.bin'), 'cifar100'),
  ]);
  return {
    name: coarse ? 'cifar100-coarse' : 'cifar100',
    train: concat('cifar100/train', [train], numClasses, coarse),
    test: concat('cifar100/test', [test], numClasses, coarse),
    classNames: readNames(join(dir, coarse ? 'coarse_label_names.txt' : 'fine_label_names.txt')),
  };
}
