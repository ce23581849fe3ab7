/**
 * The CLI never loses or exposes a user's files (issue 9): outputs over/inside/around the input are
 * refused before any work, output folders are replaced whole (no stale model.sparse), a failed run
 * leaves the previous output intact, flags are parsed strictly, and unwritable outputs fail fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cli, cliFailing as fails } from '../helpers/cli.js';
import { saveModel } from '../../src/io/model-folder.js';

const root = mkdtempSync(join(tmpdir(), 'pk-cli-safety-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const modelDir = join(root, 'dense');

const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((n) => [n, readFileSync(join(dir, n)).toString('base64')]));
const data = ['--dataset', 'digits', '--limit-train', '120', '--limit-test', '60'];

test.before(async () => {
  await tf.setBackend('cpu');
  const m = tf.sequential({ name: 'small' });
  m.add(tf.layers.flatten({ inputShape: [28, 28, 1], name: 'flat' }));
  m.add(tf.layers.dense({ units: 12, activation: 'relu', name: 'fc1', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }));
  m.add(tf.layers.dense({ units: 10, name: 'fc2', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }));
  await saveModel(m, modelDir);
  m.dispose();
});

test('an output that is, follows a symlink to, lies inside or contains the input model is refused before any work', async () => {
  const before = snapshot(modelDir);
  const link = join(root, 'link-to-dense');
  symlinkSync(modelDir, link);
  const cases: [string[], RegExp][] = [
    [['fourier-prune', '--model', modelDir, '--sparsity', '0.5', '--out', modelDir], /--out '.*dense' is the input model folder/],
    [['prune', '--model', modelDir, '--method', 'mp', '--sparsity', '0.5', '--out', link], /--out '.*link-to-dense' is the input model folder .*real paths/],
    [['prune-filters', '--model', modelDir, '--rates', '0.5', '--out', join(link, 'sub')], /--out '.*sub' is inside the input model folder/],
    [['train', '--model', modelDir, '--out', modelDir], /--out '.*dense' is the input model folder/],
    [['analyze', '--model', modelDir, '--samples', '10', '--out', root], /--out '.*' contains the input model folder/],
    [['prune', '--model', modelDir, '--method', 'mp', '--sparsity', '0.5', '--report', join(link, 'r.html')], /--report '.*r\.html' is inside the input model folder/],
  ];
  for (const [args, re] of cases) {
    const r = await fails(args[0] === 'analyze' ? args : [...args, ...data]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    assert.ok(r.ms < 3000, `refused in ${r.ms} ms`);
  }
  assert.deepEqual(snapshot(modelDir), before, 'input model untouched');
  assert.deepEqual(readdirSync(root).filter((n) => n.includes('.pk-')), [], 'no temp folders left');
});

test('flags are parsed, not coerced; unwritable outputs and a missing checkpoint fail before any work', async () => {
  const base = ['prune', '--model', modelDir, '--method', 'mp', ...data];
  const flagCases: [string[], RegExp][] = [
    [['--sparsity', ''], /--sparsity must be a number in \[0, 0\.999999\], got '' \(empty\)/],
    [['--sparsity', '0x0'], /got '0x0' \(not a decimal number\)/],
    [['--ratios', '0.5,,0.7'], /--ratios must be a comma-separated list of fractions in \[0, 1\), got '0\.5,,0\.7': item 2 is empty/],
    [['--levels', '0.5,'], /--levels .*item 2 is empty/],
  ];
  for (const [args, re] of flagCases) {
    const r = await fails([...base, ...args]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, re);
  }
  const rates = await fails(['prune-filters', '--model', modelDir, '--rates', '[0.5]*1e9', '--out', join(root, 'pf'), ...data]);
  assert.match(rates.err, /--rates: rate expression "\[0\.5\]\*1e9": repeat count 1e9 gives more than 10000 rates/);
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const io: [string[], RegExp][] = [
    [['train', '--model', 'lenet300', '--epochs', '1', '--out', file], /--out '.*a-file' exists and is not a folder/],
    [[...base, '--sparsity', '0.5', '--out', '/proc/prunekit/out'], /--out '\/proc\/prunekit\/out': cannot write in \/proc\/prunekit/],
    [[...base, '--sparsity', '0.5', '--report', '/proc/self/r.html'], /--report '\/proc\/self\/r\.html': cannot write in \/proc\//],
    [['train', '--model', 'lenet300', '--checkpoint', join(root, 'no-such-ckpt'), '--resume'], /--resume: no checkpoint in '.*no-such-ckpt'/],
  ];
  for (const [args, re] of io) {
    const r = await fails([...args, ...data]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, re);
    assert.ok(r.ms < 3000, `failed in ${r.ms} ms: ${args.join(' ')}`);
  }
});

test('NaN weights: a clear error naming the weight; --allow-nonfinite is the way through', async () => {
  const nan = join(root, 'nan');
  mkdirSync(nan);
  for (const f of readdirSync(modelDir)) writeFileSync(join(nan, f), readFileSync(join(modelDir, f)));
  const shard = join(nan, 'group1-shard1of1.bin');
  const w = new Float32Array(new Uint8Array(readFileSync(shard)).buffer);
  w[7] = NaN;
  writeFileSync(shard, new Uint8Array(w.buffer));
  const r = await fails(['eval', '--model', nan, '--limit-test', '20']);
  assert.equal(r.code, 1);
  assert.match(r.err, /model\.json: weight 'fc1\/kernel' has 1 NaN\/Inf value \(first at flat index 7\).*pass --allow-nonfinite/);
});

test('an output folder is replaced whole (no stale model.sparse); a failed run leaves the previous output intact', async () => {
  const out = join(root, 'pruned');
  const common = ['prune', '--model', modelDir, '--method', 'mp', '--sparsity', '0.5', '--finetune-steps', '0', ...data, '--out', out];
  const a = await cli([...common, '--sparse']);
  assert.equal(a.code, 0, a.err);
  assert.ok(existsSync(join(out, 'model.sparse')));
  const b = await cli(common);
  assert.equal(b.code, 0, b.err);
  assert.deepEqual(readdirSync(out).sort(), ['.prunekit-output', 'group1-shard1of1.bin', 'model.json', 'pruning-record.json', 'results.json']);
  const before = snapshot(out);
  const bad = await fails([...common, '--exclude', 'no_such_layer']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /no_such_layer/);
  assert.deepEqual(snapshot(out), before, 'previous output intact');
  assert.deepEqual(readdirSync(root).filter((n) => n.includes('.pk-')), [], 'temp folder removed');
});
