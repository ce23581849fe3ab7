/**
 * `images:DIR`: a folder of PNG / JPEG images, one sub-folder per class (class index = position of
 * the folder name in sorted order, as Keras image_dataset_from_directory), as train/test ImageSets.
 *
 * Layout: DIR/train/<class>/… and DIR/test/<class>/… when DIR holds exactly the folders `train` and
 * `test`; otherwise DIR/<class>/… split per class by a seeded shuffle (`testFraction` of each class,
 * at least one image when the class has two or more).
 *
 * Every image is decoded once, before any work (unreadable files are reported then, naming the file),
 * fitted to the model's H×W×C (image-decode.ts) and kept as bytes in a PixelStore: in memory when the
 * bytes fit `memoryBudgetBytes`, else in a file on disk (`cacheDir`, reused by later runs with the same
 * files and target, or an anonymous temp file). Batches then read and normalise examples on demand,
 * so a folder larger than memory trains with memory bounded by one batch.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import cliProgress from 'cli-progress';
import { createRng, deriveSeed, permutation } from '../util/random.js';
import { imageDecoder, type DecodeTarget, type ImageDecoder, type ImageFit } from './image-decode.js';
import { FilePixelStore, MemoryPixelStore, PixelFileWriter, type PixelStore, type WritablePixelStore } from './pixel-store.js';
import type { ImageSet } from './types.js';

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export interface ImageFile {
  path: string;
  label: number;
}

export interface ImageFolderIndex {
  root: string;
  classNames: string[];
  train: ImageFile[];
  test: ImageFile[];
  /** 'folders': DIR/train + DIR/test; 'seeded': split here. */
  split: 'folders' | 'seeded';
}

export interface ImageFolderOptions {
  /** Target image shape [H, W, C]; C is 1 (grey) or 3 (RGB). */
  shape: [number, number, number];
  fit?: ImageFit;
  /** Fraction of each class held out for test when DIR has no train/test folders (default 0.2). */
  testFraction?: number;
  seed?: number;
  /** Keep the decoded bytes in memory up to this many bytes (default 1 GiB), else on disk. */
  memoryBudgetBytes?: number;
  /** Folder for a reusable decoded-pixel cache (default: none; an over-budget set uses a temp file). */
  cacheDir?: string;
  /** Progress bar while decoding: true, false, or 'auto' (when stderr is a terminal; default). */
  progress?: boolean | 'auto';
  decoder?: ImageDecoder;
  /** Decodes in flight at once (default 4). */
  concurrency?: number;
}

/** The decoded splits: bytes per split plus the labels. */
export interface DecodedImageFolder {
  index: ImageFolderIndex;
  train: { store: PixelStore; labels: Int32Array };
  test: { store: PixelStore; labels: Int32Array };
  decoder: string;
}

function visible(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .sort();
}

function isDir(p: string): boolean {
  return statSync(p).isDirectory();
}

/** One class-per-folder tree → files with labels (classNames given: a folder not in it is an error). */
function listClasses(dir: string, spec: string, classNames?: string[]): { classNames: string[]; files: ImageFile[] } {
  const folders = visible(dir).filter((n) => isDir(join(dir, n)));
  const strays = visible(dir).filter((n) => !isDir(join(dir, n)) && IMAGE_EXT.test(n));
  if (strays.length > 0) {
    throw new Error(`${spec}: ${join(dir, strays[0])} is an image directly in ${dir}; put images in one sub-folder per class (${dir}/<class>/image.png)`);
  }
  if (folders.length === 0) throw new Error(`${spec}: ${dir} has no class sub-folders; expected ${dir}/<class>/*.png|jpg`);
  const names = classNames ?? folders;
  if (!classNames && names.length < 2) throw new Error(`${spec}: ${dir} has one class folder (${names[0]}); a classifier needs at least 2`);
  const files: ImageFile[] = [];
  for (const folder of folders) {
    const label = names.indexOf(folder);
    if (label < 0) throw new Error(`${spec}: class folder ${join(dir, folder)} is not a training class (${names.join(', ')})`);
    const imgs = visible(join(dir, folder)).filter((n) => IMAGE_EXT.test(n) && !isDir(join(dir, folder, n)));
    if (imgs.length === 0) throw new Error(`${spec}: class folder ${join(dir, folder)} has no PNG or JPEG images`);
    for (const n of imgs) files.push({ path: join(dir, folder, n), label });
  }
  return { classNames: names, files };
}

/** Lists the classes and files and makes the train/test split (no decoding). */
export function indexImageFolder(dir: string, opts: { testFraction?: number; seed?: number } = {}): ImageFolderIndex {
  const spec = `images:${dir}`;
  if (!existsSync(dir) || !isDir(dir)) throw new Error(`${spec}: ${dir} is not a folder`);
  const top = visible(dir).filter((n) => isDir(join(dir, n)));
  if (top.length === 2 && top[0] === 'test' && top[1] === 'train') {
    const tr = listClasses(join(dir, 'train'), spec);
    const te = listClasses(join(dir, 'test'), spec, tr.classNames);
    return { root: dir, classNames: tr.classNames, train: tr.files, test: te.files, split: 'folders' };
  }
  const frac = opts.testFraction ?? 0.2;
  if (!(frac > 0 && frac < 1)) throw new Error(`${spec}: the test fraction must be in (0, 1), got ${frac}`);
  const { classNames, files } = listClasses(dir, spec);
  const train: ImageFile[] = [];
  const test: ImageFile[] = [];
  for (let c = 0; c < classNames.length; c++) {
    const mine = files.filter((f) => f.label === c);
    let nTest = Math.round(mine.length * frac);
    if (nTest === 0 && mine.length >= 2) nTest = 1;
    if (nTest === mine.length) nTest = mine.length - 1;
    const perm = permutation(mine.length, createRng(deriveSeed(opts.seed ?? 0, `images/split/${classNames[c]}`)));
    const isTest = new Uint8Array(mine.length);
    for (let k = 0; k < nTest; k++) isTest[perm[k]] = 1;
    mine.forEach((f, i) => (isTest[i] ? test : train).push(f));
  }
  if (test.length === 0) throw new Error(`${spec}: too few images for a test split (each class needs at least 2)`);
  return { root: dir, classNames, train, test, split: 'seeded' };
}

function cacheKey(files: ImageFile[], target: DecodeTarget, decoder: string): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ target, decoder, v: 1 }));
  for (const f of files) {
    const st = statSync(f.path);
    h.update(`${f.path}\0${f.label}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

function progressBar(mode: boolean | 'auto' | undefined, total: number, what: string): cliProgress.SingleBar | undefined {
  const on = mode === true || ((mode ?? 'auto') === 'auto' && process.stderr.isTTY);
  if (!on) return undefined;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${what} [{bar}] {value}/{total} images | ETA {eta_formatted}`, hideCursor: null, clearOnComplete: true, noTTYOutput: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

async function decodeInto(
  files: ImageFile[],
  store: WritablePixelStore,
  decoder: ImageDecoder,
  target: DecodeTarget,
  concurrency: number,
  onDone: () => void,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < files.length) {
      const i = next++;
      try {
        const px = await decoder.decode(files[i].path, target);
        if (px.length !== store.per) throw new Error(`cannot read image ${files[i].path}: decoded ${px.length} bytes, expected ${store.per}`);
        if (failed) return;
        store.write(i, px);
        onDone();
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  // every worker settles before the caller aborts the store, so nothing writes to it afterwards
  const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}

/** Decodes one split into a store: a valid cache is reused; nothing half-written is left on failure. */
async function decodeSplit(
  name: string,
  files: ImageFile[],
  target: DecodeTarget,
  decoder: ImageDecoder,
  opts: ImageFolderOptions,
  bar: cliProgress.SingleBar | undefined,
): Promise<PixelStore> {
  const per = target.height * target.width * target.channels;
  const bytes = per * files.length;
  let cachePath: string | undefined;
  if (opts.cacheDir) {
    cachePath = join(opts.cacheDir, `${name}-${cacheKey(files, target, decoder.name)}.u8`);
    if (existsSync(cachePath) && statSync(cachePath).size === bytes && existsSync(`${cachePath}.json`)) {
      bar?.increment(files.length);
      return new FilePixelStore(cachePath, files.length, per);
    }
  }
  const inMemory = !cachePath && bytes <= (opts.memoryBudgetBytes ?? 1 << 30);
  const store: WritablePixelStore = inMemory ? new MemoryPixelStore(files.length, per) : new PixelFileWriter(cachePath, files.length, per);
  try {
    await decodeInto(files, store, decoder, target, opts.concurrency ?? 4, () => bar?.increment());
  } catch (e) {
    store.abort();
    throw e;
  }
  const done = store.commit();
  if (cachePath) {
    const meta = { files: files.map((f) => relative(opts.cacheDir!, f.path)), labels: files.map((f) => f.label), target, decoder: decoder.name };
    writeFileSync(`${cachePath}.json.tmp`, JSON.stringify(meta));
    renameSync(`${cachePath}.json.tmp`, `${cachePath}.json`);
  }
  return done;
}

/** Indexes and decodes an image folder (every file once, errors before any training). */
export async function decodeImageFolder(dir: string, opts: ImageFolderOptions): Promise<DecodedImageFolder> {
  const index = indexImageFolder(dir, opts);
  const [height, width, channels] = opts.shape;
  const target: DecodeTarget = { height, width, channels, fit: opts.fit ?? 'crop' };
  const decoder = opts.decoder ?? (await imageDecoder());
  const bar = progressBar(opts.progress, index.train.length + index.test.length, `decoding ${basename(dir)}`);
  try {
    const train = await decodeSplit('train', index.train, target, decoder, opts, bar);
    const test = await decodeSplit('test', index.test, target, decoder, opts, bar);
    const labels = (f: ImageFile[]) => Int32Array.from(f, (x) => x.label);
    return { index, train: { store: train, labels: labels(index.train) }, test: { store: test, labels: labels(index.test) }, decoder: decoder.name };
  } finally {
    bar?.stop();
  }
}

/** The pixel size the images of a folder share (to build a zoo model at it); throws when they differ. */
export async function commonImageSize(index: ImageFolderIndex, decoder?: ImageDecoder): Promise<{ height: number; width: number }> {
  const d = decoder ?? (await imageDecoder());
  const first = await d.size(index.train[0].path);
  for (const f of [...index.train, ...index.test]) {
    const s = await d.size(f.path);
    if (s.height !== first.height || s.width !== first.width) {
      throw new Error(
        `images:${index.root}: images differ in size (${index.train[0].path} is ${first.height}×${first.width}, ${f.path} is ${s.height}×${s.width}); give --input-shape H,W,C to resize them all`,
      );
    }
  }
  return first;
}

/**
 * An ImageSet streamed from a pixel store: example i = store bytes → `convert` (bytes → floats,
 * e.g. the normalisation) into the destination.
 */
export function storeImageSet(
  name: string,
  store: PixelStore,
  labels: Int32Array,
  shape: [number, number, number],
  numClasses: number,
  convert: (bytes: Uint8Array, dst: Float32Array, offset: number) => void,
): ImageSet {
  const buf = new Uint8Array(store.per);
  return {
    name,
    images: new Float32Array(0),
    labels,
    count: labels.length,
    height: shape[0],
    width: shape[1],
    channels: shape[2],
    numClasses,
    source: {
      describe: store.describe,
      read(i, dst, offset) {
        store.read(i, buf);
        convert(buf, dst, offset);
      },
    },
  };
}
