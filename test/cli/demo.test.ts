import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/io/model-folder.js';
import { readRecord } from '../../src/prune/record.js';

const execFileP = promisify(execFile);

test('demo (reduced budget): prints the table for every method × level, writes report, results and the best model', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'pk-demo-')), 'demo');
  const args = ['--import', 'tsx', 'scripts/dev.ts', '--backend', 'cpu', 'demo', '--out', out, '--model', 'lenet300',
    '--pretrain-steps', '20', '--finetune-steps', '3', '--its', '2,8', '--limit-train', '300', '--limit-test', '100'];
  const r = await execFileP(process.execPath, args, { maxBuffer: 1 << 24 });
  for (const m of ['mp', 'lap']) for (const lv of ['it=2', 'it=8']) assert.match(r.stdout, new RegExp(`^${m}\\s+${lv}\\s`, 'm'), `${m} ${lv} row`);
  assert.match(r.stdout, /wall time \d+(\.\d)? s/);
  assert.match(r.stderr, /\[lap\] it=8 \(2\/2\)/);
  for (const f of ['demo-report.html', 'results.json', 'model/model.json', 'model/pruning-record.json']) assert.ok(existsSync(join(out, f)), f);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.deepEqual(results.results.map((x: { method: string }) => x.method), ['mp', 'lap']);
  // the saved model is the level named in results.json, with its zeros baked in
  const best = results.results.flatMap((x: { levels: unknown[] }) => x.levels).find((l: { method: string; label: string }) => l.method === results.best.method && l.label === results.best.level);
  assert.ok(best, 'best level is one of the results');
  const rec = readRecord(join(out, 'model/pruning-record.json'));
  assert.equal(rec.method, results.best.method);
  await tf.setBackend('cpu');
  const m = await loadModel(join(out, 'model'));
  rec.layers.forEach((l) => {
    const w = m.getLayer(l.name).getWeights()[0].dataSync();
    assert.equal(w.filter((v) => v !== 0).length, l.alive, l.name);
  });
  m.dispose();
  assert.match(readFileSync(join(out, 'demo-report.html'), 'utf8'), /magnitude vs lookahead/);
});
