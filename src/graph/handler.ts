/**
 * Layer handlers: one object per Keras layer class, registered by class name (the way
 * Torch-Pruning registers per-layer pruners). A handler says
 * - how channels pass through the layer (`role`, plus checks and channel coupling),
 * - how to rebuild it when channels are removed (`widthKey`/`resize` for the config, `slice` for
 *   each weight),
 * - what it costs (`cost`: params, trainable params, MACs at any channel widths),
 * - and, for kernel layers, how unstructured scores see its kernel (`kernel`: energies for LAP).
 * New facets (e.g. an ONNX export) are optional fields added here; a handler that lacks one
 * makes only the feature that needs it refuse the layer, by name.
 *
 * The channel graph (channel-graph.ts), surgery, the analytic cost and the per-layer count all
 * read these handlers; nothing else switches on layer class names.
 */
import type * as tf from '@tensorflow/tfjs';

export type Shape = (number | null)[];

/**
 * How channels pass through a layer:
 * - input: a model input (a channel source that is never pruned);
 * - producer: creates new output channels (Conv2D, Dense, …) and reads its input channels;
 * - channelwise: one parameter set per channel, channels unchanged (BatchNormalization, DepthwiseConv2D, PReLU);
 * - passthrough: channels unchanged, no per-channel parameters (activations, pooling, padding, Dropout);
 * - merge: element-wise merge of same-channel tensors (Add, Multiply, Average, Maximum, Minimum);
 * - concat: channel concatenation (Concatenate on the last axis; other axes act as a merge);
 * - flatten: a flat-order reshape (Flatten, Reshape): channel c of position s becomes feature s·C + c.
 */
export type LayerRole = 'input' | 'producer' | 'channelwise' | 'passthrough' | 'merge' | 'concat' | 'flatten';

/** Shapes of one layer call at some channel widths (batch dimension null, last dims already at the widths). */
export interface CostIO {
  layer: tf.layers.Layer;
  config: Record<string, unknown>;
  /** Shape of the (first) input. */
  inShape: Shape;
  outShape: Shape;
}

export interface LayerCost {
  /** Multiply-adds per sample. */
  macs: number;
  /** True when `macs` counts toward conv+dense MACs (the number pruning papers call FLOPs). */
  convDense: boolean;
  /** All weights (BN moving statistics included). */
  params: number;
  /** Weights a trainable layer trains (BN γ/β, not its moving statistics). */
  trainableParams: number;
}

/** What `slice` gets: kept positions on the input's last axis and kept output channels (undefined = unchanged). */
export interface SliceIO {
  layer: tf.layers.Layer;
  inKeep?: Int32Array;
  outKeep?: Int32Array;
  /** false: BatchNormalization restarts at γ = 1, β = 0, μ = 0, σ² = 1. */
  copyBN: boolean;
}

/** Kernel view for unstructured scores (LAP): per-unit energies Σ w² of the layer's kernel. */
export interface KernelFacet {
  /** Σ w² over the weights producing each output unit (last axis of the output). */
  outputEnergy(layer: tf.layers.Layer): Float64Array;
  /** Σ w² over the weights reading each input unit (last axis of the input). */
  inputEnergy(layer: tf.layers.Layer): Float64Array;
}

export interface LayerHandler {
  role: LayerRole;
  /** The role when it depends on the config (overrides `role`). */
  roleOf?(layer: tf.layers.Layer): LayerRole;
  /** Validates the layer's config before any work; throws naming the layer. */
  check?(layer: tf.layers.Layer): void;
  /** Reads its input's channel axis position-wise (convs, pooling): refuses a flattened input. */
  needsChannelAxis?: boolean;
  /** Mixes its channels (LayerNormalization over channels, softmax, depth multiplier > 1): returns why its input and output channels are then fixed. */
  couplesChannels?(layer: tf.layers.Layer): string | undefined;
  /** merge role: true when an input broadcast against the others gates them (Multiply, as in SE blocks). */
  gates?: boolean;
  /** producer role: the config field holding the output channel count ('filters', 'units'). */
  widthKey?: string;
  /** Rewrites the layer's config when its output's last axis becomes `outLast` wide (Reshape). */
  resize?(config: Record<string, unknown>, outLast: number, layerName: string): void;
  /** Slices one weight (named by its role: 'kernel', 'bias', 'gamma', …); absent = weights never change shape. */
  slice?(role: string, t: tf.Tensor, io: SliceIO): tf.Tensor;
  /** Params and MACs at the given shapes. */
  cost(io: CostIO): LayerCost;
  /** Kernel view for LAP; a layer with one is a neighbour (and may be scored) in unstructured pruning. */
  kernel?: KernelFacet;
  /** Σ |w| per output channel (the L1 filter criterion). */
  outputL1?(layer: tf.layers.Layer): Float64Array;
}

const REGISTRY = new Map<string, LayerHandler>();

/**
 * Registers (or replaces) the handler for a layer class name as returned by `layer.getClassName()`
 * (custom layers: the name they were registered with in `tf.serialization.registerClass`).
 */
export function registerLayerHandler(className: string, handler: LayerHandler): void {
  if (typeof className !== 'string' || className.length === 0) throw new Error('registerLayerHandler: className must be a non-empty string');
  if (!handler || typeof handler.cost !== 'function' || typeof handler.role !== 'string') {
    throw new Error(`registerLayerHandler('${className}'): a handler needs a role and a cost function`);
  }
  REGISTRY.set(className, handler);
}

export function getLayerHandler(className: string): LayerHandler | undefined {
  return REGISTRY.get(className);
}

/** Class names with a handler, sorted. */
export function registeredLayerClasses(): string[] {
  return [...REGISTRY.keys()].sort();
}

/** A layer's role under its handler. */
export function roleOfLayer(h: LayerHandler, layer: tf.layers.Layer): LayerRole {
  return h.roleOf ? h.roleOf(layer) : h.role;
}

/** The handler of a layer, or a clear error naming the layer, its class and how to register one. */
export function requireHandler(layer: tf.layers.Layer, what = 'prunekit'): LayerHandler {
  const cls = layer.getClassName();
  const h = REGISTRY.get(cls);
  if (!h) {
    throw new Error(
      `${what}: layer '${layer.name}' of class ${cls} has no layer handler; register one with ` +
        `registerLayerHandler('${cls}', { role, cost, slice, … }) from prunekit (see README "Layer handlers"), ` +
        `or remove the layer`,
    );
  }
  return h;
}
