/**
 * Inputs are contained and bounded: shard paths stay inside the model folder and are regular files of
 * the declared size, sparse files inflate at most to their declared size, every count and shape is
 * checked before allocation, and bad files end in one clear line naming the file (issue 9).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { loadModel, readModelJson, saveModel } from '../../src/io/model-folder.js';
import { decodeSparse, encodeSparsePayload, loadSparse, saveSparse } from '../../src/io/sparse.js';
import { toyMlp } from '../train/toy.js';
import { sparseFileBytes, sparsePayload, splitPayload } from './craft.js';

await tf.setBackend('cpu');

const root = mkdtempSync(join(tmpdir(), 'pk-contained-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh saved toy model folder; `edit` rewrites its model.json. */
async function folder(edit?: (j: Record<string, any>) => void): Promise<string> {
  const dir = join(root, `m${n++}`);
  const m = toyMlp(1);
  await saveModel(m, dir);
  m.dispose();
  if (edit) {
    const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    edit(j);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
  }
  return dir;
}

test('a shard path that leaves the model folder is refused (.., absolute, symlink to /dev/zero)', async () => {
  const outside = join(root, 'outside');
  mkdirSync(outside, { recursive: true });
  const a = await folder();
  writeFileSync(join(outside, 'x.bin'), readFileSync(join(a, 'group1-shard1of1.bin')));
  const dotdot = await folder((j) => (j.weightsManifest[0].paths = ['../outside/x.bin']));
  await assert.rejects(loadModel(dotdot), /weight shard path '\.\.\/outside\/x\.bin' resolves outside the model folder/);
  const zero = await folder((j) => (j.weightsManifest[0].paths = ['../../../../../../../../dev/zero']));
  await assert.rejects(loadModel(zero), /resolves outside the model folder/);
  const abs = await folder((j) => (j.weightsManifest[0].paths = ['/dev/zero']));
  await assert.rejects(loadModel(abs), /'\/dev\/zero' is absolute/);
  const link = await folder();
  rmSync(join(link, 'group1-shard1of1.bin'));
  symlinkSync('/dev/zero', join(link, 'group1-shard1of1.bin'));
  await assert.rejects(loadModel(link), /resolves outside the model folder \(to \/dev\/zero\)/);
});

test('a shard that is a FIFO or a folder is refused without blocking; sizes must match exactly', async () => {
  const fifo = await folder();
  rmSync(join(fifo, 'group1-shard1of1.bin'));
  execFileSync('mkfifo', [join(fifo, 'group1-shard1of1.bin')]);
  const t0 = Date.now();
  await assert.rejects(loadModel(fifo), /group1-shard1of1\.bin \(listed in .*model\.json\) is not a regular file \(a FIFO, socket or device\)/);
  assert.ok(Date.now() - t0 < 5000);
  const dir = await folder();
  rmSync(join(dir, 'group1-shard1of1.bin'));
  mkdirSync(join(dir, 'group1-shard1of1.bin'));
  await assert.rejects(loadModel(dir), /is a folder, not a weight file/);
  const big = await folder();
  writeFileSync(join(big, 'group1-shard1of1.bin'), Buffer.concat([readFileSync(join(big, 'group1-shard1of1.bin')), Buffer.alloc(4)]));
  await assert.rejects(loadModel(big), /has \d+ bytes but its 4 weights need \d+/);
});

test('shapes are validated before allocation; graph models, int32 weights, duplicate names get clear errors', async () => {
  const huge = await folder((j) => (j.weightsManifest[0].weights[0].shape = [100000, 100000]));
  await assert.rejects(loadModel(huge), /weight 'fc1\/kernel' has shape \[100000,100000\] .*more than prunekit loads/);
  const neg = await folder((j) => (j.weightsManifest[0].weights[0].shape = [-300]));
  await assert.rejects(loadModel(neg), /weight 'fc1\/kernel' has an invalid shape \[-300\]/);
  const graph = await folder((j) => {
    j.format = 'graph-model';
    j.modelTopology = { node: [{ name: 'x', op: 'Placeholder' }], library: {}, versions: {} };
  });
  await assert.rejects(readModelJson(graph), /this is a graph model; prunekit needs a layers model — convert with the TF.js converter's layers format/);
  const int = await folder((j) => (j.weightsManifest[0].weights[1].dtype = 'int32'));
  await assert.rejects(loadModel(int), /weight 'fc1\/bias' has dtype int32; prunekit loads float32 weights only/);
  const dup = await folder((j) => j.weightsManifest[0].weights.push({ ...j.weightsManifest[0].weights[3] }));
  await assert.rejects(loadModel(dup), /weight 'fc2\/bias' is listed twice in the weights manifest/);
});

test('NaN/Inf weights are an error by default; allowNonFinite loads them with a warning', async () => {
  const dir = await folder();
  const shard = join(dir, 'group1-shard1of1.bin');
  const f = new Float32Array(new Uint8Array(readFileSync(shard)).buffer);
  f[3] = NaN;
  f[5] = Infinity;
  writeFileSync(shard, new Uint8Array(f.buffer));
  await assert.rejects(loadModel(dir), /model\.json: weight 'fc1\/kernel' has 2 NaN\/Inf values \(first at flat index 3\); .*pass --allow-nonfinite/);
  const warnings: string[] = [];
  const m = await loadModel(dir, { allowNonFinite: true, warn: (w) => warnings.push(w) });
  assert.ok(Number.isNaN((m.getWeights()[0].dataSync() as Float32Array)[3]));
  assert.match(warnings.join('\n'), /warning: .*2 NaN\/Inf values/);
  m.dispose();
});

test('sparse files: inflation capped by the declared size, crafted headers give clear errors', async () => {
  const m = toyMlp(2);
  const good = encodeSparsePayload(m);
  const path = join(root, 'ok.sparse');
  saveSparse(m, path);
  (await loadSparse(path)).dispose();
  const zeros = new Uint8Array(50_000_000);
  // a gzip bomb that declares a small payload: inflation stops at the declared size
  const bomb = sparseFileBytes(good, { gzip: true, body: new Uint8Array(gzipSync(zeros)) });
  const before = process.memoryUsage().rss;
  assert.throws(() => decodeSparse(bomb, 'bomb.sparse'), /bomb\.sparse: not a valid prunekit sparse file \(gzip payload inflates past its declared \d+ bytes\)/);
  assert.ok(process.memoryUsage().rss - before < 30e6, 'inflation was capped');
  // a declared size that deflate cannot reach from this many bytes
  assert.throws(() => decodeSparse(sparseFileBytes(good, { gzip: true, length: 2 ** 31 - 2 }), 'x'), /cannot come from \d+ gzip bytes/);
  const { header, data } = splitPayload(good);
  const weights = header.weights as Record<string, unknown>[];
  const craft = (edit: (w: Record<string, unknown>[]) => void, d = data) => {
    const ws = structuredClone(weights);
    edit(ws);
    return sparseFileBytes(sparsePayload({ ...header, weights: ws }, d));
  };
  assert.throws(() => decodeSparse(craft((w) => (w[0].shape = [-300])), 'c.sparse'), /c\.sparse: weight 'fc1\/kernel' has an invalid shape \[-300\]/);
  assert.throws(() => decodeSparse(craft((w) => (w[0].shape = [1e9, 1e9])), 'c.sparse'), /more than prunekit loads/);
  assert.throws(() => decodeSparse(craft((w) => (w[1].offset = 2)), 'c.sparse'), /weight 'fc1\/bias' starts at offset 2, expected \d+/);
  assert.throws(() => decodeSparse(craft((w) => (w[0].nnz = -1)), 'c.sparse'), /has nnz -1, expected an integer in \[0, 128\]/);
  assert.throws(() => decodeSparse(craft((w) => (w[0].encoding = 'rle')), 'c.sparse'), /has encoding "rle"/);
  assert.throws(() => decodeSparse(craft((w) => w.push({ ...w[3] })), 'c.sparse'), /weight 'fc2\/bias' is stored twice/);
  assert.throws(() => decodeSparse(craft(() => undefined, data.subarray(0, 100)), 'c.sparse'), /runs past the end/);
  const badTopo = join(root, 'topo.sparse');
  writeFileSync(badTopo, sparseFileBytes(sparsePayload({ modelTopology: { class_name: 'Nope', config: {} }, weights }, data)));
  await assert.rejects(loadSparse(badTopo), /topo\.sparse: the stored topology is not a valid layers model/);
  const fifo = join(root, 'fifo.sparse');
  execFileSync('mkfifo', [fifo]);
  await assert.rejects(loadSparse(fifo), /is not a regular file/);
  m.dispose();
});
