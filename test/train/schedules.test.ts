import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRateAt, scheduleForSteps, validateSchedule } from '../../src/train/schedules.js';

const ctx = { stepsPerEpoch: 10, totalSteps: 100 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('no schedule and constant give the base rate', () => {
  for (const s of [0, 5, 99]) {
    assert.equal(learningRateAt(undefined, 0.1, s, ctx), 0.1);
    assert.equal(learningRateAt({ kind: 'constant' }, 0.1, s, ctx), 0.1);
  }
});

test('step schedule (epoch unit) multiplies by gamma at each milestone, constant within an epoch', () => {
  const spec = { kind: 'step' as const, milestones: [3, 6], gamma: 0.1 };
  for (let step = 0; step < 100; step++) {
    const e = Math.floor(step / 10);
    const want = 0.5 * (e >= 6 ? 0.01 : e >= 3 ? 0.1 : 1);
    close(learningRateAt(spec, 0.5, step, ctx), want);
  }
});

test('step schedule in step units', () => {
  const spec = { kind: 'step' as const, unit: 'step' as const, milestones: [7], gamma: 0.5 };
  close(learningRateAt(spec, 1, 6, ctx), 1);
  close(learningRateAt(spec, 1, 7, ctx), 0.5);
});

test('cosine matches the closed form and ends at minLr', () => {
  const spec = { kind: 'cosine' as const, unit: 'step' as const, minLr: 0.001 };
  for (const t of [0, 1, 25, 50, 77, 99]) {
    close(learningRateAt(spec, 0.1, t, ctx), 0.001 + (0.099 * (1 + Math.cos((Math.PI * t) / 100))) / 2);
  }
  close(learningRateAt(spec, 0.1, 100, ctx), 0.001);
  close(learningRateAt(spec, 0.1, 150, ctx), 0.001);
  // epoch units: T = totalSteps / stepsPerEpoch = 10 epochs
  close(learningRateAt({ kind: 'cosine' }, 0.1, 25, ctx), (0.1 * (1 + Math.cos((Math.PI * 2) / 10))) / 2);
});

test('linear warmup then cosine over the remaining span', () => {
  const spec = { kind: 'cosine' as const, unit: 'step' as const, warmup: 4, total: 20 };
  close(learningRateAt(spec, 0.8, 0, ctx), 0.2);
  close(learningRateAt(spec, 0.8, 3, ctx), 0.8);
  close(learningRateAt(spec, 0.8, 4, ctx), 0.8);
  close(learningRateAt(spec, 0.8, 12, ctx), (0.8 * (1 + Math.cos(Math.PI * 0.5))) / 2);
  close(learningRateAt(spec, 0.8, 20, ctx), 0);
});

test('warmup applies to the step schedule too', () => {
  const spec = { kind: 'step' as const, unit: 'step' as const, milestones: [5], warmup: 2 };
  close(learningRateAt(spec, 1, 0, ctx), 0.5);
  close(learningRateAt(spec, 1, 1, ctx), 1);
  close(learningRateAt(spec, 1, 5, ctx), 0.1);
});

test('bad specs are rejected with the field named', () => {
  assert.throws(() => validateSchedule({ kind: 'step' }), /milestones/);
  assert.throws(() => validateSchedule({ kind: 'cosine', total: 0 }), /total/);
  assert.throws(() => validateSchedule({ kind: 'linear' as never }), /unknown schedule kind 'linear'/);
  assert.throws(() => validateSchedule({ kind: 'constant', unit: 'batch' as never }), /unit/);
});

test('scheduleForSteps: a cosine without a total spans the budgeted steps (the last step is one step short of minLr)', () => {
  const ctx = { stepsPerEpoch: 10, totalSteps: 50 }; // the loop's whole epochs: 5 × 10
  const s = scheduleForSteps({ kind: 'cosine', unit: 'step', minLr: 0.001 }, 25, 10)!;
  assert.equal(s.total, 25);
  close(learningRateAt(s, 0.1, 24, ctx), 0.001 + (0.099 * (1 + Math.cos((Math.PI * 24) / 25))) / 2);
  close(learningRateAt(s, 0.1, 25, ctx), 0.001);
  assert.equal(scheduleForSteps({ kind: 'cosine', minLr: 0 }, 25, 10)!.total, 2.5, 'epoch unit: total in epochs');
  const explicit = { kind: 'cosine' as const, total: 7 };
  assert.equal(scheduleForSteps(explicit, 25, 10), explicit);
  const step = { kind: 'step' as const, milestones: [1] };
  assert.equal(scheduleForSteps(step, 25, 10), step);
  assert.equal(scheduleForSteps(undefined, 25, 10), undefined);
});
