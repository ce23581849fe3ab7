import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src/io/model-folder.js';
import { readRatesFile } from '../../src/structured/rates-file.js';
import { pruneFilters } from '../../src/structured/prune-filters.js';

await tf.setBackend('cpu');

const dir = mkdtempSync(join(tmpdir(), 'prunekit-sens-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--backend', 'cpu', 'sensitivity', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('sensitivity prints the group × rate table, writes the heat map and a rates file that meets the MACs budget', async () => {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 3, padding: 'same', name: 'c1' }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 4 }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'c2' }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, name: 'fc' }),
    ],
  });
  const modelDir = join(dir, 'dense');
  await saveModel(m, modelDir);
  m.dispose();
  const rates = join(dir, 'rates.json');
  const html = join(dir, 'sens.html');
  const r = cli(['--model', modelDir, '--dataset', 'digits', '--subset', '40', '--rates', '0.25,0.5,0.75', '--budget', '0.4', '--out-rates', rates, '--report', html]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /group\s+layers\s+channels\s+rate 0\.25\s+rate 0\.5\s+rate 0\.75/);
  assert.match(r.stdout, /\n\s*0\s+c1\s+6(\s+[\d.]+){3}\n\s*1\s+c2\s+8(\s+[\d.]+){3}\n/);
  assert.match(r.stdout, /on 40 held-out images/);
  assert.match(r.stdout, /== Rates for the budget ==/);
  const chosen = readRatesFile(rates);
  assert.deepEqual(Object.keys(chosen).sort(), ['c1', 'c2']);
  const dense = await loadModel(modelDir);
  const { model: p, report } = await pruneFilters(dense, { criterion: 'l1', rates: chosen });
  assert.ok(report.reduction.macs >= 0.4, `MACs cut ${report.reduction.macs}`);
  p.dispose();
  dense.dispose();
  const page = readFileSync(html, 'utf8');
  assert.match(page, /style="background:hsl\(/);
  // bad input fails before any work
  const noBudget = cli(['--model', modelDir, '--out-rates', join(dir, 'x.json')]);
  assert.equal(noBudget.status, 1);
  assert.match(noBudget.stderr, /--out-rates writes the rates chosen for --budget: give --budget too/);
  const grid = cli(['--model', modelDir, '--rates', '0.5,0.3']);
  assert.notEqual(grid.status, 0);
  assert.match(grid.stderr, /--rates: sensitivity: rates must be ascending and unique/);
  const far = cli(['--model', modelDir, '--subset', '8', '--rates', '0.1,0.2', '--budget', '0.9', '--out-rates', join(dir, 'far.json')]);
  assert.equal(far.status, 1);
  assert.match(far.stderr, /cannot cut macs by 90\.0%: every group at the largest analysed rate \(0\.2\)/);
  assert.equal(existsSync(join(dir, 'far.json')), false);
});
