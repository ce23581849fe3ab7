/**
 * Channel dependency graph of a tf.LayersModel (Sequential or functional).
 *
 * Tracks, for every tensor, which producer's output channels sit on its last axis. Producers
 * (Conv2D, Dense) create channel sources; channel-wise layers (BatchNormalization,
 * DepthwiseConv2D) and pass-through layers keep them; Flatten repeats them over H·W positions
 * (NHWC: feature f belongs to channel f mod C); Add-like merges unite their inputs' sources into
 * one group; Concatenate lays them side by side at offsets. A *group* is a set of producer output
 * channels that must be pruned together, with every layer whose input (or per-channel
 * parameters) must be sliced to match. Sources reaching a model output, or merged with the model
 * input, are never pruned.
 */
import * as tf from '@tensorflow/tfjs';

/** A run of channels on a tensor's last axis that belongs to one group (-1: the model input, never pruned). */
export interface Segment {
  group: number;
  offset: number;
  length: number;
}

/** Channel layout of a tensor's last axis: `repeat` copies (Flatten positions) of `channels` channels. */
export interface ChannelSpace {
  segments: Segment[];
  channels: number;
  repeat: number;
}

export type LayerRole = 'input' | 'producer' | 'channelwise' | 'passthrough' | 'merge' | 'concat' | 'flatten';

export interface LayerInfo {
  name: string;
  className: string;
  role: LayerRole;
  /** Names of the layers feeding this one, in input order. */
  inputs: string[];
  /** Names of the layers reading this one's output. */
  outputs: string[];
  /** Channel layout of the (first) input; absent for input layers. */
  inSpace?: ChannelSpace;
  /** Channel layout of the output. */
  outSpace: ChannelSpace;
  /** For producers: the group of its output channels. */
  outGroup?: number;
}

/** A layer whose input channels (or per-channel parameters) must be sliced when a group is pruned. */
export interface GroupMember {
  layer: string;
  /** Offset of the group's channels within the layer's input channels. */
  offset: number;
  /** The layer's total input channels per position. */
  channels: number;
  /** Flatten spatial factor (1 unless the input comes through a Flatten). */
  repeat: number;
}

export interface ChannelGroup {
  id: number;
  channels: number;
  prunable: boolean;
  /** Why the group is fixed, when it is. */
  fixedReason?: string;
  /** Conv2D/Dense layers whose output channels form this group (same count each). */
  producers: string[];
  /** Conv2D/Dense layers whose input channels must be sliced. */
  consumers: GroupMember[];
  /** BatchNormalization/DepthwiseConv2D layers whose per-channel parameters must be sliced. */
  channelwise: GroupMember[];
  /** Per producer: the last layer after it through BN/activations (the default score hook). */
  hooks: string[];
  /** Per producer: like `hooks`, but continuing through a directly following pooling layer. */
  postPoolHooks: string[];
}

export interface ChannelGraph {
  /** Layers in topological order (including input layers). */
  layers: LayerInfo[];
  byName: Map<string, LayerInfo>;
  /** Groups by id (ids in topological order of their first producer). */
  groups: ChannelGroup[];
  /** Names of the model's output layers. */
  outputLayers: string[];
}

const PRODUCERS = new Set(['Conv2D', 'Dense']);
const CHANNELWISE = new Set(['BatchNormalization', 'DepthwiseConv2D']);
/** Element-wise layers: channels unchanged, no parameters. */
const ELEMENTWISE = new Set(['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout']);
/** Spatial-only layers: channels unchanged, no parameters. */
const SPATIAL = new Set(['MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D']);
const MERGES = new Set(['Add', 'Average', 'Maximum', 'Minimum', 'Multiply']);
const POOLS = new Set(['MaxPooling2D', 'AveragePooling2D']);

/** Union–find over channel sources. */
class Sources {
  parent: number[] = [];
  fixed: (string | undefined)[] = [];
  size: number[] = [];
  isInput: boolean[] = [];
  add(size: number, input: boolean): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.fixed.push(input ? 'fed by the model input' : undefined);
    this.size.push(size);
    this.isInput.push(input);
    return id;
  }
  find(a: number): number {
    while (this.parent[a] !== a) {
      this.parent[a] = this.parent[this.parent[a]];
      a = this.parent[a];
    }
    return a;
  }
  union(a: number, b: number, where: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    if (this.size[ra] !== this.size[rb]) {
      throw new Error(`channel graph: layer '${where}' merges tensors with ${this.size[ra]} and ${this.size[rb]} channels`);
    }
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[hi] = lo;
    this.fixed[lo] = this.fixed[lo] ?? this.fixed[hi];
    this.isInput[lo] = this.isInput[lo] || this.isInput[hi];
  }
  fix(a: number, reason: string): void {
    const r = this.find(a);
    this.fixed[r] = this.fixed[r] ?? reason;
  }
}

function cfg(layer: tf.layers.Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

function lastDim(shape: (number | null)[], where: string): number {
  const c = shape[shape.length - 1];
  if (c == null) throw new Error(`channel graph: layer '${where}' has an unknown channel dimension`);
  return c;
}

function checkChannelsLast(layer: tf.layers.Layer): void {
  const df = cfg(layer).dataFormat ?? cfg(layer).data_format;
  if (df !== undefined && df !== 'channelsLast' && df !== 'channels_last') {
    throw new Error(`channel graph: layer '${layer.name}' (${layer.getClassName()}) uses ${String(df)}; only channels-last models are supported`);
  }
}

function checkLastAxis(layer: tf.layers.Layer, axis: unknown, rank: number): void {
  const a = Array.isArray(axis) ? axis : [axis];
  if (a.length !== 1 || (a[0] !== -1 && a[0] !== rank - 1)) {
    throw new Error(`channel graph: layer '${layer.name}' (${layer.getClassName()}) works on axis ${JSON.stringify(axis)}; only the last (channel) axis is supported`);
  }
}

interface RawSpace {
  segments: { source: number; offset: number; length: number }[];
  channels: number;
  repeat: number;
}

/** Builds the channel dependency graph; throws on layers it cannot handle, naming them. */
export function buildChannelGraph(model: tf.LayersModel): ChannelGraph {
  const src = new Sources();
  const spaces = new Map<string, RawSpace>();
  const inSpaces = new Map<string, RawSpace>();
  const producerSource = new Map<string, number>();
  const infos: LayerInfo[] = [];
  const byName = new Map<string, LayerInfo>();

  // Collect every layer reachable from the outputs, with inbound layers, in topological order.
  const order: tf.layers.Layer[] = [];
  const seen = new Set<string>();
  const inboundOf = (layer: tf.layers.Layer): tf.layers.Layer[] => {
    if (layer.inboundNodes.length > 1) {
      throw new Error(`channel graph: layer '${layer.name}' is called ${layer.inboundNodes.length} times (shared layers are not supported)`);
    }
    return layer.inboundNodes.length === 0 ? [] : (layer.inboundNodes[0].inboundLayers as tf.layers.Layer[]);
  };
  const visit = (layer: tf.layers.Layer): void => {
    if (seen.has(layer.name)) return;
    seen.add(layer.name);
    for (const p of inboundOf(layer)) visit(p);
    order.push(layer);
  };
  const outputLayers = model.outputs.map((t) => t.sourceLayer as tf.layers.Layer);
  for (const l of outputLayers) visit(l);

  for (const layer of order) {
    const cls = layer.getClassName();
    const inbound = inboundOf(layer);
    const ins = inbound.map((l) => {
      const s = spaces.get(l.name);
      if (!s) throw new Error(`channel graph: internal error, '${l.name}' not visited before '${layer.name}'`);
      return s;
    });
    const outShape = layer.outputShape as (number | null)[];
    if (Array.isArray(outShape[0])) {
      throw new Error(`channel graph: layer '${layer.name}' (${cls}) has several outputs; not supported`);
    }
    let out: RawSpace;
    let role: LayerRole;
    const single = (): RawSpace => {
      if (ins.length !== 1) throw new Error(`channel graph: layer '${layer.name}' (${cls}) expected one input, got ${ins.length}`);
      return ins[0];
    };
    if (inbound.length === 0 || cls === 'InputLayer') {
      role = 'input';
      const c = lastDim(outShape, layer.name);
      out = { segments: [{ source: src.add(c, true), offset: 0, length: c }], channels: c, repeat: 1 };
    } else if (PRODUCERS.has(cls)) {
      role = 'producer';
      checkChannelsLast(layer);
      const inS = single();
      if (cls === 'Conv2D' && inS.repeat !== 1) throw new Error(`channel graph: Conv2D '${layer.name}' reads a flattened tensor`);
      inSpaces.set(layer.name, inS);
      const c = lastDim(outShape, layer.name);
      const s = src.add(c, false);
      producerSource.set(layer.name, s);
      out = { segments: [{ source: s, offset: 0, length: c }], channels: c, repeat: 1 };
      const act = cfg(layer).activation;
      if (act === 'softmax') src.fix(s, `'${layer.name}' has a softmax activation over channels`);
    } else if (CHANNELWISE.has(cls)) {
      role = 'channelwise';
      const inS = single();
      if (cls === 'BatchNormalization') checkLastAxis(layer, cfg(layer).axis, outShape.length);
      if (cls === 'DepthwiseConv2D') {
        checkChannelsLast(layer);
        const mult = cfg(layer).depthMultiplier ?? 1;
        if (mult !== 1) throw new Error(`channel graph: DepthwiseConv2D '${layer.name}' has depthMultiplier ${String(mult)}; only 1 is supported`);
      }
      if (inS.repeat !== 1 && cls === 'DepthwiseConv2D') throw new Error(`channel graph: '${layer.name}' reads a flattened tensor`);
      inSpaces.set(layer.name, inS);
      out = inS;
    } else if (ELEMENTWISE.has(cls) || SPATIAL.has(cls)) {
      role = 'passthrough';
      const inS = single();
      if (SPATIAL.has(cls)) {
        checkChannelsLast(layer);
        if (inS.repeat !== 1) throw new Error(`channel graph: '${layer.name}' (${cls}) reads a flattened tensor`);
      }
      out = inS;
      const act = cls === 'Activation' ? cfg(layer).activation : undefined;
      if (act === 'softmax' || cls === 'Softmax') for (const seg of inS.segments) src.fix(seg.source, `'${layer.name}' applies softmax over channels`);
    } else if (cls === 'Flatten') {
      role = 'flatten';
      const inS = single();
      const total = outShape.slice(1).reduce<number>((a, b) => a * (b ?? NaN), 1);
      if (!Number.isFinite(total)) throw new Error(`channel graph: Flatten '${layer.name}' has an unknown output size`);
      out = { ...inS, repeat: total / inS.channels };
    } else if (MERGES.has(cls)) {
      role = 'merge';
      const first = ins[0];
      for (const other of ins.slice(1)) {
        const same =
          other.repeat === first.repeat &&
          other.segments.length === first.segments.length &&
          other.segments.every((s, i) => s.offset === first.segments[i].offset && s.length === first.segments[i].length);
        if (!same) {
          throw new Error(
            `channel graph: ${cls} '${layer.name}' merges inputs whose channels come from differently split sources (e.g. Concatenate on one side only); not supported`,
          );
        }
        other.segments.forEach((s, i) => src.union(s.source, first.segments[i].source, layer.name));
      }
      out = first;
    } else if (cls === 'Concatenate') {
      role = 'concat';
      checkLastAxis(layer, cfg(layer).axis, outShape.length);
      const segments: RawSpace['segments'] = [];
      let off = 0;
      for (const s of ins) {
        if (s.repeat !== 1) throw new Error(`channel graph: Concatenate '${layer.name}' joins flattened tensors; not supported`);
        for (const seg of s.segments) segments.push({ ...seg, offset: off + seg.offset });
        off += s.channels;
      }
      out = { segments, channels: off, repeat: 1 };
    } else {
      throw new Error(
        `channel graph: layer '${layer.name}' of type ${cls} is not supported for structured pruning ` +
          `(supported: Conv2D, Dense, DepthwiseConv2D, BatchNormalization, activations, Dropout, pooling, ZeroPadding2D, Flatten, Add, Concatenate)`,
      );
    }
    if (role === 'input' && inbound.length > 0) throw new Error(`channel graph: InputLayer '${layer.name}' has inputs`);
    spaces.set(layer.name, out);
    const info: LayerInfo = {
      name: layer.name,
      className: cls,
      role,
      inputs: inbound.map((l) => l.name),
      outputs: [],
      outSpace: out as unknown as ChannelSpace,
    };
    infos.push(info);
    byName.set(layer.name, info);
  }
  for (const info of infos) for (const i of info.inputs) byName.get(i)!.outputs.push(info.name);
  for (const l of outputLayers) for (const seg of spaces.get(l.name)!.segments) src.fix(seg.source, `reaches the model output '${l.name}'`);

  // Number groups by the first producer in topological order.
  const groupOfRoot = new Map<number, number>();
  const groups: ChannelGroup[] = [];
  for (const info of infos) {
    const s = producerSource.get(info.name);
    if (s === undefined) continue;
    const root = src.find(s);
    let g = groupOfRoot.get(root);
    if (g === undefined) {
      g = groups.length;
      groupOfRoot.set(root, g);
      const fixed = src.fixed[root];
      groups.push({
        id: g,
        channels: src.size[root],
        prunable: fixed === undefined,
        ...(fixed !== undefined ? { fixedReason: fixed } : {}),
        producers: [],
        consumers: [],
        channelwise: [],
        hooks: [],
        postPoolHooks: [],
      });
    }
    groups[g].producers.push(info.name);
    info.outGroup = g;
  }
  const resolve = (raw: RawSpace): ChannelSpace => ({
    channels: raw.channels,
    repeat: raw.repeat,
    segments: raw.segments.map((s) => ({ group: groupOfRoot.get(src.find(s.source)) ?? -1, offset: s.offset, length: s.length })),
  });
  for (const info of infos) {
    info.outSpace = resolve(spaces.get(info.name)!);
    const raw = inSpaces.get(info.name);
    if (raw) info.inSpace = resolve(raw);
    if (info.inSpace) {
      for (const seg of info.inSpace.segments) {
        if (seg.group < 0) continue;
        const m: GroupMember = { layer: info.name, offset: seg.offset, channels: info.inSpace.channels, repeat: info.inSpace.repeat };
        (info.role === 'producer' ? groups[seg.group].consumers : groups[seg.group].channelwise).push(m);
      }
    }
  }
  // Score hooks: follow a producer through BN and element-wise layers while it is the only reader.
  for (const g of groups) {
    for (const p of g.producers) {
      let cur = byName.get(p)!;
      for (;;) {
        if (cur.outputs.length !== 1) break;
        const next = byName.get(cur.outputs[0])!;
        if (!(next.className === 'BatchNormalization' || ELEMENTWISE.has(next.className))) break;
        cur = next;
      }
      g.hooks.push(cur.name);
      let post = cur;
      if (post.outputs.length === 1 && POOLS.has(byName.get(post.outputs[0])!.className)) post = byName.get(post.outputs[0])!;
      g.postPoolHooks.push(post.name);
    }
  }
  return { layers: infos, byName, groups, outputLayers: outputLayers.map((l) => l.name) };
}

/** Prunable groups in id order (the order per-group rate lists refer to). */
export function prunableGroups(graph: ChannelGraph): ChannelGroup[] {
  return graph.groups.filter((g) => g.prunable);
}

/**
 * Positions kept on a tensor's last axis after pruning, given the kept channel indices per group
 * (groups absent from `keep` keep every channel). Positions are ascending.
 */
export function keptPositions(space: ChannelSpace, keep: ReadonlyMap<number, Int32Array>): Int32Array {
  const perPos: number[] = [];
  for (const seg of space.segments) {
    const k = seg.group >= 0 ? keep.get(seg.group) : undefined;
    if (k) for (const i of k) perPos.push(seg.offset + i);
    else for (let i = 0; i < seg.length; i++) perPos.push(seg.offset + i);
  }
  perPos.sort((a, b) => a - b);
  const out = new Int32Array(perPos.length * space.repeat);
  let j = 0;
  for (let r = 0; r < space.repeat; r++) for (const p of perPos) out[j++] = r * space.channels + p;
  return out;
}

/** Channel count per position after pruning (see keptPositions). */
export function keptWidth(space: ChannelSpace, width: (group: number) => number | undefined): number {
  let n = 0;
  for (const seg of space.segments) n += (seg.group >= 0 ? width(seg.group) : undefined) ?? seg.length;
  return n;
}
