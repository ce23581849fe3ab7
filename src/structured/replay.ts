/**
 * Replaying a structured pruning record (record.ts) on the dense model it was made from.
 *
 * One-shot records (steps = 1): the kept channels are recomputed with the recorded criterion,
 * options and seed (data-dependent criteria need the same calibration images) and compared with
 * the record group by group; the result is the identical narrow model. Iterative records
 * (steps > 1) cannot be recomputed without the intermediate fine-tunes: their composed kept
 * indices (CRC-checked) are sliced from the dense model, which gives the identical architecture
 * and the dense model's weights of the kept channels.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../data/types.js';
import { buildChannelGraph } from './graph.js';
import { removeChannels } from './surgery.js';
import { pruneFilters } from './prune-filters.js';
import { keptCrc32, recordedKeep, type StructuredPruningRecord } from './record.js';

export interface ReplayResult {
  model: tf.LayersModel;
  keep: Map<number, Int32Array>;
  /** True when the kept channels were recomputed and checked (one-shot records). */
  recomputed: boolean;
}

export async function replayStructuredRecord(
  denseModel: tf.LayersModel,
  record: StructuredPruningRecord,
  extra: { calib?: ImageSet; copyBN?: boolean } = {},
): Promise<ReplayResult> {
  const graph = buildChannelGraph(denseModel);
  const recorded = recordedKeep(record);
  for (const g of record.groups) {
    const mine = graph.groups[g.id];
    if (!mine || mine.producers.join() !== g.producers.join() || mine.channels !== g.channels) {
      throw new Error(
        `replayStructuredRecord: group ${g.id} of the record (${g.producers.join(', ')}, ${g.channels} channels) is not a group of model '${denseModel.name}'; ` +
          'is this the dense model the record was made from?',
      );
    }
  }
  if (record.steps > 1) {
    const model = await removeChannels(denseModel, recorded, { graph, copyBN: extra.copyBN ?? record.options.copyBN });
    return { model, keep: recorded, recomputed: false };
  }
  const { model, keep } = await pruneFilters(denseModel, { ...record.options, seed: record.seed, calib: extra.calib });
  try {
    const ids = new Set([...keep.keys(), ...recorded.keys()]);
    for (const id of ids) {
      const a = keep.get(id);
      const b = recorded.get(id);
      if (!a || !b || keptCrc32(a) !== keptCrc32(b)) {
        throw new Error(
          `replayStructuredRecord: the kept channels of group ${id} (${graph.groups[id].producers.join(', ')}) differ from the record ` +
            `(${a?.length ?? graph.groups[id].channels} vs ${b?.length ?? graph.groups[id].channels} kept); is this the same dense model (and calibration data) the record was made from?`,
        );
      }
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, keep, recomputed: true };
}
