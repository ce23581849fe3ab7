import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markdownTable } from '../../src/report/markdown.js';

test('markdownTable: header rule, formatted numbers, escaped pipes, missing cells, caption', () => {
  const md = markdownTable({ columns: ['method', 'error %'], rows: [['a|b', 1.5], ['mp', null]], caption: 'mean of 3 seeds' });
  assert.equal(md, ['| method | error % |', '|---|---|', '| a\\|b | 1.5 |', '| mp | - |', '', 'mean of 3 seeds'].join('\n'));
});
