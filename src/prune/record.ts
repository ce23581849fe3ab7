/**
 * Pruning records: a JSON account of one pruning step (method, options, seed, per-layer ratios,
 * achieved sparsity, a CRC-32 of each mask, prunekit version). `replayRecord(denseModel, record)`
 * recomputes the masks from the same dense weights and checks they are identical.
 */
import { readFileSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { crc32 } from '../util/crc32.js';
import { writeFileAtomicSync as writeFileAtomic } from '../io/atomic.js';
import { computeMasks, resolveRatios, type PruneOptions } from './compute.js';
import { requirePrunable } from './layers.js';
import type { MaskSet } from './masks.js';
import { getMethod } from './methods.js';
import { prunekitVersion } from './version.js';

export const RECORD_FORMAT = 'prunekit/pruning-record';

export interface LayerRecord {
  name: string;
  shape: number[];
  size: number;
  /** Ratio asked for this layer (global methods: the global ratio). */
  ratio: number;
  alive: number;
  sparsity: number;
  /** CRC-32 of the mask bytes. */
  maskCrc32: number;
}

export interface PruningRecord {
  format: typeof RECORD_FORMAT;
  formatVersion: 1;
  prunekitVersion: string;
  method: string;
  seed: number;
  /** The PruneOptions used, without `masks` and `data` (data is described by name/count). */
  options: Omit<PruneOptions, 'masks' | 'data'>;
  data?: { name: string; count: number };
  /** True when the step started from given masks (replay then needs the same masks). */
  fromMasks: boolean;
  layers: LayerRecord[];
  totalSparsity: number;
  createdAt: string;
}

export function buildRecord(model: tf.LayersModel, opts: PruneOptions, masks: MaskSet): PruningRecord {
  const spec = getMethod(opts.method);
  const layers = requirePrunable(model, { exclude: opts.exclude, skipShortcuts: opts.skipShortcuts });
  const ratios = resolveRatios(layers, opts, spec.rule === 'global');
  const { masks: _m, data, ...options } = opts;
  return {
    format: RECORD_FORMAT,
    formatVersion: 1,
    prunekitVersion: prunekitVersion(),
    method: opts.method,
    seed: opts.seed ?? 0,
    options: { ...options, seed: opts.seed ?? 0 },
    data: data ? { name: data.name, count: data.count } : undefined,
    fromMasks: opts.masks !== undefined,
    layers: layers.map((l, i) => ({
      name: l.name,
      shape: l.shape,
      size: l.geom.size,
      ratio: spec.rule === 'global' ? ratios[0] : ratios[i],
      alive: masks.alive(l.name),
      sparsity: masks.sparsity(l.name),
      maskCrc32: crc32(masks.get(l.name)),
    })),
    totalSparsity: masks.totalSparsity(),
    createdAt: new Date().toISOString(),
  };
}

/** Writes a prunekit record (this one, or the structured one of src/structured/record.ts) as indented JSON, atomically. */
export function writeRecord(path: string, record: PruningRecord | { format: string; formatVersion: number }): void {
  writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
}

/**
 * Reads a record file as JSON and checks its format tag, version 1, and `valid` (the record's own
 * shape checks); `what` names the record kind in errors.
 */
export function readRecordFile<T extends { format: string; formatVersion: number }>(path: string, format: string, what: string, valid: (r: T) => boolean): T {
  let r: T;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${what} '${path}' could not be read as JSON: ${(e as Error).message}`);
  }
  if (r?.format !== format || r.formatVersion !== 1 || !valid(r)) {
    throw new Error(`'${path}' is not a prunekit ${what} (format ${format}, version 1)`);
  }
  return r;
}

export function readRecord(path: string): PruningRecord {
  return readRecordFile<PruningRecord>(path, RECORD_FORMAT, 'pruning record', (r) => Array.isArray(r.layers) && typeof r.method === 'string');
}

/**
 * Recomputes a record's masks on `denseModel` (the same weights the record was made from) and
 * verifies each layer's CRC. Data-dependent methods need the same `data`; records made from given
 * masks need those `masks`.
 */
export function replayRecord(denseModel: tf.LayersModel, record: PruningRecord, extra: { data?: ImageSet; masks?: MaskSet } = {}): MaskSet {
  if (record.fromMasks && !extra.masks) throw new Error('replayRecord: this record started from existing masks; pass them as `masks`');
  const masks = computeMasks(denseModel, { ...record.options, method: record.method, seed: record.seed, data: extra.data, masks: extra.masks });
  for (const l of record.layers) {
    if (!masks.has(l.name)) throw new Error(`replayRecord: layer '${l.name}' of the record is not prunable in model '${denseModel.name}'`);
    if (crc32(masks.get(l.name)) !== l.maskCrc32) {
      throw new Error(
        `replayRecord: mask of layer '${l.name}' differs from the record (alive ${masks.alive(l.name)} vs ${l.alive}); ` +
          'is this the same dense model (and data) the record was made from?',
      );
    }
  }
  return masks;
}
