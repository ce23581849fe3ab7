/**
 * Prunable layers of a tf.LayersModel and the role-based view of their kernels.
 *
 * Prunable: Dense, Conv1D, Conv2D and DepthwiseConv2D kernels, in module order (`model.layers`). Never
 * biases or BatchNorm parameters. ResNet 1×1 projection-shortcut convs are skipped (detected from
 * the graph, see `findShortcutConvs`), and any layer named in `exclude`.
 *
 * Kernels are addressed by role, never by raw axes ("output unit j", "input unit k"):
 *   Dense           [in, out]            flat = k·O + j               (spatial = 1)
 *   Conv2D          [kh, kw, in, out]    flat = (s·I + k)·O + j       (s = kernel position)
 *   Conv1D          [k, in, out]         flat = (s·I + k)·O + j
 *   DepthwiseConv2D [kh, kw, in, mult]   flat = s·(I·M) + j, j = k·M + m
 * A depthwise kernel has I = in channels and O = in·mult output channels; output channel j reads
 * only input channel floor(j / M). LAP treats it like any other layer: its A is indexed by that
 * single input channel, its B by the output channel j (our design choice).
 *
 * Chain neighbours (`prev`/`next`) follow the reference: a plain chain of prunable layers in module
 * order, skips ignored. Which unit of a neighbour feeds which unit of a layer is never guessed from
 * counts: LAP reads it from the channel graph (src/graph, scores/lap.ts).
 */
import * as tf from '@tensorflow/tfjs';

export type PrunableKind = 'dense' | 'conv1d' | 'conv2d' | 'depthwise';

/** Kernel geometry by role. */
export interface KernelGeometry {
  kind: PrunableKind;
  /** Number of kernel positions (kh·kw; 1 for Dense). */
  spatial: number;
  /** Input units (Dense inputs / input channels). */
  inUnits: number;
  /** Output units (Dense outputs / output channels; in·mult for depthwise). */
  outUnits: number;
  /** Depth multiplier (depthwise only; 1 otherwise). */
  multiplier: number;
  size: number;
}

export interface PrunableLayer {
  name: string;
  /** Position in the prunable list. */
  index: number;
  layer: tf.layers.Layer;
  kernel: tf.LayerVariable;
  shape: number[];
  geom: KernelGeometry;
  /** Previous / next prunable layer in the plain chain (names), undefined at the ends. */
  prev?: string;
  next?: string;
  /** BatchNormalization right after this layer (through activation/dropout layers), if any. */
  bnAfter?: tf.layers.Layer;
}

export interface PrunableOptions {
  /** Layer names never pruned (in addition to detected projection shortcuts). */
  exclude?: string[];
  /** Detect and skip 1×1 projection-shortcut convs of residual blocks (default true). */
  skipShortcuts?: boolean;
}

const PASS_THROUGH = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'ThresholdedReLU', 'Softmax', 'Dropout',
  'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
]);

export function kernelOf(layer: tf.layers.Layer): tf.LayerVariable | undefined {
  const cls = layer.getClassName();
  const l = layer as unknown as { kernel?: tf.LayerVariable; depthwiseKernel?: tf.LayerVariable };
  if (cls === 'Dense' || cls === 'Conv2D' || cls === 'Conv1D') return l.kernel ?? undefined;
  if (cls === 'DepthwiseConv2D') return l.depthwiseKernel ?? undefined;
  return undefined;
}

export function geometryOf(kind: PrunableKind, shape: number[]): KernelGeometry {
  const size = shape.reduce((a, b) => a * b, 1);
  if (kind === 'dense') return { kind, spatial: 1, inUnits: shape[0], outUnits: shape[1], multiplier: 1, size };
  if (kind === 'conv2d') return { kind, spatial: shape[0] * shape[1], inUnits: shape[2], outUnits: shape[3], multiplier: 1, size };
  if (kind === 'conv1d') return { kind, spatial: shape[0], inUnits: shape[1], outUnits: shape[2], multiplier: 1, size };
  return { kind, spatial: shape[0] * shape[1], inUnits: shape[2], outUnits: shape[2] * shape[3], multiplier: shape[3], size };
}

export function kindOf(layer: tf.layers.Layer): PrunableKind | undefined {
  const cls = layer.getClassName();
  if (cls === 'Dense') return 'dense';
  if (cls === 'Conv2D') return 'conv2d';
  if (cls === 'Conv1D') return 'conv1d';
  if (cls === 'DepthwiseConv2D') return 'depthwise';
  return undefined;
}

function inboundOf(layer: tf.layers.Layer): tf.layers.Layer[] {
  const nodes = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
  return nodes && nodes.length > 0 ? nodes[0].inboundLayers : [];
}

/** Consumers of each layer inside the model (by name). */
function consumerMap(model: tf.LayersModel): Map<string, tf.layers.Layer[]> {
  const out = new Map<string, tf.layers.Layer[]>();
  for (const l of model.layers) {
    for (const p of inboundOf(l)) {
      const list = out.get(p.name) ?? [];
      list.push(l);
      out.set(p.name, list);
    }
  }
  return out;
}

const hasKernel = (l: tf.layers.Layer): boolean => kindOf(l) !== undefined;
const isMerge = (l: tf.layers.Layer): boolean => inboundOf(l).length > 1;

/**
 * 1×1 Conv2D layers that form the shortcut branch of an Add: walking back from the Add, the branch
 * reaches a fork through exactly one kernel layer (a 1×1 conv), while another branch reaches the same
 * fork through two or more kernel layers (the main path).
 */
export function findShortcutConvs(model: tf.LayersModel): string[] {
  const consumers = consumerMap(model);
  const found: string[] = [];
  for (const add of model.layers) {
    if (add.getClassName() !== 'Add') continue;
    const branches = inboundOf(add).map((start) => {
      const convs: tf.layers.Layer[] = [];
      let cur: tf.layers.Layer | undefined = start;
      while (cur) {
        if (hasKernel(cur)) convs.push(cur);
        const ins = inboundOf(cur);
        if (ins.length !== 1) return { convs, fork: cur.name };
        const p: tf.layers.Layer = ins[0];
        if ((consumers.get(p.name)?.length ?? 0) > 1) return { convs, fork: p.name };
        cur = p;
      }
      return { convs, fork: '' };
    });
    for (const b of branches) {
      if (b.convs.length !== 1 || b.convs[0].getClassName() !== 'Conv2D') continue;
      const ks = (kernelOf(b.convs[0]) as tf.LayerVariable).read().shape;
      if (ks[0] !== 1 || ks[1] !== 1) continue;
      if (branches.some((o) => o !== b && o.fork === b.fork && o.convs.length >= 2)) found.push(b.convs[0].name);
    }
  }
  return found;
}

function bnAfterOf(layer: tf.layers.Layer, consumers: Map<string, tf.layers.Layer[]>): tf.layers.Layer | undefined {
  let cur = layer;
  for (;;) {
    const next = consumers.get(cur.name) ?? [];
    if (next.length !== 1) return undefined;
    const n = next[0];
    if (n.getClassName() === 'BatchNormalization') return n;
    if (!PASS_THROUGH.has(n.getClassName())) return undefined;
    cur = n;
  }
}

/** The BatchNormalization right after `layer` in `model` (through activation/dropout layers), if any. */
export function findBatchNormAfter(model: tf.LayersModel, layer: tf.layers.Layer): tf.layers.Layer | undefined {
  return bnAfterOf(layer, consumerMap(model));
}

/**
 * The layer whose output is `layer`'s activation: follows single consumers through BatchNormalization
 * and activation/dropout layers (conv → BN → ReLU gives the ReLU).
 */
export function activationOutputLayer(model: tf.LayersModel, layer: tf.layers.Layer): tf.layers.Layer {
  const consumers = consumerMap(model);
  let cur = layer;
  for (;;) {
    const next = consumers.get(cur.name) ?? [];
    if (next.length !== 1) return cur;
    const cls = next[0].getClassName();
    if (cls !== 'BatchNormalization' && !PASS_THROUGH.has(cls)) return cur;
    cur = next[0];
  }
}

/** Prunable layers of `model` in module order, with chain neighbours (graph neighbours: src/graph, see scores/lap.ts). */
export function prunableLayers(model: tf.LayersModel, opts: PrunableOptions = {}): PrunableLayer[] {
  const names = new Set(model.layers.map((l) => l.name));
  for (const e of opts.exclude ?? []) {
    if (!names.has(e)) throw new Error(`prunableLayers: excluded layer '${e}' is not in model '${model.name}'`);
  }
  const excluded = new Set([...(opts.exclude ?? []), ...(opts.skipShortcuts === false ? [] : findShortcutConvs(model))]);
  const consumers = consumerMap(model);
  const out: PrunableLayer[] = [];
  for (const layer of model.layers) {
    const kind = kindOf(layer);
    if (!kind || excluded.has(layer.name)) continue;
    const kernel = kernelOf(layer);
    if (!kernel) throw new Error(`prunableLayers: layer '${layer.name}' is not built (no kernel); build or call the model first`);
    const shape = kernel.read().shape.slice();
    out.push({
      name: layer.name, index: out.length, layer, kernel, shape, geom: geometryOf(kind, shape),
      bnAfter: bnAfterOf(layer, consumers),
    });
  }
  for (let i = 0; i < out.length; i++) {
    if (i > 0) out[i].prev = out[i - 1].name;
    if (i + 1 < out.length) out[i].next = out[i + 1].name;
  }
  return out;
}

/** Like `prunableLayers`, but throws when there is none. */
export function requirePrunable(model: tf.LayersModel, opts: PrunableOptions = {}): PrunableLayer[] {
  const layers = prunableLayers(model, opts);
  if (layers.length === 0) {
    throw new Error(`model '${model.name}' has no prunable layer (Dense, Conv2D or DepthwiseConv2D kernel); nothing to prune`);
  }
  return layers;
}

/** Σ w² per output unit j. */
export function outputEnergy(g: KernelGeometry, w: Float32Array): Float64Array {
  const e = new Float64Array(g.outUnits);
  const O = g.outUnits;
  for (let i = 0; i < w.length; i++) {
    const j = i % O;
    e[j] += w[i] * w[i];
  }
  return e;
}

/** Σ w² per input unit k. */
export function inputEnergy(g: KernelGeometry, w: Float32Array): Float64Array {
  const e = new Float64Array(g.inUnits);
  if (g.kind === 'depthwise') {
    const O = g.outUnits;
    const M = g.multiplier;
    for (let i = 0; i < w.length; i++) e[Math.floor((i % O) / M)] += w[i] * w[i];
    return e;
  }
  const I = g.inUnits;
  const O = g.outUnits;
  let i = 0;
  for (let s = 0; s < g.spatial; s++) {
    for (let k = 0; k < I; k++) {
      let acc = 0;
      for (let j = 0; j < O; j++, i++) acc += w[i] * w[i];
      e[k] += acc;
    }
  }
  return e;
}

/** Input unit of flat kernel index i. */
export function inputUnitOf(g: KernelGeometry, i: number): number {
  if (g.kind === 'depthwise') return Math.floor((i % g.outUnits) / g.multiplier);
  return Math.floor(i / g.outUnits) % g.inUnits;
}

/** Output unit of flat kernel index i. */
export function outputUnitOf(g: KernelGeometry, i: number): number {
  return i % g.outUnits;
}

/**
 * out[i] = w[i]² · a[in(i)] · b[out(i)] (a, b optional ≡ 1). Written as nested loops for speed.
 */
export function weightedSquares(g: KernelGeometry, w: Float32Array, a?: ArrayLike<number>, b?: ArrayLike<number>): Float32Array {
  const out = new Float32Array(w.length);
  const O = g.outUnits;
  if (g.kind === 'depthwise') {
    for (let i = 0; i < w.length; i++) {
      const j = i % O;
      const k = Math.floor(j / g.multiplier);
      out[i] = w[i] * w[i] * (a ? a[k] : 1) * (b ? b[j] : 1);
    }
    return out;
  }
  const I = g.inUnits;
  let i = 0;
  for (let s = 0; s < g.spatial; s++) {
    for (let k = 0; k < I; k++) {
      const ak = a ? a[k] : 1;
      if (b) for (let j = 0; j < O; j++, i++) out[i] = w[i] * w[i] * ak * b[j];
      else for (let j = 0; j < O; j++, i++) out[i] = w[i] * w[i] * ak;
    }
  }
  return out;
}

/** Multiplies output unit j of a kernel by factor[j] in place. */
export function scaleOutputs(g: KernelGeometry, w: Float32Array, factor: ArrayLike<number>): void {
  const O = g.outUnits;
  for (let i = 0; i < w.length; i++) w[i] *= factor[i % O];
}
