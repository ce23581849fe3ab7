/** ReportTable → GitHub-flavoured markdown (for committed experiment results). */
import type { ReportTable } from './doc.js';
import { formatCell } from './format.js';

/** A markdown table; `|` in cells is escaped; the caption (if any) follows as a paragraph. */
export function markdownTable(t: ReportTable): string {
  const esc = (c: string | number | null) => formatCell(c).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: (string | number | null)[]) => `| ${cells.map(esc).join(' | ')} |`;
  return [line(t.columns), `|${t.columns.map(() => '---').join('|')}|`, ...t.rows.map(line), ...(t.caption ? ['', t.caption] : [])].join('\n');
}
