import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelStats, denormalize, normalize } from '../../src/data/normalize.js';
import { makeSet } from './fixtures.js';

test('channelStats matches a naive per-channel computation', () => {
  const set = makeSet(7, 4, 3, 3);
  const stats = channelStats(set);
  for (let c = 0; c < 3; c++) {
    const vals: number[] = [];
    for (let i = c; i < set.images.length; i += 3) vals.push(set.images[i]);
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
    assert.ok(Math.abs(stats.mean[c] - m) < 1e-9);
    assert.ok(Math.abs(stats.std[c] - Math.sqrt(v)) < 1e-9);
  }
});

test('normalize gives zero mean, unit std; copy by default, in place on request; denormalize inverts', () => {
  const set = makeSet(7, 4, 3, 3);
  const before = Float32Array.from(set.images);
  const out = normalize(set);
  assert.notEqual(out.images, set.images);
  assert.deepEqual(set.images, before, 'input untouched');
  const s = channelStats(out);
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(s.mean[c]) < 1e-5);
    assert.ok(Math.abs(s.std[c] - 1) < 1e-5);
  }
  const stats = { mean: [0.5, 0.25, 0], std: [2, 0.5, 1] };
  const given = normalize(set, stats);
  assert.ok(Math.abs(given.images[4] - (set.images[4] - 0.25) / 0.5) < 1e-6);
  const back = denormalize(given, stats);
  for (let i = 0; i < before.length; i++) assert.ok(Math.abs(back.images[i] - before[i]) < 1e-5);
  const same = normalize(set, stats, { inPlace: true });
  assert.equal(same, set);
  assert.deepEqual(set.images, given.images);
  assert.throws(() => normalize(set, { mean: [0], std: [1] }), /3 channels/);
});
