import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCell, formatNumber, groupThousands, isNumericCell } from '../../src/report/format.js';
import { chartDataTable, formatReportText, formatTable } from '../../src/report/table.js';

test('formatNumber: integers, 4 significant digits, exponentials, specials', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '0'],
    [7, '7'],
    [1234, '1234'],
    [-9999, '-9999'],
    [12345, '12,345'],
    [266610, '266,610'],
    [-1234567, '-1,234,567'],
    [2.5e15, '2.50e+15'],
    [98.765, '98.77'],
    [98.7, '98.7'],
    [0.5, '0.5'],
    [0.12345, '0.1235'],
    [-0.012345, '-0.01235'],
    [1234.56, '1235'],
    [9999.6, '10,000'],
    [0.001, '0.001'],
    [0.00012345, '1.23e-4'],
    [4567890.5, '4.57e+6'],
    [NaN, 'NaN'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  for (const [n, want] of cases) assert.equal(formatNumber(n), want, `formatNumber(${n})`);
  assert.equal(groupThousands(1000000), '1,000,000');
});

test('formatCell and isNumericCell', () => {
  assert.equal(formatCell(null), '-');
  assert.equal(formatCell('abc'), 'abc');
  assert.equal(formatCell(0.25), '0.25');
  for (const s of ['98.2 ± 0.3', '12.5%', '1,234', '-0.5', '1.2e-3', '3x', '.5']) assert.ok(isNumericCell(s), s);
  for (const s of ['conv1', 'lap_bn', '', 'x1', '2d conv']) assert.ok(!isNumericCell(s), s);
});

test('formatTable: exact layout, numeric columns right-aligned, caption under it', () => {
  const text = formatTable({
    columns: ['method', 'remaining %', 'acc %'],
    rows: [
      ['mp', 6.36, 98.214],
      ['lap_bn', 0.12, '97.4 ± 0.2'],
      ['rp', null, 11.35],
    ],
    caption: 'Table 1: LeNet-300-100',
  });
  const want = [
    'method  remaining %       acc %',
    '------  -----------  ----------',
    'mp             6.36       98.21',
    'lap_bn         0.12  97.4 ± 0.2',
    'rp                -       11.35',
    'Table 1: LeNet-300-100',
  ].join('\n');
  assert.equal(text, want);
});

test('formatTable: text columns left-aligned, no trailing spaces, newlines in cells flattened', () => {
  const text = formatTable({ columns: ['layer', 'type'], rows: [['conv1\nx', 'Conv2D'], ['d', 'Dense']] });
  const lines = text.split('\n');
  assert.deepEqual(lines, ['layer    type', '-------  ------', 'conv1 x  Conv2D', 'd        Dense']);
  for (const l of lines) assert.equal(l, l.trimEnd());
});

test('formatTable: big integers grouped and aligned', () => {
  const text = formatTable({ columns: ['layer', 'params'], rows: [['fc1', 235500], ['fc3', 1010]] });
  assert.equal(text, ['layer   params', '-----  -------', 'fc1    235,500', 'fc3       1010'].join('\n'));
});

test('formatTable: clear error on ragged rows and no columns', () => {
  assert.throws(
    () => formatTable({ columns: ['a', 'b'], rows: [[1, 2], [3]], caption: 'widths' }),
    /table 'widths': row 1 has 1 cells but there are 2 columns/,
  );
  assert.throws(() => formatTable({ columns: [], rows: [] }), /no columns/);
});

test('formatTable: header-only table', () => {
  assert.equal(formatTable({ columns: ['a', 'bb'], rows: [] }), 'a  bb\n-  --');
});

test('chartDataTable: one row per point (line) or category (bar)', () => {
  assert.deepEqual(
    chartDataTable({
      kind: 'line', id: 'a', title: 't', xLabel: 'x', yLabel: 'y',
      series: [{ label: 'mp', points: [[1, 2], [3, null]], yErr: [0.5, null] }, { label: 'rp', points: [[1, 4]] }],
    }),
    { columns: ['series', 'x', 'y', '± err'], rows: [['mp', 1, 2, 0.5], ['mp', 3, null, null], ['rp', 1, 4, null]] },
  );
  assert.deepEqual(
    chartDataTable({
      kind: 'bar', id: 'b', title: 't', xLabel: 'layer', yLabel: 'n', categories: ['c1', 'c2'],
      datasets: [{ label: 'before', values: [8, 16] }, { label: 'after', values: [4, null] }],
    }),
    { columns: ['layer', 'before', 'after'], rows: [['c1', 8, 4], ['c2', 16, null]] },
  );
});

test('formatReportText: title, meta, sections, tables and charts', () => {
  const text = formatReportText(
    {
      title: 'Run',
      meta: { backend: 'wasm' },
      sections: [
        {
          heading: 'Results',
          paragraphs: ['Hello.'],
          tables: [{ columns: ['m', 'acc'], rows: [['mp', 98.5]] }],
          charts: [{ kind: 'bar', id: 'b', title: 'Widths', xLabel: 'layer', yLabel: 'filters', categories: ['c1'], datasets: [{ label: 'n', values: [3] }] }],
        },
      ],
    },
    { chartData: true },
  );
  assert.equal(
    text,
    [
      'Run', '===', 'backend: wasm', '', 'Results', '-------', 'Hello.', '',
      'm    acc', '--  ----', 'mp  98.5', '',
      '[chart] Widths: filters vs layer (1 categories × 1 datasets)',
      'layer  n', '-----  -', 'c1     3',
    ].join('\n') + '\n',
  );
});
