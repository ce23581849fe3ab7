import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherExamples, iterateBatches } from '../../src/data/batches.js';
import { imageDecoder, rgbToGrey, type ImageDecoder } from '../../src/data/image-decode.js';
import { decodeImageFolder, indexImageFolder } from '../../src/data/image-folder.js';
import { channelStats } from '../../src/data/normalize.js';
import { loadDataset } from '../../src/data/registry.js';
import { jpegBytes, pngBytes, rgbPattern, writeImageTree } from '../helpers/image-files.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'prunekit-images-'));
const decoders = async (): Promise<ImageDecoder[]> => [await imageDecoder('sharp'), await imageDecoder('js')];

test('sharp loads here, and both decoders give the exact PNG bytes, the BT.601 grey and the exact centre crop', async () => {
  const dir = tmp();
  try {
    const [sharp, js] = await decoders();
    assert.equal(sharp.name, 'sharp', 'sharp should load from its npm packages');
    const rgb = rgbPattern(6, 10, 3);
    writeFileSync(join(dir, 'a.png'), pngBytes(rgb, 6, 10, 128)); // alpha is dropped, not blended
    for (const d of [sharp, js]) {
      assert.deepEqual(await d.size(join(dir, 'a.png')), { height: 6, width: 10 });
      assert.deepEqual(Array.from(await d.decode(join(dir, 'a.png'), { height: 6, width: 10, channels: 3, fit: 'none' })), Array.from(rgb), d.name);
      assert.deepEqual(Array.from(await d.decode(join(dir, 'a.png'), { height: 6, width: 10, channels: 1, fit: 'none' })), Array.from(rgbToGrey(rgb)), d.name);
      // 6×10 → 6×6 'crop': scale 1, columns 2..7 (the centre)
      const crop = await d.decode(join(dir, 'a.png'), { height: 6, width: 6, channels: 3, fit: 'crop' });
      const want: number[] = [];
      for (let y = 0; y < 6; y++) for (let x = 2; x < 8; x++) for (let c = 0; c < 3; c++) want.push(rgb[(y * 10 + x) * 3 + c]);
      assert.deepEqual(Array.from(crop), want, `${d.name} centre crop`);
      await assert.rejects(d.decode(join(dir, 'a.png'), { height: 6, width: 6, channels: 3, fit: 'none' }), /a\.png is 6×10 .*--resize none.*--resize crop/);
    }
    assert.equal(rgbToGrey(Uint8Array.from([200, 10, 30]))[0], Math.round(0.299 * 200 + 0.587 * 10 + 0.114 * 30));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JPEG and stretched resizes: the two decoders agree closely', async () => {
  const dir = tmp();
  try {
    const [sharp, js] = await decoders();
    const smooth = new Uint8Array(16 * 16 * 3).map((_, i) => 60 + ((Math.floor(i / 48) * 7 + (i % 48)) % 120));
    writeFileSync(join(dir, 'b.jpg'), jpegBytes(smooth, 16, 16, 95));
    writeFileSync(join(dir, 'c.png'), pngBytes(smooth, 16, 16));
    for (const [file, fit, tol] of [['b.jpg', 'none', 3], ['c.png', 'stretch', 6]] as const) {
      const t = { height: fit === 'none' ? 16 : 8, width: 8 + (fit === 'none' ? 8 : 0), channels: 3, fit };
      const a = await sharp.decode(join(dir, file), t);
      const b = await js.decode(join(dir, file), t);
      assert.equal(a.length, t.height * t.width * 3);
      let mean = 0;
      for (let i = 0; i < a.length; i++) mean += Math.abs(a[i] - b[i]) / a.length;
      assert.ok(mean < tol, `${file}: mean |sharp − js| = ${mean}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('images:DIR → sorted classes, stratified seeded split, pixels / 255, train+test folders', async () => {
  const dir = tmp();
  try {
    const files = writeImageTree(join(dir, 'flat'), ['cat', 'ant', 'bee'], 5, 4, 4);
    const idx = indexImageFolder(join(dir, 'flat'), { testFraction: 0.4, seed: 3 });
    assert.deepEqual(idx.classNames, ['ant', 'bee', 'cat']);
    assert.equal(idx.split, 'seeded');
    for (let c = 0; c < 3; c++) assert.equal(idx.test.filter((f) => f.label === c).length, 2);
    assert.deepEqual(indexImageFolder(join(dir, 'flat'), { testFraction: 0.4, seed: 3 }), idx, 'same seed, same split');
    assert.notDeepEqual(indexImageFolder(join(dir, 'flat'), { testFraction: 0.4, seed: 4 }).test, idx.test);
    const d = await loadDataset(`images:${join(dir, 'flat')}`, { shape: [4, 4, 3], normalize: false, testFraction: 0.4, seed: 3, progress: false });
    assert.equal(d.train.count, 9);
    assert.deepEqual(d.classNames, ['ant', 'bee', 'cat']);
    const x = gatherExamples(d.test, [0, 1]);
    for (let k = 0; k < 2; k++) {
      const f = idx.test[k];
      assert.equal(d.test.labels[k], f.label);
      const want = files.get(f.path)!.rgb;
      for (let i = 0; i < 48; i++) assert.ok(Math.abs(x[k * 48 + i] - want[i] / 255) < 1e-7);
    }
    // DIR/train + DIR/test
    writeImageTree(join(dir, 'split', 'train'), ['a', 'b'], 2, 4, 4);
    writeImageTree(join(dir, 'split', 'test'), ['a', 'b'], 1, 4, 4);
    const s = await loadDataset(`images:${join(dir, 'split')}`, { shape: [4, 4, 1], progress: false });
    assert.equal(s.train.count, 4);
    assert.equal(s.test.count, 2);
    assert.equal(s.train.channels, 1);
    assert.deepEqual(Array.from(s.test.labels), [0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('streamed from disk (over the memory budget) gives the same batches and stats as in memory; the cache is reused', async () => {
  const dir = tmp();
  try {
    writeImageTree(join(dir, 'img'), ['x', 'y'], 6, 5, 5);
    const spec = `images:${join(dir, 'img')}`;
    const mem = await loadDataset(spec, { shape: [5, 5, 3], progress: false });
    const disk = await loadDataset(spec, { shape: [5, 5, 3], progress: false, memoryBudgetBytes: 0 });
    assert.match(disk.preprocessing ?? '', /decoded-pixel file \(temp, 10 images\)/);
    assert.match(mem.preprocessing ?? '', /pixels in memory/);
    assert.deepEqual(disk.normalization, mem.normalization);
    const stats = channelStats(disk.train);
    assert.ok(stats.mean.every((m) => Math.abs(m) < 1e-6) && stats.std.every((v) => Math.abs(v - 1) < 1e-5), 'stats-normalised train is zero-mean, unit-std');
    const a = [...iterateBatches(mem.train, 4, { shuffle: true, seed: 2 })];
    const b = [...iterateBatches(disk.train, 4, { shuffle: true, seed: 2 })];
    assert.deepEqual(b.map((x) => Array.from(x.x)), a.map((x) => Array.from(x.x)));
    assert.deepEqual(b.map((x) => Array.from(x.y)), a.map((x) => Array.from(x.y)));
    // a cache folder: written once, read back without decoding
    const cache = join(dir, 'cache');
    let decodes = 0;
    const real = await imageDecoder();
    const counting: ImageDecoder = { ...real, decode: (p, t) => (decodes++, real.decode(p, t)) };
    const first = await decodeImageFolder(join(dir, 'img'), { shape: [5, 5, 3], cacheDir: cache, decoder: counting, progress: false });
    assert.equal(decodes, 12);
    const second = await decodeImageFolder(join(dir, 'img'), { shape: [5, 5, 3], cacheDir: cache, decoder: counting, progress: false });
    assert.equal(decodes, 12, 'second run reads the cache');
    const p1 = new Uint8Array(75);
    const p2 = new Uint8Array(75);
    first.train.store.read(3, p1);
    second.train.store.read(3, p2);
    assert.deepEqual(p2, p1);
    assert.equal(readdirSync(cache).filter((n) => n.includes('.tmp')).length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad folders: clear errors naming the file or folder; a failed decode leaves no cache file', async () => {
  const dir = tmp();
  try {
    const load = (sub: string, extra = {}) => loadDataset(`images:${join(dir, sub)}`, { shape: [4, 4, 3], progress: false, ...extra });
    await assert.rejects(load('missing'), /images:.*missing is not a folder/);
    writeImageTree(join(dir, 'empty'), ['a', 'b'], 2, 4, 4);
    mkdirSync(join(dir, 'empty', 'c'));
    await assert.rejects(load('empty'), /class folder .*empty\/c has no PNG or JPEG images/);
    writeImageTree(join(dir, 'bad'), ['a', 'b'], 2, 4, 4);
    writeFileSync(join(dir, 'bad', 'b', 'zz.png'), 'not an image at all');
    const cache = join(dir, 'cache');
    await assert.rejects(load('bad', { cacheDir: cache }), /cannot read image .*bad\/b\/zz\.png/);
    assert.deepEqual(readdirSync(cache), [], 'nothing half-written');
    writeImageTree(join(dir, 'mixed'), ['a', 'b'], 3, 4, 4, { 2: [6, 5] });
    await assert.rejects(load('mixed', { fit: 'none' }), /mixed\/[ab]\/[ab]-2\.png is 6×5 but the model takes 4×4 .*--resize crop/);
    const ok = await load('mixed'); // resized by default
    assert.equal(ok.train.count + ok.test.count, 6);
    await assert.rejects(loadDataset(`images:${join(dir, 'mixed')}`, { progress: false }), /images differ in size .*--input-shape/);
    writeImageTree(join(dir, 'one'), ['only'], 2, 4, 4);
    await assert.rejects(load('one'), /one class folder \(only\); a classifier needs at least 2/);
    await assert.rejects(loadDataset(`images:${join(dir, 'bad')}`, { shape: [4, 4, 2], progress: false }), /1 \(grey\) or 3 \(RGB\) input channels, not 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
