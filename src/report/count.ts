/**
 * Parameter and multiply-add (MAC) counting for `tf.LayersModel`s, per layer and in total.
 *
 * Conventions (per sample, i.e. batch 1; one MAC = one multiply-add):
 * - Dense: in·out per position (rank-2 input: in·out; rank-3 [N, T, in]: T·in·out). Bias adds not counted.
 * - Conv1D/2D/3D: output positions × kernel size, i.e. Conv2D Hout·Wout·kh·kw·cin·cout.
 * - Conv2DTranspose: input positions × kernel size (Hin·Win·kh·kw·cin·cout).
 * - DepthwiseConv2D: Hout·Wout·kh·kw·cin·multiplier. SeparableConv: depthwise + pointwise
 *   (Hout·Wout·(kh·kw·cin·mult + cin·mult·cout)).
 * - Only the layers above enter `convDenseMacs` (the number the pruning papers call FLOPs/MACs).
 * - BatchNormalization: 1 MAC per output element (inference form y = a·x + b with a, b folded from
 *   γ, β, μ, σ²); in `macs`, not in `convDenseMacs`. (thop counts 2 per element; we count 1.)
 * - Pooling: kernel operations per output element (MaxPool/AvgPool: Hout·Wout·C·ph·pw; global pooling:
 *   H·W·C, every input element once); in `macs`, not in `convDenseMacs`.
 * - Element-wise and shape layers (activations, Add, Concatenate, Flatten, Dropout, padding, …): 0.
 * - Params are counted from the layer's actual weights: BatchNormalization has 4 per channel (γ, β and the
 *   non-trainable moving mean/variance), so `params` ≥ the PyTorch count; `trainableParams` matches
 *   PyTorch's `requires_grad` count for BN nets.
 * - Per-class params and MACs come from the layer handlers (src/graph/handlers); trainable params are 0
 *   for frozen layers (trainable: false, also inside a frozen nested model).
 * - Layer classes without a handler: params from weights, 0 MACs, and a `note`.
 * - A layer is counted once even when it was applied several times (shared layers); nested models are
 *   expanded with 'outer/inner' row names.
 */
import * as tf from '@tensorflow/tfjs';
import { getLayerHandler } from '../graph/handler.js';
import { layerCost } from '../graph/cost.js';
import '../graph/handlers/index.js';

type Shape = (number | null)[];

export interface LayerCount {
  name: string;
  className: string;
  /** The layer's output shape with the batch dimension (null); an array of shapes for multi-output layers. */
  outputShape: Shape | Shape[];
  params: number;
  trainableParams: number;
  macs: number;
  /** True when `macs` counts toward `convDenseMacs`. */
  convDense: boolean;
  note?: string;
}

export interface ModelCount {
  model: string;
  layers: LayerCount[];
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  macs: number;
  convDenseMacs: number;
}

function prod(xs: readonly (number | null)[]): number {
  let p = 1;
  for (const x of xs) {
    if (x === null || x === undefined) throw new Error('unknown (null) dimension');
    p *= x;
  }
  return p;
}

function isShapeList(s: Shape | Shape[]): s is Shape[] {
  return s.length > 0 && Array.isArray(s[0]);
}

function sumShapes(vars: { shape: number[] }[]): number {
  return vars.reduce((s, v) => s + prod(v.shape), 0);
}

function countLayer(layer: tf.layers.Layer, prefix: string, trainable: boolean): LayerCount {
  const className = layer.getClassName();
  const name = prefix + layer.name;
  const weightParams = sumShapes(layer.weights as { shape: number[] }[]);
  const weightTrainable = trainable && layer.trainable ? sumShapes(layer.trainableWeights as { shape: number[] }[]) : 0;
  let outputShape: Shape | Shape[] = [];
  try {
    outputShape = layer.outputShape as Shape | Shape[];
  } catch (e) {
    return { name, className, outputShape, params: weightParams, trainableParams: weightTrainable, macs: 0, convDense: false, note: `no single output shape (${(e as Error).message}); MACs not counted` };
  }
  const unknown = (note: string): LayerCount => ({ name, className, outputShape, params: weightParams, trainableParams: weightTrainable, macs: 0, convDense: false, note });
  if (!getLayerHandler(className)) return unknown(`no layer handler for '${className}': MACs not counted (registerLayerHandler adds one)`);
  try {
    const c = layerCost(layer, trainable && layer.trainable);
    const row: LayerCount = { name, className, outputShape, params: c.params, trainableParams: c.trainableParams, macs: c.macs, convDense: c.convDense };
    if (isShapeList(outputShape) && outputShape.length > 1 && c.macs > 0) row.note = 'multi-output layer: MACs from the first output';
    return row;
  } catch (e) {
    return unknown(`MACs not counted: ${(e as Error).message}`);
  }
}

function collect(model: tf.LayersModel, prefix: string, trainable: boolean, rows: LayerCount[]): void {
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) {
      collect(layer, `${prefix}${layer.name}/`, trainable && layer.trainable, rows);
    } else if (layer.getClassName() !== 'InputLayer') {
      rows.push(countLayer(layer, prefix, trainable));
    }
  }
}

/** Per-layer and total parameters and multiply-adds (per sample) of a model. */
export function countModel(model: tf.LayersModel): ModelCount {
  const layers: LayerCount[] = [];
  collect(model, '', model.trainable, layers);
  const params = layers.reduce((s, r) => s + r.params, 0);
  const trainableParams = layers.reduce((s, r) => s + r.trainableParams, 0);
  return {
    model: model.name,
    layers,
    params,
    trainableParams,
    nonTrainableParams: params - trainableParams,
    macs: layers.reduce((s, r) => s + r.macs, 0),
    convDenseMacs: layers.reduce((s, r) => s + (r.convDense ? r.macs : 0), 0),
  };
}

function fmtShape(s: Shape | Shape[]): string {
  const one = (x: Shape) => `[${x.map((d) => (d === null ? 'N' : String(d))).join(',')}]`;
  return isShapeList(s) ? s.map(one).join(' ') : one(s);
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** Human-readable magnitude: 14.99M, 313.46M, 1.20G. */
export function formatMagnitude(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(2)}K`;
  return String(n);
}

/** An aligned text table (one row per layer, then totals) for the terminal. */
export function formatCountTable(count: ModelCount): string {
  const header = ['layer', 'type', 'output shape', 'params', 'MACs'];
  const rows = count.layers.map((r) => [
    r.name,
    r.className,
    fmtShape(r.outputShape),
    fmtInt(r.params),
    fmtInt(r.macs) + (r.note ? ' *' : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const rightAligned = [false, false, false, true, true];
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const out = [line(header), rule, ...rows.map(line), rule];
  out.push(
    `params: ${fmtInt(count.params)} (${formatMagnitude(count.params)}; trainable ${fmtInt(count.trainableParams)}, non-trainable ${fmtInt(count.nonTrainableParams)})`,
    `MACs per sample: ${fmtInt(count.macs)} (${formatMagnitude(count.macs)}); conv+dense: ${fmtInt(count.convDenseMacs)} (${formatMagnitude(count.convDenseMacs)})`,
  );
  const notes = count.layers.filter((r) => r.note);
  for (const r of notes) out.push(`* ${r.name}: ${r.note}`);
  return out.join('\n');
}
