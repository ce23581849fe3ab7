import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src/io/model-folder.js';

await tf.setBackend('cpu');

const dir = mkdtempSync(join(tmpdir(), 'prunekit-pf-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function tinyNet(): tf.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 4 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c2' }),
      tf.layers.batchNormalization({ name: 'bn2' }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, name: 'fc' }),
    ],
  });
  return m;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--backend', 'cpu', 'prune-filters', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const modelDir = join(dir, 'dense');
const common = ['--dataset', 'digits', '--limit-train', '64', '--limit-test', '32', '--batch-size', '32'];

test('prune-filters prunes, fine-tunes, reports and writes the model, inference model and HTML', async () => {
  const m = tinyNet();
  await saveModel(m, modelDir);
  m.dispose();
  const out = join(dir, 'pruned');
  const inf = join(dir, 'inference');
  const html = join(dir, 'report.html');
  const r = cli([
    '--model', modelDir, ...common, '--criterion', 'l1', '--rates', '[0.5]*2', '--finetune-epochs', '1',
    '--latency-batches', '1,2', '--latency-runs', '1', '--out', out, '--export-inference', inf, '--report', html,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /== Widths ==/);
  assert.match(r.stdout, /c1\s+4\s+2\s+0\.500/);
  assert.match(r.stdout, /c2\s+6\s+3\s+0\.500/);
  assert.match(r.stdout, /params\s+[\d,]+\s+[\d,]+/);
  assert.match(r.stdout, /MACs\s+[\d,]+\s+[\d,]+/);
  assert.match(r.stdout, /right after pruning/);
  // BN statistics re-estimated by default (20 batches of the calibration size): its own line and column
  assert.match(r.stdout, /with BN statistics re-estimated on 20 batches: accuracy \d+\.\d\d%/);
  assert.match(r.stdout, /… BN re-estimated %/);
  assert.match(r.stdout, /== Latency ==[\s\S]*\n\s+1\s[\s\S]*\n\s+2\s/);
  const pruned = await loadModel(out);
  assert.deepEqual(pruned.getLayer('c1').getWeights()[0].shape, [3, 3, 1, 2]);
  assert.deepEqual(pruned.getLayer('c2').getWeights()[0].shape, [3, 3, 2, 3]);
  const folded = await loadModel(inf);
  assert.equal(folded.layers.filter((l) => l.getClassName() === 'BatchNormalization').length, 0);
  const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 7);
  const a = (pruned.predict(x) as tf.Tensor).dataSync();
  const b = (folded.predict(x) as tf.Tensor).dataSync();
  const scale = Math.max(...Array.from(a, Math.abs));
  const err = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
  assert.ok(err / scale < 1e-4, `folded model differs by ${err / scale}`);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /Widths/);
  assert.match(page, /Latency/);
  tf.dispose(x);
  pruned.dispose();
  folded.dispose();
});

test('prune-filters rejects bad input before writing anything', () => {
  const out = join(dir, 'never');
  const both = cli(['--model', modelDir, ...common, '--rates', '0.5', '--flops-reduction', '0.5', '--out', out]);
  assert.equal(both.status, 1);
  assert.match(both.stderr, /exactly one of --rates, --flops-reduction, --params-reduction/);
  const none = cli(['--model', modelDir, ...common, '--out', out]);
  assert.match(none.stderr, /exactly one of/);
  const same = cli(['--model', modelDir, ...common, '--rates', '0.5', '--out', modelDir]);
  assert.match(same.stderr, /is the input model folder/);
  const expr = cli(['--model', modelDir, ...common, '--rates', '[0.5]*x', '--out', out]);
  assert.notEqual(expr.status, 0);
  assert.match(expr.stderr, /rate expression/);
  const crit = cli(['--model', modelDir, ...common, '--criterion', 'l2', '--rates', '0.5', '--out', out]);
  assert.match(crit.stderr, /--criterion must be one of/);
  const budget = cli(['--model', modelDir, ...common, '--flops-reduction', '0.999', '--out', out]);
  assert.equal(budget.status, 1);
  assert.match(budget.stderr, /cannot cut macs/);
  assert.equal(existsSync(out), false);
});
