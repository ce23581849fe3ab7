/**
 * Rates files: per-layer structured pruning rates as JSON, keyed by a producer layer of each
 * channel group (the RateSpec record form of rates.ts). Written by `prunekit sensitivity --budget`,
 * read by `prunekit prune-filters --rates-file`. Same reader/writer as the pruning records.
 */
import { readRecordFile, writeRecord } from '../prune/record.js';

export const RATES_FILE_FORMAT = 'prunekit/structured-rates';

export interface RatesFile {
  format: typeof RATES_FILE_FORMAT;
  formatVersion: 1;
  /** Rate per producer layer name (groups not named are not pruned). */
  rates: Record<string, number>;
  /** Where the rates came from (free-form: command, budget, model, …). */
  source?: Record<string, unknown>;
}

export function writeRatesFile(path: string, rates: Record<string, number>, source?: Record<string, unknown>): void {
  const file: RatesFile = { format: RATES_FILE_FORMAT, formatVersion: 1, rates, ...(source ? { source } : {}) };
  writeRecord(path, file);
}

export function readRatesFile(path: string): Record<string, number> {
  const f = readRecordFile<RatesFile>(path, RATES_FILE_FORMAT, 'rates file', (r) => typeof r.rates === 'object' && r.rates !== null && !Array.isArray(r.rates));
  for (const [name, r] of Object.entries(f.rates)) {
    if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw new Error(`rates file '${path}': the rate of '${name}' must be a number in [0, 1), got ${JSON.stringify(r)}`);
  }
  return f.rates;
}
