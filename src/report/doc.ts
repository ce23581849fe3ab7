/**
 * The report document model: what a pruning run wants to show, independent of how it is rendered
 * (terminal tables in `table.ts`, a self-contained HTML page in `html.ts`).
 */

/** A table: column headers and rows of cells (numbers are formatted by the renderer unless given as strings). */
export interface ReportTable {
  columns: string[];
  rows: (string | number | null)[][];
  /** Optional caption shown under the table. */
  caption?: string;
  /**
   * Optional heat-map shading, one value per cell in [0, 1] (0 = none, 1 = strongest) or null for
   * an unshaded cell; the HTML page colours the cells, the terminal shows the numbers only.
   */
  shade?: (number | null)[][];
}

/** One line/scatter series: points (x, y); y may be null for a gap. Optional error bars (± yErr). */
export interface ChartSeries {
  label: string;
  points: [number, number | null][];
  yErr?: (number | null)[];
}

/** A line chart over numeric x (e.g. accuracy vs % weights remaining). */
export interface LineChart {
  kind: 'line';
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis (e.g. remaining weights 6.36 … 0.12 %). */
  xLog?: boolean;
  /** Reverse the x axis (e.g. sparsity increasing to the right while x is "remaining"). */
  xReverse?: boolean;
  series: ChartSeries[];
}

/** A bar chart over categories (e.g. per-layer sparsity, per-layer widths before/after). */
export interface BarChart {
  kind: 'bar';
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  categories: string[];
  datasets: { label: string; values: (number | null)[] }[];
  /** Stack the datasets. */
  stacked?: boolean;
}

export type ReportChart = LineChart | BarChart;

export interface ReportSection {
  heading: string;
  /** Plain-text paragraphs (escaped by the renderer). */
  paragraphs?: string[];
  tables?: ReportTable[];
  charts?: ReportChart[];
}

export interface ReportDoc {
  title: string;
  /** e.g. date, backend, dataset, command line. */
  meta?: Record<string, string>;
  sections: ReportSection[];
}
