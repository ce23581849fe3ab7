/**
 * The reference's choice of prunable layers for the DCT sweep (methods.md §4.5, §4.9), expressed as
 * the structured rules' `ignore` list: the last `protectLast` prunable groups are never pruned (VGG:
 * the last conv, as `compress_rate` leaves conv13), and with `innerOnly` every group except ResNet
 * blocks' inner channels (each block's conv1 outputs) is ignored. The rule that meets the MACs target
 * over the remaining groups — one uniform rate (per-layer style) or a global ranking — is
 * src/structured's (budget.ts), not this file's.
 */
import type * as tf from '@tensorflow/tfjs';
import { buildChannelGraph, prunableGroups, type ChannelGroup } from '../structured/graph.js';

export interface ProtectedGroupOptions {
  protectLast: number;
  innerOnly: boolean;
}

/** ResNet block inner channels: a group produced only by `…_conv1` layers of blocks (`layer…`). */
export function isInnerGroup(g: ChannelGroup): boolean {
  return g.producers.length > 0 && g.producers.every((p) => /^layer.*_conv1$/.test(p));
}

/** Producer layer names of the prunable groups the sweep must leave whole (an `ignore` list), and how many groups stay prunable. */
export function protectedProducers(model: tf.LayersModel, o: ProtectedGroupOptions): { ignore: string[]; prunable: number } {
  const all = prunableGroups(buildChannelGraph(model));
  let allowed = all;
  if (o.innerOnly) {
    allowed = allowed.filter(isInnerGroup);
    if (allowed.length === 0) throw new Error(`innerOnly: model '${model.name}' has no ResNet block inner channels (layer…_conv1)`);
  }
  if (o.protectLast > 0) allowed = allowed.slice(0, Math.max(0, allowed.length - o.protectLast));
  if (allowed.length === 0) throw new Error(`model '${model.name}': no prunable groups left after protecting the last ${o.protectLast}`);
  const keep = new Set(allowed.map((g) => g.id));
  return { ignore: all.filter((g) => !keep.has(g.id)).flatMap((g) => g.producers), prunable: allowed.length };
}
