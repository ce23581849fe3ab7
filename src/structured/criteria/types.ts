/** Filter-importance criteria: one score per channel of each prunable group (higher = keep). */
export type CriterionName = 'dct' | 'dct_low' | 'dct_dc' | 'l1' | 'hrank' | 'random';

export const CRITERIA: readonly CriterionName[] = ['dct', 'dct_low', 'dct_dc', 'l1', 'hrank', 'random'];

/** Criteria that need calibration feature maps. */
export const MAP_CRITERIA: ReadonlySet<CriterionName> = new Set(['dct', 'dct_low', 'dct_dc', 'hrank']);

export interface CriterionOptions {
  /**
   * Where feature maps are taken: 'pre-pool' (default; after BN + activation, before pooling,
   * our design choice) or 'post-pool' (through a directly following pooling layer, as the
   * reference code does for VGG convs followed by pooling).
   */
  hook?: 'pre-pool' | 'post-pool';
  /** dct_low block size k (k×k top-left block); default ceil(H/4) × ceil(W/4). */
  dctK?: number;
  /** hrank: pivot tolerance (default max(H, W)·ε_f32·max|F|). */
  rankTol?: number;
  /** Calibration: batches × batch size images (default 5 × 128), seeded selection. */
  calibBatches?: number;
  calibBatchSize?: number;
  /** Seed for the calibration sample and the random criterion (default 0). */
  seed?: number;
}

export function checkCriterion(name: string): CriterionName {
  if (!(CRITERIA as readonly string[]).includes(name)) {
    throw new Error(`unknown filter criterion '${name}'; use one of ${CRITERIA.join(', ')}`);
  }
  return name as CriterionName;
}
