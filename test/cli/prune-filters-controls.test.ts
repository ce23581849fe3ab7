import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src/io/model-folder.js';
import { readStructuredRecord, STRUCTURED_RECORD_FILE } from '../../src/structured/record.js';
import { replayStructuredRecord } from '../../src/structured/replay.js';
import { writeRatesFile } from '../../src/structured/rates-file.js';

await tf.setBackend('cpu');

const dir = mkdtempSync(join(tmpdir(), 'prunekit-pfc-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function tinyNet(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 4 }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'c2' }),
      tf.layers.reLU(),
      tf.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', name: 'c3' }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, name: 'fc' }),
    ],
  });
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--backend', 'cpu', 'prune-filters', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const modelDir = join(dir, 'dense');
const common = ['--dataset', 'digits', '--limit-train', '48', '--limit-test', '24', '--batch-size', '24', '--no-latency', '--criterion', 'l1'];
const width = (m: tf.LayersModel, name: string) => (m.getLayer(name).getWeights()[0].shape as number[]).at(-1);

test('prune-filters --ignore --round-to --ranking global --steps 2 writes a record that replays to the saved widths', async () => {
  const m = tinyNet();
  await saveModel(m, modelDir);
  m.dispose();
  const out = join(dir, 'pruned');
  const r = cli(['--model', modelDir, ...common, '--flops-reduction', '0.4', '--ranking', 'global', '--ignore', 'c1', '--round-to', '2', '--max-rate', '0.75', '--steps', '2', '--finetune-epochs', '1', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /== Steps ==/);
  assert.match(r.stdout, /c1 \(ignored\)\s+4\s+4/);
  assert.match(r.stdout, /global ranking of normalised scores \(flops budget\); ignored: c1; max rate 0\.75; kept rounded to multiples of 2/);
  const pruned = await loadModel(out);
  assert.equal(width(pruned, 'c1'), 4);
  for (const [name, c] of [['c2', 8], ['c3', 12]] as const) {
    const w = width(pruned, name)!;
    assert.ok(w % 2 === 0 && w >= 2 && w <= c, `${name}: ${w}`);
  }
  assert.ok(width(pruned, 'c2')! < 8 || width(pruned, 'c3')! < 12, 'something was pruned');
  const record = readStructuredRecord(join(out, STRUCTURED_RECORD_FILE));
  assert.equal(record.steps, 2);
  const dense = await loadModel(modelDir);
  const replay = await replayStructuredRecord(dense, record);
  for (const name of ['c1', 'c2', 'c3']) assert.equal(width(replay.model, name), width(pruned, name));
  [pruned, dense, replay.model].forEach((x) => x.dispose());
});

test('prune-filters --rates-file applies per-layer rates; bad control flags fail before writing', async () => {
  const rates = join(dir, 'rates.json');
  writeRatesFile(rates, { c2: 0.5, c3: 0.25 });
  const out = join(dir, 'from-file');
  const r = cli(['--model', modelDir, ...common, '--rates-file', rates, '--finetune-epochs', '0', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const pruned = await loadModel(out);
  assert.deepEqual(['c1', 'c2', 'c3'].map((n) => width(pruned, n)), [4, 4, 9]);
  pruned.dispose();
  const never = join(dir, 'never');
  const bad = [
    [['--rates', '0.5', '--ignore', 'nope'], /ignore: the model has no layer 'nope'/],
    [['--rates', '0.5', '--ignore', 'bn1'], /'bn1' \(BatchNormalization\) does not produce channels/],
    [['--rates', '[0.5]*2', '--ranking', 'global'], /--ranking global takes one number in --rates/],
    [['--rates', '0.5', '--max-rate', '1'], /--max-rate must be below 1/],
    [['--rates', '0.5', '--round-to', '0'], /--round-to must be an integer ≥ 1/],
    [['--rates', '0.5', '--steps', '0'], /--steps must be an integer ≥ 1/],
    [['--rates-file', join(dir, 'missing.json')], /--rates-file '.*missing\.json' does not exist/],
    [['--rates-file', rates, '--rates', '0.5'], /exactly one of --rates, --flops-reduction, --params-reduction \(or --rates-file/],
  ] as const;
  for (const [args, msg] of bad) {
    const b = cli(['--model', modelDir, ...common, ...args, '--out', never]);
    assert.notEqual(b.status, 0, args.join(' '));
    assert.match(b.stderr, msg, args.join(' '));
  }
  assert.equal(existsSync(never), false);
});
