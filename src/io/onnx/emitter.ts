/**
 * The per-layer-class ONNX emitter interface: a facet keyed by Keras class name. An emitter turns one
 * call of a layer (its input values) into ONNX nodes and returns its output values. Emitters read the
 * layer's config and weights, never the rest of the model, so a per-class handler registry can attach
 * them as its `onnx` facet (`{ [className]: { onnx: OnnxLayerEmitter, … } }`).
 */
import type * as tf from '@tensorflow/tfjs';
import type { OnnxGraphBuilder, OnnxValue } from './graph.js';

export interface OnnxEmitContext {
  graph: OnnxGraphBuilder;
  /** The layer being emitted (for names in errors and node names). */
  layer: tf.layers.Layer;
  /** The layer's config (`layer.getConfig()`). */
  config: Record<string, unknown>;
  /** The layer's weight values by role ('kernel', 'bias', 'gamma', …) as row-major float32 with their shapes. */
  weight(role: string): { data: Float32Array; shape: number[] } | undefined;
  /**
   * The graph value of this layer's weight `role` after a fixed transform (`data`, `dims`): one
   * initializer per layer and role however often the layer is called; stored quantized when the export
   * quantizes (pass `quantize: false` for filled defaults that are not weights of the layer).
   */
  initializer(role: string, data: Float32Array, dims: number[], opts?: { quantize?: boolean }): string;
  /** Like `weight` but throws naming the layer when absent. */
  requireWeight(role: string): { data: Float32Array; shape: number[] };
  /** Throws `export: layer 'name' (Class): <why>`. */
  fail(why: string): never;
}

/** Emits one layer call; returns its output values (one per layer output). */
export type OnnxLayerEmitter = (inputs: OnnxValue[], ctx: OnnxEmitContext) => OnnxValue[];

/** Emitters keyed by Keras class name (`layer.getClassName()`). */
export type OnnxEmitterTable = Readonly<Record<string, OnnxLayerEmitter>>;

/** The one input of a single-input layer (throws otherwise). */
export function single(inputs: OnnxValue[], ctx: OnnxEmitContext): OnnxValue {
  if (inputs.length !== 1) ctx.fail(`expected one input, got ${inputs.length}`);
  return inputs[0];
}

/** The rank-4 data format check shared by conv/pool/padding layers: only channelsLast (TF.js's default). */
export function requireChannelsLast(ctx: OnnxEmitContext): void {
  const f = ctx.config.dataFormat ?? ctx.config.data_format;
  if (f !== undefined && f !== 'channelsLast' && f !== 'channels_last') ctx.fail(`dataFormat '${String(f)}' is not supported (channelsLast only)`);
}

/** Keras axis (negative allowed) of a value → ONNX axis under the exporter's layout (rank 4 is NCHW). */
export function onnxAxis(kerasAxis: number, rank: number): number {
  const a = kerasAxis < 0 ? kerasAxis + rank : kerasAxis;
  if (rank !== 4) return a;
  return [0, 2, 3, 1][a];
}

/** A pair [h, w] from a config entry that may be a number or a pair. */
export function pair(v: unknown, what: string, ctx: OnnxEmitContext): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0], v[1]];
  return ctx.fail(`${what} must be a number or a pair, got ${JSON.stringify(v)}`);
}
