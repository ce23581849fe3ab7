/**
 * Terminal rendering: `formatTable` (a `ReportTable` as an aligned plain-text table) and `formatReportText`
 * (a whole `ReportDoc`: title, meta, sections with their paragraphs, tables and charts).
 *
 *   method  remaining %  acc %
 *   ------  -----------  -----
 *   mp             6.36  98.21
 *   lap            6.36  98.43
 *   caption text
 *
 * Numbers are formatted with `formatNumber` (format.ts). A column is right-aligned (header included) when every
 * non-missing cell in it is a number or a string that starts like one ("98.2 ± 0.3", "12.5%"); otherwise
 * left-aligned. Missing cells (null) show as '-'. Line breaks and tabs inside cells become spaces.
 */
import type { ReportChart, ReportDoc, ReportTable } from './doc.js';
import { MISSING_CELL, formatCell, isNumericCell } from './format.js';

const COLUMN_GAP = '  ';

/** Display width of a string in a monospace terminal (code points; combining/wide characters not special-cased). */
function width(s: string): number {
  return [...s].length;
}

function padStart(s: string, w: number): string {
  return ' '.repeat(Math.max(0, w - width(s))) + s;
}

function padEnd(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

/** Replaces line breaks, tabs and other control characters with spaces (they would break the layout). */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** Throws a clear error when a row's length does not match the number of columns. */
export function checkTableShape(table: ReportTable): void {
  const what = table.caption ? `table '${table.caption}'` : `table with columns [${table.columns.join(', ')}]`;
  if (table.columns.length === 0) throw new Error(`${what}: no columns; give at least one column header`);
  table.rows.forEach((row, i) => {
    if (row.length !== table.columns.length) {
      throw new Error(
        `${what}: row ${i} has ${row.length} cells but there are ${table.columns.length} columns; ` +
          'give one cell per column (null for a missing value)',
      );
    }
  });
}

/** Which columns are right-aligned: those whose non-missing cells are all numeric (and at least one exists). */
export function numericColumns(table: ReportTable): boolean[] {
  return table.columns.map((_, c) => {
    const cells = table.rows.map((r) => r[c]).filter((v) => v !== null && v !== undefined && v !== '' && v !== MISSING_CELL);
    return cells.length > 0 && cells.every(isNumericCell);
  });
}

/** Renders a table as aligned text (header, dashed rule, rows, then the caption if any). No trailing newline. */
export function formatTable(table: ReportTable): string {
  checkTableShape(table);
  const right = numericColumns(table);
  const header = table.columns.map(oneLine);
  const body = table.rows.map((row) => row.map((cell) => oneLine(formatCell(cell))));
  const widths = header.map((h, c) => Math.max(width(h), ...body.map((r) => width(r[c]))));
  const line = (cells: string[]) =>
    cells
      .map((s, c) => (right[c] ? padStart(s, widths[c]) : padEnd(s, widths[c])))
      .join(COLUMN_GAP)
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join(COLUMN_GAP), ...body.map(line)];
  if (table.caption) out.push(oneLine(table.caption));
  return out.join('\n');
}

/** The chart's numbers as a table (one row per point or category; the HTML page shows it collapsed under the chart). */
export function chartDataTable(chart: ReportChart): ReportTable {
  if (chart.kind === 'bar') {
    return {
      columns: [chart.xLabel || 'category', ...chart.datasets.map((d) => d.label)],
      rows: chart.categories.map((cat, i) => [cat, ...chart.datasets.map((d) => d.values[i])]),
    };
  }
  const hasErr = chart.series.some((s) => s.yErr);
  return {
    columns: ['series', chart.xLabel || 'x', chart.yLabel || 'y', ...(hasErr ? ['± err'] : [])],
    rows: chart.series.flatMap((s) =>
      s.points.map(([x, y], i) => [s.label, x, y, ...(hasErr ? [s.yErr?.[i] ?? null] : [])]),
    ),
  };
}


export interface ReportTextOptions {
  /** Print each chart's numbers as a table (default false: one line naming the chart). */
  chartData?: boolean;
}

/**
 * A whole report as terminal text: title, meta lines, then per section a heading, paragraphs, tables and
 * charts (charts as one line each, or as their data tables with `chartData`). Ends with a newline.
 */
export function formatReportText(doc: ReportDoc, opts: ReportTextOptions = {}): string {
  const out: string[] = [doc.title, '='.repeat(Math.min(width(doc.title), 100))];
  for (const [k, v] of Object.entries(doc.meta ?? {})) out.push(`${oneLine(k)}: ${oneLine(v)}`);
  for (const s of doc.sections) {
    out.push('', oneLine(s.heading), '-'.repeat(Math.min(width(oneLine(s.heading)), 100)));
    for (const p of s.paragraphs ?? []) out.push(p, '');
    for (const t of s.tables ?? []) out.push(formatTable(t), '');
    for (const c of s.charts ?? []) {
      const size = c.kind === 'bar' ? `${c.categories.length} categories × ${c.datasets.length} datasets` : `${c.series.length} series`;
      out.push(`[chart] ${oneLine(c.title)}: ${oneLine(c.yLabel)} vs ${oneLine(c.xLabel)} (${size})`);
      if (opts.chartData) out.push(formatTable(chartDataTable(c)), '');
    }
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}
