/** Shared helpers for layer handlers: shapes, config checks, weight access and slicing. */
import * as tf from '@tensorflow/tfjs';
import type { CostIO, LayerCost, Shape } from '../handler.js';

export function prod(xs: readonly (number | null | undefined)[]): number {
  let p = 1;
  for (const x of xs) {
    if (x === null || x === undefined) throw new Error('unknown (null) dimension');
    p *= x;
  }
  return p;
}

export function cfgOf(layer: tf.layers.Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

export function lastOf(shape: Shape): number {
  const c = shape[shape.length - 1];
  if (c === null || c === undefined) throw new Error('unknown channel dimension');
  return c;
}

/** Spatial dims (no batch, no channel) of a channels-last shape. */
export function spatial(shape: Shape): Shape {
  return shape.slice(1, -1);
}

export function checkChannelsLast(layer: tf.layers.Layer): void {
  const c = cfgOf(layer);
  const df = c.dataFormat ?? c.data_format;
  if (df !== undefined && df !== 'channelsLast' && df !== 'channels_last') {
    throw new Error(`layer '${layer.name}' (${layer.getClassName()}) uses ${String(df)}; only channels-last models are supported`);
  }
}

export function checkLastAxis(layer: tf.layers.Layer, axis: unknown, rank: number): void {
  const a = Array.isArray(axis) ? axis : [axis];
  if (a.length !== 1 || (a[0] !== -1 && a[0] !== rank - 1)) {
    throw new Error(`layer '${layer.name}' (${layer.getClassName()}) works on axis ${JSON.stringify(axis)}; only the last (channel) axis is supported`);
  }
}

/** The weight whose name ends in `/role` (kernel, bias, gamma, …). */
export function weightOf(layer: tf.layers.Layer, role: string): tf.LayerVariable | undefined {
  return layer.weights.find((w) => w.originalName.slice(w.originalName.lastIndexOf('/') + 1) === role);
}

export function weightValues(layer: tf.layers.Layer, role: string): { v: Float32Array; shape: number[] } {
  const w = weightOf(layer, role);
  if (!w) throw new Error(`layer '${layer.name}' has no '${role}' weight`);
  const t = w.read();
  return { v: t.dataSync() as Float32Array, shape: t.shape.slice() };
}

/** tf.gather on `axis` (negative counts from the end) when `idx` is given, else a clone. */
export function gatherAxis(t: tf.Tensor, idx: Int32Array | undefined, axis: number): tf.Tensor {
  if (idx === undefined) return t.clone();
  const ax = axis < 0 ? t.rank + axis : axis;
  return tf.tidy(() => tf.gather(t, tf.tensor1d(idx, 'int32'), ax));
}

/** Σ f(w) per index along `axis` of a row-major tensor of `shape`. */
export function sumAlongAxis(v: Float32Array, shape: number[], axis: number, f: (x: number) => number): Float64Array {
  const ax = axis < 0 ? shape.length + axis : axis;
  const n = shape[ax];
  const inner = prod(shape.slice(ax + 1));
  const out = new Float64Array(n);
  for (let i = 0; i < v.length; i++) out[Math.floor(i / inner) % n] += f(v[i]);
  return out;
}

export const sq = (x: number): number => x * x;
export const abs = (x: number): number => Math.abs(x);

export function useBias(io: CostIO): boolean {
  return io.config.useBias !== false;
}

export function isTrainableWeightFree(): LayerCost {
  return { macs: 0, convDense: false, params: 0, trainableParams: 0 };
}

/** Kernel size as an array (config `kernelSize` may be a number). */
export function kernelSize(config: Record<string, unknown>, rank: number): number[] {
  const k = config.kernelSize;
  return Array.isArray(k) ? (k as number[]) : new Array<number>(rank).fill(k as number);
}

/** Channel indices c → c·m … c·m + m − 1 (depth multipliers). */
export function expand(keep: Int32Array | undefined, m: number): Int32Array | undefined {
  if (!keep || m === 1) return keep;
  const out = new Int32Array(keep.length * m);
  keep.forEach((c, i) => {
    for (let k = 0; k < m; k++) out[i * m + k] = c * m + k;
  });
  return out;
}
