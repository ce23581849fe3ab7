import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cli, cliFailing } from '../helpers/cli.js';
import { loadModel, saveModel } from '../../src/io/model-folder.js';
import { loadSparse } from '../../src/io/sparse.js';
import { readRecord } from '../../src/prune/record.js';


const root = mkdtempSync(join(tmpdir(), 'pk-cli-prune-'));
const modelDir = join(root, 'dense');

async function makeModel(): Promise<void> {
  await tf.setBackend('cpu');
  const m = tf.sequential({ name: 'small' });
  m.add(tf.layers.flatten({ inputShape: [28, 28, 1], name: 'flat' }));
  m.add(tf.layers.dense({ units: 24, activation: 'relu', name: 'fc1', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }));
  m.add(tf.layers.dense({ units: 10, name: 'fc2', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }));
  await saveModel(m, modelDir);
  m.dispose();
}

const data = ['--dataset', 'digits', '--limit-train', '240', '--limit-test', '120', '--batch-size', '30'];

test('prune: multi-level one-shot writes a standard model folder with zeros baked in, record, sparse file, results and report', async () => {
  await makeModel();
  const out = join(root, 'pruned');
  const report = join(root, 'report.html');
  const r = await cli(['prune', '--model', modelDir, '--method', 'lap', '--levels', '0.5,0.9', '--finetune-steps', '4', ...data, '--out', out, '--report', report, '--sparse']);
  assert.equal(r.code, 0, r.err);
  // final table: both levels, accuracy before/after, per-layer table
  assert.match(r.out, /method\s+level\s+weights left %\s+params left\s+test acc % before FT\s+test acc % after FT/);
  assert.match(r.out, /lap\s+s=0\.5\s+50\.0/);
  assert.match(r.out, /lap\s+s=0\.9\s+10\.0/);
  assert.match(r.out, /fc1\s+18,816\s+1882\s+90\.00/);
  assert.match(r.err, /\[lap\] s=0\.9 \(2\/2\)/, 'progress line per level');
  // the saved model is the last level, zeros baked in, loadable as a plain TF.js folder
  const m = await loadModel(out);
  for (const [name, size] of [['fc1', 784 * 24], ['fc2', 24 * 10]] as const) {
    const w = m.getLayer(name).getWeights()[0].dataSync();
    const zeros = w.filter((v) => v === 0).length;
    assert.equal(zeros, size - Math.round(0.1 * size), `${name} zeros`);
  }
  const rec = readRecord(join(out, 'pruning-record.json'));
  assert.equal(rec.method, 'lap');
  assert.deepEqual(rec.layers.map((l) => l.alive), [Math.round(0.1 * 784 * 24), Math.round(0.1 * 240)]);
  const sp = await loadSparse(join(out, 'model.sparse'));
  m.weights.forEach((v, i) => assert.deepEqual(Array.from(sp.weights[i].read().dataSync()), Array.from(v.read().dataSync())));
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(results.levels.length, 2);
  assert.ok(results.levels[1].after.accuracy >= 0 && results.levels[1].after.accuracy <= 1);
  const html = readFileSync(report, 'utf8');
  assert.match(html, /<html/i);
  assert.match(html, /Per-layer sparsity/);
  m.dispose();
  sp.dispose();
});

test('prune: gradual and iterative schedules reach the target sparsity', async () => {
  const outG = join(root, 'gradual');
  const g = await cli(['prune', '--model', modelDir, '--method', 'mp', '--schedule', 'gradual', '--sparsity', '0.8', '--finetune-steps', '12', '--frequency', '3', ...data, '--out', outG]);
  assert.equal(g.code, 0, g.err);
  const recG = readRecord(join(outG, 'pruning-record.json'));
  assert.ok(Math.abs(recG.totalSparsity - 0.8) < 0.01, `gradual sparsity ${recG.totalSparsity}`);
  const outI = join(root, 'iterative');
  const it = await cli(['prune', '--model', modelDir, '--method', 'mp_global_normalize', '--schedule', 'iterative', '--rounds', '2', '--sparsity', '0.75', '--finetune-steps', '3', ...data, '--out', outI]);
  assert.equal(it.code, 0, it.err);
  assert.match(it.out, /round 1[\s\S]*round 2/);
  const recI = readRecord(join(outI, 'pruning-record.json'));
  assert.ok(Math.abs(recI.totalSparsity - 0.75) < 0.01, `iterative sparsity ${recI.totalSparsity}`);
  assert.equal(recI.fromMasks, true);
});

test('prune: invalid requests fail with a clear message and write nothing', async () => {
  const cases: [string[], RegExp][] = [
    [['--method', 'mp', '--sparsity', '1'], /--sparsity must be a number in \[0, 0.999999\]/],
    [['--method', 'mp', '--levels', '0.5,1.2'], /--levels must be a comma-separated list of fractions in \[0, 1\)/],
    [['--method', 'magnitude', '--sparsity', '0.5'], /unknown pruning method 'magnitude'/],
    [['--method', 'mp', '--ratios', '0.5,0.5,0.5'], /3 pruning ratios but the model has 2 prunable layers \(fc1, fc2\)/],
    [['--method', 'mp', '--sparsity', '0.5', '--exclude', 'fc1,fc2'], /no prunable layer|prunable/i],
    [['--method', 'mp_global_normalize', '--ratios', '0.5,0.5'], /is global: pass one `sparsity`/],
    [['--method', 'mp', '--sparsity', '0.5', '--ratios', '0.5,0.5'], /exactly one of --sparsity, --ratios, --levels/],
    [['--method', 'mp', '--schedule', 'gradual', '--sparsity', '0.5', '--end-step', '500'], /ends at step 500 but training has only 2 steps/],
  ];
  for (const [args, msg] of cases) {
    const out = join(root, `bad-${Math.random().toString(36).slice(2)}`);
    const report = `${out}.html`;
    const r = await cliFailing(['prune', '--model', modelDir, ...args, '--finetune-steps', '2', ...data, '--out', out, '--report', report, '--sparse']);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.err, msg, args.join(' '));
    assert.equal(existsSync(out), false, `${args.join(' ')}: --out must not be created`);
    assert.equal(existsSync(report), false);
  }
  assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('bad-')), []);
});
