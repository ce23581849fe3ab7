/**
 * The channel graph of a tf.LayersModel: the one module that knows which layer feeds which unit.
 * Used by structured pruning (groups, surgery, cost) and by unstructured LAP (neighbour energies).
 *
 * For every tensor it tracks the layout of its last axis: `repeat` copies (flat positions after a
 * Flatten/Reshape, NHWC: feature f is channel f mod C) of `channels` channels, split into
 * segments that belong to channel sources. Layer handlers (handler.ts) say how each class moves
 * channels: producers create sources, channel-wise and pass-through layers keep them, merges
 * (Add, Multiply, …) unite their inputs' sources into one group, Concatenate lays them side by
 * side at offsets. A *group* is a set of producer output channels that must be pruned together,
 * with every layer whose input (or per-channel parameters) must be sliced to match. Sources that
 * reach a model output, meet the model input, or are mixed by a layer (softmax, LayerNormalization)
 * are never pruned.
 *
 * Alongside, each tensor carries its *terms*: which kernel layer's output unit (or the model input)
 * is summed into each channel, before any merging into groups (Add = sum over producers; a
 * Multiply's broadcast input is a gate, not a term; duplicates count once). LAP reads them.
 */
import * as tf from '@tensorflow/tfjs';
import './handlers/index.js';
import { requireHandler, roleOfLayer, type LayerHandler, type LayerRole } from './handler.js';
import { cfgOf } from './handlers/util.js';

export type { LayerRole } from './handler.js';

/** A run of channels on a tensor's last axis that belongs to one group (-1: the model input, never pruned). */
export interface Segment {
  group: number;
  offset: number;
  length: number;
}

/**
 * Kernel layer `layer` (null: the model input) adds its output units from…from+length−1 into
 * channels offset…offset+length−1 of a tensor. `gate`: it multiplies them instead (SE gating).
 */
export interface UnitTerm {
  layer: string | null;
  offset: number;
  length: number;
  from: number;
  gate: boolean;
}

/** Channel layout of a tensor's last axis: `repeat` copies (flat positions) of `channels` channels. */
export interface ChannelSpace {
  segments: Segment[];
  channels: number;
  /** Last-axis size / channels; not an integer when a Reshape split the channels (those are then fixed). */
  repeat: number;
  terms: UnitTerm[];
}

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
  /** True when the layer has a kernel (LAP neighbour). */
  kernel: boolean;
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
  /** Producer layers (Conv2D, Dense, SeparableConv2D, …) whose output channels form this group (same count each). */
  producers: string[];
  /** Producer layers whose input channels must be sliced. */
  consumers: GroupMember[];
  /** Channel-wise layers (BatchNormalization, DepthwiseConv2D, PReLU, …) whose per-channel parameters must be sliced. */
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

const HOOK_THROUGH = new Set(['BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout']);
const POOLS = new Set(['MaxPooling2D', 'AveragePooling2D']);

/** Union–find over channel sources. */
class Sources {
  parent: number[] = [];
  fixed: (string | undefined)[] = [];
  size: number[] = [];
  add(size: number, fixed?: string): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.fixed.push(fixed);
    this.size.push(size);
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
  }
  fix(a: number, reason: string): void {
    const r = this.find(a);
    this.fixed[r] = this.fixed[r] ?? reason;
  }
}

interface RawSpace {
  segments: { source: number; offset: number; length: number }[];
  channels: number;
  repeat: number;
  terms: UnitTerm[];
}

function lastDim(shape: (number | null)[], where: string): number {
  const c = shape[shape.length - 1];
  if (c == null) throw new Error(`channel graph: layer '${where}' has an unknown channel dimension`);
  return c;
}

function totalSize(shape: (number | null)[], where: string): number {
  const t = shape.slice(1).reduce<number>((a, b) => a * (b ?? NaN), 1);
  if (!Number.isFinite(t)) throw new Error(`channel graph: layer '${where}' has an unknown output size`);
  return t;
}

const isAligned = (s: RawSpace): boolean => Number.isInteger(s.repeat) && s.repeat >= 1;

/** Inbound layers of a layer's single call; nested models and shared layers are refused by name. */
export function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  if (layer instanceof tf.LayersModel) {
    throw new Error(
      `channel graph: layer '${layer.name}' is a nested model (${layer.getClassName()}); flatten it first with flattenModel(model) ` +
        '(the prunekit CLI does this on load)',
    );
  }
  if (layer.inboundNodes.length > 1) {
    throw new Error(`channel graph: layer '${layer.name}' is called ${layer.inboundNodes.length} times (shared layers are not supported)`);
  }
  return layer.inboundNodes.length === 0 ? [] : (layer.inboundNodes[0].inboundLayers as tf.layers.Layer[]);
}

/** Layers reachable from the model outputs, inputs first (topological order). */
export function topologicalLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const order: tf.layers.Layer[] = [];
  const seen = new Set<string>();
  const visit = (layer: tf.layers.Layer): void => {
    if (seen.has(layer.name)) return;
    seen.add(layer.name);
    for (const p of inboundLayers(layer)) visit(p);
    order.push(layer);
  };
  for (const t of model.outputs) visit(t.sourceLayer as tf.layers.Layer);
  return order;
}

function dedupeTerms(terms: UnitTerm[]): UnitTerm[] {
  const seen = new Set<string>();
  return terms.filter((t) => {
    const k = `${t.layer}|${t.offset}|${t.length}|${t.from}|${t.gate}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Builds the channel graph; throws on layers it cannot handle, naming them (before any work). */
export function buildChannelGraph(model: tf.LayersModel): ChannelGraph {
  const src = new Sources();
  const spaces = new Map<string, RawSpace>();
  const inSpaces = new Map<string, RawSpace>();
  const producerSource = new Map<string, number>();
  const infos: LayerInfo[] = [];
  const byName = new Map<string, LayerInfo>();
  const order = topologicalLayers(model);
  const outputLayers = model.outputs.map((t) => t.sourceLayer as tf.layers.Layer);
  // Every layer needs a handler: checked for all layers before anything else.
  const handlers = new Map<string, LayerHandler>(order.map((l) => [l.name, requireHandler(l, 'channel graph')]));

  for (const layer of order) {
    const cls = layer.getClassName();
    const h = handlers.get(layer.name)!;
    const inbound = inboundLayers(layer);
    const ins = inbound.map((l) => spaces.get(l.name)!);
    const outShape = layer.outputShape as (number | null)[];
    if (Array.isArray(outShape[0])) throw new Error(`channel graph: layer '${layer.name}' (${cls}) has several outputs; not supported`);
    const where = `layer '${layer.name}' (${cls})`;
    try {
      h.check?.(layer);
    } catch (e) {
      throw new Error(`channel graph: ${(e as Error).message}`);
    }
    const single = (): RawSpace => {
      if (ins.length !== 1) throw new Error(`channel graph: ${where} expected one input, got ${ins.length}`);
      const s = ins[0];
      if (h.needsChannelAxis && s.repeat !== 1) throw new Error(`channel graph: ${where} reads a flattened tensor`);
      if (!isAligned(s) && h.role !== 'flatten' && h.role !== 'passthrough') {
        throw new Error(`channel graph: ${where} reads a tensor whose channels a Reshape split across its last axis; not supported`);
      }
      return s;
    };
    let out: RawSpace;
    const role = inbound.length === 0 ? 'input' : roleOfLayer(h, layer);
    if (role === 'input') {
      const c = lastDim(outShape, layer.name);
      out = { segments: [{ source: src.add(c, 'fed by the model input'), offset: 0, length: c }], channels: c, repeat: 1, terms: [{ layer: null, offset: 0, length: c, from: 0, gate: false }] };
    } else if (role === 'producer') {
      const inS = single();
      inSpaces.set(layer.name, inS);
      const c = lastDim(outShape, layer.name);
      const s = src.add(c, cfgOf(layer).activation === 'softmax' ? `'${layer.name}' has a softmax activation over channels` : undefined);
      producerSource.set(layer.name, s);
      out = { segments: [{ source: s, offset: 0, length: c }], channels: c, repeat: 1, terms: [{ layer: layer.name, offset: 0, length: c, from: 0, gate: false }] };
    } else if (role === 'channelwise') {
      const inS = single();
      inSpaces.set(layer.name, inS);
      out = h.kernel ? { ...inS, terms: [{ layer: layer.name, offset: 0, length: inS.channels, from: 0, gate: false }] } : inS;
    } else if (role === 'passthrough') {
      out = single();
    } else if (role === 'flatten') {
      const inS = single();
      out = { ...inS, repeat: lastDim(outShape, layer.name) / inS.channels };
      if (!isAligned(out)) for (const seg of inS.segments) src.fix(seg.source, `'${layer.name}' (${cls}) splits the channels across its last axis`);
      if (totalSize(outShape, layer.name) % inS.channels !== 0) throw new Error(`channel graph: ${where} changes the number of features`);
    } else if (role === 'merge' || (role === 'concat' && !isLastAxis(cfgOf(layer).axis, outShape.length))) {
      out = mergeSpaces(layer, ins, outShape, h, src, inbound);
    } else if (role === 'concat') {
      const segments: RawSpace['segments'] = [];
      const terms: UnitTerm[] = [];
      let off = 0;
      for (const s of ins) {
        if (s.repeat !== 1) throw new Error(`channel graph: Concatenate '${layer.name}' joins flattened tensors; not supported`);
        for (const seg of s.segments) segments.push({ ...seg, offset: off + seg.offset });
        for (const t of s.terms) terms.push({ ...t, offset: off + t.offset });
        off += s.channels;
      }
      out = { segments, channels: off, repeat: 1, terms };
    } else {
      throw new Error(`channel graph: ${where}: unknown role '${String(role)}'`);
    }
    const coupled = h.couplesChannels?.(layer);
    if (coupled) for (const sp of [out, ...ins]) for (const seg of sp.segments) src.fix(seg.source, coupled);
    spaces.set(layer.name, out);
    const info: LayerInfo = {
      name: layer.name,
      className: cls,
      role,
      inputs: inbound.map((l) => l.name),
      outputs: [],
      outSpace: out as unknown as ChannelSpace,
      kernel: h.kernel !== undefined,
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
    terms: raw.terms,
  });
  for (const info of infos) {
    info.outSpace = resolve(spaces.get(info.name)!);
    const raw = inSpaces.get(info.name);
    if (raw) info.inSpace = resolve(raw);
    else if (info.inputs.length > 0) info.inSpace = resolve(spaces.get(info.inputs[0])!);
    if (raw && info.inSpace) {
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
        if (!HOOK_THROUGH.has(next.className)) break;
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

function isLastAxis(axis: unknown, rank: number): boolean {
  return axis === undefined || axis === -1 || axis === rank - 1;
}

/** Element-wise merge: unites same-position sources; terms are summed, a broadcast Multiply input gates. */
function mergeSpaces(layer: tf.layers.Layer, ins: RawSpace[], outShape: (number | null)[], h: LayerHandler, src: Sources, inbound: tf.layers.Layer[]): RawSpace {
  const cls = layer.getClassName();
  const first = ins[0];
  for (const other of ins.slice(1)) {
    const same =
      other.channels === first.channels &&
      other.segments.length === first.segments.length &&
      other.segments.every((s, i) => s.offset === first.segments[i].offset && s.length === first.segments[i].length);
    if (!same || !isAligned(other) || !isAligned(first)) {
      throw new Error(
        `channel graph: ${cls} '${layer.name}' merges inputs whose channels come from differently split sources (e.g. Concatenate on one side only); not supported`,
      );
    }
    other.segments.forEach((s, i) => src.union(s.source, first.segments[i].source, layer.name));
  }
  const outSize = totalSize(outShape, layer.name);
  const terms: UnitTerm[] = [];
  let base = first;
  inbound.forEach((l, i) => {
    const shape = l.outputShape as (number | null)[];
    const gate = h.gates === true && totalSize(shape, l.name) < outSize;
    if (!gate) base = ins[i];
    for (const t of ins[i].terms) terms.push(gate ? { ...t, gate: true } : t);
  });
  return { segments: base.segments, channels: base.channels, repeat: base.repeat, terms: dedupeTerms(terms) };
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
  const reps = Math.max(1, Math.round(space.repeat));
  const out = new Int32Array(perPos.length * reps);
  let j = 0;
  for (let r = 0; r < reps; r++) for (const p of perPos) out[j++] = r * space.channels + p;
  return out;
}

/** Channel count per position after pruning (see keptPositions). */
export function keptWidth(space: ChannelSpace, width: (group: number) => number | undefined): number {
  let n = 0;
  for (const seg of space.segments) n += (seg.group >= 0 ? width(seg.group) : undefined) ?? seg.length;
  return n;
}

/** Last-axis size of a tensor with this layout after pruning. */
export function keptLastDim(space: ChannelSpace, width: (group: number) => number | undefined): number {
  return Math.round(keptWidth(space, width) * space.repeat);
}
