import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isPruningStep, iterativeRounds, iterativeSparsity, oneShotRatios, oneShotRemaining, polynomialSparsity, survivorFraction,
} from '../../src/prune/schedules.js';

test('one-shot levels reproduce the FCN remaining-weight column (methods.md 5.9)', () => {
  const p = [0.5, 0.5, 0.5, 0.5, 0.25];
  const sizes = [784 * 500, 500 * 500, 500 * 500, 500 * 500, 500 * 10];
  const want: Record<number, number> = { 4: 6.36, 5: 3.21, 6: 1.63, 7: 0.84, 8: 0.43, 9: 0.23, 10: 0.12 };
  for (const [it, pct] of Object.entries(want)) {
    assert.ok(Math.abs(oneShotRemaining(p, sizes, Number(it)) * 100 - pct) < 0.006, `it=${it}`);
  }
  assert.deepEqual(oneShotRatios(p, 2), [0.75, 0.75, 0.75, 0.75, 1 - 0.75 ** 2]);
  assert.throws(() => oneShotRatios([1], 1), /must be in \[0, 1\)/);
});

test('iterative schedule: survivors fraction compounds', () => {
  assert.ok(Math.abs(iterativeSparsity(0.2, 3) - (1 - 0.8 ** 3)) < 1e-12);
  const n = iterativeRounds(0.2, 0.95);
  assert.ok(iterativeSparsity(0.2, n) >= 0.95 && iterativeSparsity(0.2, n - 1) < 0.95);
  assert.ok(Math.abs(survivorFraction(0.5, 0.75) - 0.5) < 1e-12);
  assert.equal(survivorFraction(0.6, 0.5), 0);
});

test('polynomial sparsity matches the closed form and tfmot step rule', () => {
  const s = { initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 100, endStep: 1100, frequency: 50, power: 3 };
  assert.equal(polynomialSparsity(s, 0), 0.1);
  assert.equal(polynomialSparsity(s, 100), 0.1);
  assert.ok(Math.abs(polynomialSparsity(s, 600) - (0.9 + (0.1 - 0.9) * 0.5 ** 3)) < 1e-12);
  assert.equal(polynomialSparsity(s, 5000), 0.9);
  assert.equal(isPruningStep(s, 150), true);
  assert.equal(isPruningStep(s, 151), false);
  assert.equal(isPruningStep(s, 50), false);
  assert.equal(isPruningStep(s, 1150), false);
  assert.throws(() => polynomialSparsity({ ...s, endStep: 100 }, 5), /beginStep < endStep/);
});
