/**
 * Structured pruning records: a JSON account of one structured pruning run (criterion, options,
 * seed, steps, and per channel group the kept channel indices of the dense model with their
 * CRC-32), the structured counterpart of src/prune/record.ts (same writer, reader and CRC).
 * `replayStructuredRecord` (replay.ts) rebuilds the identical narrow model from the dense one.
 */
import type { ImageSet } from '../data/types.js';
import { crc32 } from '../util/crc32.js';
import { readRecordFile, writeRecord } from '../prune/record.js';
import { prunekitVersion } from '../prune/version.js';
import type { ChannelGraph } from './graph.js';
import type { Cost } from './cost.js';
import type { PruneFiltersOptions } from './prune-filters.js';

export const STRUCTURED_RECORD_FORMAT = 'prunekit/structured-pruning-record';
/** File name of the record inside a pruned model folder. */
export const STRUCTURED_RECORD_FILE = 'structured-pruning-record.json';

export interface StructuredGroupRecord {
  id: number;
  producers: string[];
  channels: number;
  /** Kept channel indices of the dense model (sorted). */
  kept: number[];
  /** CRC-32 of the kept indices as little-endian int32 bytes. */
  keptCrc32: number;
}

/** The options of a structured run as stored: everything but the calibration images. */
export type StoredPruneFiltersOptions = Omit<PruneFiltersOptions, 'calib'>;

export interface StructuredPruningRecord {
  format: typeof STRUCTURED_RECORD_FORMAT;
  formatVersion: 1;
  prunekitVersion: string;
  criterion: string;
  seed: number;
  options: StoredPruneFiltersOptions;
  /** Calibration images, by name and count (data-dependent criteria need the same ones to replay). */
  calib?: { name: string; count: number };
  /**
   * Prune → fine-tune steps. 1: one-shot; replay recomputes the kept channels from the dense model
   * and checks them. > 1: iterative; the kept indices are composed over the steps (each step
   * scored the fine-tuned model of the previous one), and replay slices them from the dense model.
   */
  steps: number;
  groups: StructuredGroupRecord[];
  cost: { before: Cost; after: Cost };
  createdAt: string;
}

/** CRC-32 of kept indices (little-endian int32 bytes). */
export function keptCrc32(kept: ArrayLike<number>): number {
  const a = Int32Array.from(kept as ArrayLike<number>);
  return crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

export interface BuildStructuredRecordInput {
  /** Graph of the dense model. */
  graph: ChannelGraph;
  options: PruneFiltersOptions;
  /** Kept indices of the dense model per pruned group id (groups absent: unpruned). */
  keep: ReadonlyMap<number, Int32Array>;
  cost: { before: Cost; after: Cost };
  steps?: number;
}

export function buildStructuredRecord(input: BuildStructuredRecordInput): StructuredPruningRecord {
  const { calib, ...options } = input.options;
  const groups = input.graph.groups
    .filter((g) => input.keep.has(g.id))
    .map((g) => {
      const kept = Array.from(input.keep.get(g.id)!);
      return { id: g.id, producers: [...g.producers], channels: g.channels, kept, keptCrc32: keptCrc32(kept) };
    });
  return {
    format: STRUCTURED_RECORD_FORMAT,
    formatVersion: 1,
    prunekitVersion: prunekitVersion(),
    criterion: options.criterion,
    seed: options.seed ?? 0,
    options: { ...options, seed: options.seed ?? 0 },
    ...(calib ? { calib: { name: calib.name, count: calib.count } } : {}),
    steps: input.steps ?? 1,
    groups,
    cost: input.cost,
    createdAt: new Date().toISOString(),
  };
}

export function writeStructuredRecord(path: string, record: StructuredPruningRecord): void {
  writeRecord(path, record);
}

export function readStructuredRecord(path: string): StructuredPruningRecord {
  return readRecordFile<StructuredPruningRecord>(
    path,
    STRUCTURED_RECORD_FORMAT,
    'structured pruning record',
    (r) => Array.isArray(r.groups) && typeof r.criterion === 'string' && Number.isInteger(r.steps) && r.steps >= 1 && typeof r.options === 'object',
  );
}

/** The record's kept indices per group id, after checking each against its CRC (a corrupt or edited record is an error). */
export function recordedKeep(record: StructuredPruningRecord): Map<number, Int32Array> {
  const keep = new Map<number, Int32Array>();
  for (const g of record.groups) {
    if (!Array.isArray(g.kept) || keptCrc32(g.kept) !== g.keptCrc32) {
      throw new Error(`structured record: the kept channels of group ${g.id} (${g.producers.join(', ')}) do not match their CRC; the record is damaged`);
    }
    keep.set(g.id, Int32Array.from(g.kept));
  }
  return keep;
}
