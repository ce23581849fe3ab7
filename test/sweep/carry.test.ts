import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { cli, comparable, tinyRecipe } from './fixtures.js';
import { expandRecipe, type DenseJob } from '../../src/sweep/jobs.js';
import { validateRecipe } from '../../src/sweep/recipe.js';
import { carryPlan, restoreCarry, writeCarry } from '../../src/sweep/carry.js';
import { denseTrainOptions, runJob } from '../../src/sweep/run-job.js';
import { denseCheckpointDir, readResult, type JobResult } from '../../src/sweep/store.js';
import { loadDataset } from '../../src/data/registry.js';
import { createModel } from '../../src/models/index.js';
import { trainModel } from '../../src/train/loop.js';
import { findLatestCheckpoint } from '../../src/train/checkpoint.js';

const jobs = expandRecipe(validateRecipe(tinyRecipe(), 'tiny.json'));
const ids = jobs.map((j) => j.id);

test('carry plan: finished producers that an unfinished job needs, and unfinished dense jobs with a checkpoint', () => {
  assert.deepEqual(ids, ['dense-mlp-s0', 'u-s0-mp-sp0.9', 'u-s0-lap-sp0.9', 'f-s0-sp0.5-masks', 'f-s0-sp0.5-none', 'f-s0-sp0.5-freq-a']);
  const all = new Set(ids);
  assert.deepEqual(carryPlan(jobs, all, () => true), { artifacts: [], checkpoints: [] }, 'a complete sweep carries nothing');
  const noFreqA = new Set(ids.filter((id) => id !== 'f-s0-sp0.5-freq-a'));
  // freq-a needs the teacher (dense) and the stage-1 masks
  assert.deepEqual(carryPlan(jobs, noFreqA, () => true), { artifacts: ['dense-mlp-s0', 'f-s0-sp0.5-masks'], checkpoints: [] });
  const onlyU = new Set(['dense-mlp-s0', 'u-s0-mp-sp0.9', 'u-s0-lap-sp0.9']);
  assert.deepEqual(carryPlan(jobs, onlyU, () => false), { artifacts: ['dense-mlp-s0'], checkpoints: [] }, 'masks not done yet: only the dense net');
  assert.deepEqual(carryPlan(jobs, new Set(), (id) => id === 'dense-mlp-s0'), { artifacts: [], checkpoints: ['dense-mlp-s0'] }, 'dense net mid-training: its checkpoint');
  assert.deepEqual(carryPlan(jobs, new Set(), () => false), { artifacts: [], checkpoints: [] });
});

test('a published unfinished sweep carries its models: resuming elsewhere recomputes nothing; a corrupt carried file is refused before any work', { timeout: 600_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pk-carry-'));
  try {
    const recipe = join(tmp, 'tiny.json');
    writeFileSync(recipe, JSON.stringify(tinyRecipe()));
    const a = join(tmp, 'a');
    const pub = join(tmp, 'published');
    const first = await cli(['sweep', recipe, '--out', a, '--workers', '2', '--publish', pub]).done;
    assert.equal(first.code, 0, first.out);
    assert.ok(!existsSync(join(pub, 'carry')), 'a complete sweep publishes no carry/');
    const original = readResult(a, 'f-s0-sp0.5-freq-a')!;
    // the sweep as it stood before its last job: publish it
    rmSync(join(a, 'results', 'f-s0-sp0.5-freq-a.json'));
    const rep = await cli(['sweep', '--report', a, '--publish', pub]).done;
    assert.equal(rep.code, 0, rep.out);
    assert.match(rep.out, /carried for unfinished jobs → .*carry\/ \(\d+\.\d MiB gzip\): dense-mlp-s0, f-s0-sp0\.5-masks/);
    const manifest = JSON.parse(readFileSync(join(pub, 'carry', 'manifest.json'), 'utf8')) as { entries: { id: string; files: { path: string }[] }[] };
    assert.deepEqual(manifest.entries.map((e) => e.id), ['dense-mlp-s0', 'f-s0-sp0.5-masks']);
    assert.ok(manifest.entries[1].files.some((f) => f.path === 'masks.json'));
    // on another machine: nothing is recomputed, only the unfinished job runs, with the same result
    const b = join(tmp, 'b');
    const second = await cli(['sweep', recipe, '--out', b, '--workers', '1', '--resume-from', pub]).done;
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /imported 5 finished job\(s\) from .*; restored the carried models of dense-mlp-s0, f-s0-sp0\.5-masks\n/);
    assert.doesNotMatch(second.out, /recomputing/);
    assert.match(second.out, /ran 1 job\(s\), 5 already done, 0 failed/);
    assert.deepEqual(comparable(readResult(b, 'f-s0-sp0.5-freq-a') as never), comparable(original as never));
    // one flipped byte in a carried file: a clear error naming it, and the new folder gets no results
    const gz = join(pub, 'carry', 'f-s0-sp0.5-masks', 'masks.json.gz');
    const bytes = readFileSync(gz);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(gz, bytes);
    const c = join(tmp, 'c');
    const bad = await cli(['sweep', recipe, '--out', c, '--resume-from', pub]).done;
    assert.equal(bad.code, 1);
    assert.match(bad.out, /masks\.json\.gz.*(corrupt|sha256)/);
    assert.ok(!existsSync(join(c, 'results')) || readdirSync(join(c, 'results')).length === 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a dense job continues from its checkpoint (own or carried) and ends bit-identical to an uninterrupted run', { timeout: 300_000 }, async () => {
  await tf.setBackend('cpu');
  const tmp = mkdtempSync(join(tmpdir(), 'pk-ckpt-'));
  const dense = jobs[0] as DenseJob;
  try {
    const whole = await runJob(dense, { dir: join(tmp, 'whole') });
    assert.ok(!existsSync(denseCheckpointDir(join(tmp, 'whole'), dense.id)), 'the checkpoint is removed once the model is saved');
    // a run killed after its first epoch: the same options, stopped at one epoch's steps
    const killed = join(tmp, 'killed');
    const { train } = await loadDataset(dense.data.dataset, { limitTrain: dense.data.limitTrain, limitTest: dense.data.limitTest, seed: 0 });
    const opts = denseTrainOptions(dense, train);
    const spe = Math.ceil(train.count / dense.spec.batchSize);
    assert.ok(opts.epochs >= 2, 'the tiny dense job must span two epochs');
    const model = createModel(dense.spec.model, { inputShape: [train.height, train.width, train.channels], numClasses: train.numClasses, seed: dense.seed });
    await trainModel(model, train, { ...opts, maxSteps: spe, checkpointDir: denseCheckpointDir(killed, dense.id) });
    model.dispose();
    assert.equal((await findLatestCheckpoint(denseCheckpointDir(killed, dense.id)))?.state.epoch, 1);
    // published from that state and restored on another machine
    const pub = join(tmp, 'pub');
    const carried = await writeCarry(killed, jobs, new Set(), pub);
    assert.deepEqual(carried.entries.map((e) => [e.id, e.what, e.epoch]), [[dense.id, 'checkpoint', 1]]);
    const fresh = join(tmp, 'fresh');
    const restored = await restoreCarry(pub, fresh, jobs, new Set());
    assert.deepEqual(restored.checkpoints, [{ id: dense.id, epoch: 1 }]);
    const before = tf.memory().numTensors;
    for (const dir of [killed, fresh]) {
      const lines: string[] = [];
      const r: JobResult = await runJob(dense, { dir, log: (l) => lines.push(l) });
      assert.ok(lines.some((l) => /continued from its checkpoint after epoch 1/.test(l)), lines.join('\n'));
      assert.equal(r.metrics.resumedFromEpoch, 1);
      assert.deepEqual(comparable(r as never), comparable(whole as never), `${dir}: resumed dense net differs from the uninterrupted one`);
      const w = (d: string) => readFileSync(join(d, 'artifacts', dense.id, 'model', readdirSync(join(d, 'artifacts', dense.id, 'model')).find((f) => f.endsWith('.bin'))!));
      assert.ok(w(dir).equals(w(join(tmp, 'whole'))), 'weights are bit-identical');
    }
    assert.equal(tf.memory().numTensors, before);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
