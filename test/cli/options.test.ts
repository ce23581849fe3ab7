/** The one flag parser: strict decimal numbers and lists; every rejection names the flag and shows the value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseChoice,
  parseFloatList,
  parseFloatOption,
  parseFractionList,
  parseIntList,
  parseIntOption,
  parseNameList,
  parseRates,
  parseShape,
  parseTimeOption,
} from '../../src/cli/options.js';
import { parseRateExpression } from '../../src/structured/rates.js';
import { parseNumberText } from '../../src/util/number-text.js';

test('numbers: what Number() coerces silently is an error showing the value', () => {
  const sp = parseFloatOption('--sparsity', 0, 0.999999);
  for (const bad of ['', ' ', '0x0', '0b1', '0o7', 'Infinity', 'NaN', '1_0', '0.5.1', '1e', '--1', '1,5']) {
    assert.throws(() => sp(bad), (e: Error) => e.message.startsWith('--sparsity must be a number in [0, 0.999999], got ') && e.message.includes(JSON.stringify(bad).slice(1, -1)), bad);
  }
  assert.equal(sp('0.5'), 0.5);
  assert.equal(sp(' .25 '), 0.25);
  assert.equal(sp('5e-1'), 0.5);
  assert.throws(() => sp('1'), /got '1' \(out of range\)/);
  const n = parseIntOption('--epochs', 1);
  assert.equal(n('3'), 3);
  for (const bad of ['', '0', '1.5', '0x10', '1e400', '9007199254740993']) assert.throws(() => n(bad), /--epochs must be an integer ≥ 1, got '/, bad);
  assert.equal(n('1e2'), 100);
  assert.throws(() => parseNumberText('0x0', 'x'), /'0x0' is not a decimal number/);
});

test('lists: empty items, trailing/double commas and blanks are errors naming the item', () => {
  const r = parseFractionList('--ratios');
  assert.deepEqual(r('0.5, 0.7'), [0.5, 0.7]);
  assert.throws(() => r('0.5,,0.7'), /--ratios must be a comma-separated list of fractions in \[0, 1\), got '0.5,,0.7': item 2 is empty/);
  assert.throws(() => r('0.5,'), /item 2 is empty/);
  assert.throws(() => r(''), /the list is empty/);
  assert.throws(() => r('0.5,0x1'), /item 2 '0x1' is not a decimal number/);
  assert.throws(() => r('0.5,1'), /item 2 '1' is out of range/);
  assert.throws(() => r(Array(10_001).fill('0.1').join(',')), /10001 items, more than 10000/);
  assert.deepEqual(parseFloatList('--deltas', 0)('0.01,3'), [0.01, 3]);
  const its = parseIntList('--its', 0, { ranges: true });
  assert.deepEqual(its('4-7'), [4, 5, 6, 7]);
  assert.deepEqual(its('4..5'), [4, 5]);
  assert.deepEqual(its('4,6'), [4, 6]);
  assert.throws(() => its('4-1e9'), /more than 10000/);
  assert.throws(() => its('7-4'), /is empty/);
  assert.throws(() => its('4,,6'), /--its.*item 2 is empty/);
  assert.throws(() => parseIntList('--latency-batches', 1)('1,0'), /--latency-batches.*item 2 '0' is out of range/);
  assert.deepEqual(parseNameList('--exclude')('a, b'), ['a', 'b']);
  assert.throws(() => parseNameList('--exclude')('a,'), /--exclude.*item 2 is empty/);
});

test('rates expressions: absurd repeat counts and non-decimal numbers are errors, not allocations', () => {
  assert.deepEqual(parseRateExpression('[0.5]*2+[0.1,0.2]'), [0.5, 0.5, 0.1, 0.2]);
  const rates = parseRates('--rates');
  assert.throws(() => rates('[0.5]*1e9'), /--rates: rate expression "\[0.5\]\*1e9": repeat count 1e9 gives more than 10000 rates/);
  assert.throws(() => rates('[0.5]*5000+[0.5,0.5]*2501'), /more than 10000 rates/);
  assert.throws(() => rates('0x0'), /--rates: rate expression "0x0"/);
  assert.throws(() => rates('[0.5,]'), /expected a number/);
  assert.equal(rates('[0.5]*3'), '[0.5]*3');
});

test('shape and choice show the offending value', () => {
  assert.deepEqual(parseShape('28,28,1'), [28, 28, 1]);
  assert.deepEqual(parseShape('32x32x3'), [32, 32, 3]);
  for (const bad of ['28,28', '28,,1', '0x1c,28,1', '28,28,1.5', ' ,28,1', '1e9,1,1']) assert.throws(() => parseShape(bad), /input shape must be H,W,C/, bad);
  assert.throws(() => parseChoice('--kd', ['ce', 'kd'])('x\n'), /--kd must be one of ce, kd, got 'x\\n'/);
});

test('times: HH:MM is the next such time, +N minutes/hours, ISO with a zone; anything else names the flag', () => {
  const now = new Date(2026, 11, 2, 14, 30, 0); // local 14:30
  const at = parseTimeOption('--drain-at', () => now);
  assert.equal(at('16:05').getTime(), new Date(2026, 11, 2, 16, 5).getTime());
  assert.equal(at('09:00').getTime(), new Date(2026, 11, 3, 9, 0).getTime(), 'a time already past today means tomorrow');
  assert.equal(at('+90').getTime() - now.getTime(), 90 * 60_000);
  assert.equal(at('+2h').getTime() - now.getTime(), 2 * 3_600_000);
  assert.equal(at('2026-12-02T16:30Z').toISOString(), '2026-12-02T16:30:00.000Z');
  for (const bad of ['', '25:00', '7:5', '+', '+-3', 'soon', '2026-12-02T16:30', '2026-13-02T16:30Z', '16:30:00']) {
    assert.throws(() => at(bad), /--drain-at must be a time/, JSON.stringify(bad));
  }
});
