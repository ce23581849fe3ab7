import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import { ensureWasm, relError } from '../helpers/backends.js';
import { trainModel } from '../../src/train/loop.js';
import { createProgress, formatEpochLine } from '../../src/train/progress.js';
import type { TrainOptions } from '../../src/train/types.js';
import { toyMlp, toySet, weightsOf } from './toy.js';

const train = toySet(120, 11);
const opts: TrainOptions = { epochs: 2, batchSize: 30, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, seed: 1, progress: false };

test('a Dense-only model trains on wasm to the same weights as on cpu (1e-4), without leaks', async () => {
  await tf.setBackend('cpu');
  const cpuModel = toyMlp(4);
  await trainModel(cpuModel, train, opts);
  const ref = weightsOf(cpuModel);
  cpuModel.dispose();

  await ensureWasm();
  await tf.setBackend('wasm');
  try {
    const m = toyMlp(4);
    const counts: number[] = [];
    await trainModel(m, train, { ...opts, epochs: 3, maxSteps: 8, onEpochEnd: () => void counts.push(tf.memory().numTensors) });
    assert.equal(counts[0], counts[1]);
    m.dispose();
    const w = toyMlp(4);
    await trainModel(w, train, opts);
    const got = weightsOf(w);
    got.forEach((g, i) => assert.ok(relError(g, ref[i]) < 1e-4, `weight ${i}: rel error ${relError(g, ref[i])}`));
    w.dispose();
  } finally {
    await tf.setBackend('cpu');
  }
});

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: string } {
  const s = new Writable({
    write(chunk, _enc, cb) {
      s.text += String(chunk);
      cb();
    },
  }) as Writable & { isTTY: boolean; text: string };
  s.text = '';
  s.isTTY = isTTY;
  return s;
}

test('progress: one plain line per epoch off a TTY, a bar plus the epoch line when forced, nothing when off', () => {
  const logs = { epoch: 1, loss: 0.5, accuracy: 0.75, valLoss: 0.6, valAccuracy: 0.7, lr: 0.01, steps: 10, seconds: 1.25 };
  assert.equal(formatEpochLine(logs, 3), 'epoch 2/3  loss 0.5000  acc 0.7500  val_loss 0.6000  val_acc 0.7000  lr 1.000e-2  10 steps  1.3s');
  const plain = sink(false);
  const p = createProgress('auto', plain);
  p.startEpoch(1, 3, 10);
  p.step(5, 0.4, 0.5);
  p.endEpoch(logs, 3);
  assert.equal(plain.text, formatEpochLine(logs, 3) + '\n');
  const bar = sink(false);
  const b = createProgress(true, bar);
  b.startEpoch(1, 3, 10);
  b.step(10, 0.4, 0.5);
  b.endEpoch(logs, 3);
  assert.match(bar.text, /epoch 2\/3 \[/);
  assert.ok(bar.text.endsWith(formatEpochLine(logs, 3) + '\n'));
  const off = sink(true);
  const o = createProgress(false, off);
  o.startEpoch(0, 1, 1);
  o.endEpoch(logs, 1);
  assert.equal(off.text, '');
});
