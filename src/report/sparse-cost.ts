/**
 * What unstructured pruning saves, measured on the pruned model itself (no data needed):
 *   params      all weights (count.ts) and the non-zero ones
 *   MACs        dense conv+dense MACs (count.ts) and the non-zero MACs: each layer's MACs × its fraction of
 *               non-zero kernel weights (a sparse kernel skips the multiply-adds of zero weights)
 *   size        dense float32 bytes and the sparse encoding, raw and gzip (io/sparse-size.ts)
 */
import type * as tf from '@tensorflow/tfjs';
import { sizeReport, type SizeReport } from '../io/sparse-size.js';
import type { PruningRecord } from '../prune/record.js';
import { countModel } from './count.js';
import type { ReportTable } from './doc.js';
import { formatBytes } from './bytes.js';
import { formatMagnitude } from './count.js';

export interface SparseCost {
  params: number;
  nonZeroParams: number;
  /** Conv + dense MACs per sample of the dense model. */
  convDenseMacs: number;
  /** The same with each pruned layer's MACs scaled by its fraction of non-zero kernel weights. */
  nonZeroMacs: number;
  size: SizeReport;
}

export function sparseCost(model: tf.LayersModel, record: PruningRecord): SparseCost {
  const count = countModel(model);
  const alive = new Map(record.layers.map((l) => [l.name, l.alive / l.size]));
  let nonZeroMacs = 0;
  for (const r of count.layers) if (r.convDense) nonZeroMacs += r.macs * (alive.get(r.name) ?? 1);
  const pruned = record.layers.reduce((a, l) => a + (l.size - l.alive), 0);
  return { params: count.params, nonZeroParams: count.params - pruned, convDenseMacs: count.convDenseMacs, nonZeroMacs: Math.round(nonZeroMacs), size: sizeReport(model) };
}

/** One row per level: sparsity, non-zero params, non-zero MACs, sizes. */
export function sparseCostTable(rows: { label: string; sparsity: number; cost: SparseCost }[]): ReportTable {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return {
    caption: 'data-free: no accuracy and no fine-tuning (give --dataset to evaluate and fine-tune)',
    columns: ['level', 'sparsity', 'params (non-zero / all)', 'MACs (non-zero / dense)', 'size float32', 'size sparse', 'sparse gzip'],
    rows: rows.map(({ label, sparsity, cost: c }) => [
      label,
      pct(sparsity),
      `${formatMagnitude(c.nonZeroParams)} / ${formatMagnitude(c.params)}`,
      `${formatMagnitude(c.nonZeroMacs)} / ${formatMagnitude(c.convDenseMacs)}`,
      formatBytes(c.size.denseBytes),
      formatBytes(c.size.sparseBytes),
      formatBytes(c.size.sparseGzipBytes),
    ]),
  };
}
