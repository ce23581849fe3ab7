/**
 * Validation of zoo options and small shape helpers shared by the model families.
 */
import type { ResolvedOptions, ZooOptions } from './types.js';

/** Input shape of MNIST-like sets. */
export const MNIST_SHAPE: [number, number, number] = [28, 28, 1];
/** Input shape of CIFAR-like sets. */
export const CIFAR_SHAPE: [number, number, number] = [32, 32, 3];

function positiveInt(v: number, what: string, model: string): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`createModel('${model}'): ${what} must be a positive integer, got ${v}`);
  }
  return v;
}

/** Fills defaults and checks every option, naming the model in errors. */
export function resolveOptions(
  model: string,
  opts: ZooOptions,
  defaultShape: [number, number, number],
): ResolvedOptions {
  const inputShape = opts.inputShape ?? defaultShape;
  if (!Array.isArray(inputShape) || inputShape.length !== 3) {
    throw new Error(
      `createModel('${model}'): inputShape must be [height, width, channels], got ${JSON.stringify(inputShape)}`,
    );
  }
  inputShape.forEach((d, i) => positiveInt(d, `inputShape[${i}]`, model));
  const numClasses = positiveInt(opts.numClasses ?? 10, 'numClasses', model);
  const seed = opts.seed ?? 0;
  if (!Number.isFinite(seed)) throw new Error(`createModel('${model}'): seed must be a finite number, got ${seed}`);
  const widthMultiplier = opts.widthMultiplier ?? 1;
  if (!(widthMultiplier > 0) || !Number.isFinite(widthMultiplier)) {
    throw new Error(`createModel('${model}'): widthMultiplier must be a positive number, got ${widthMultiplier}`);
  }
  return { inputShape: [inputShape[0], inputShape[1], inputShape[2]], numClasses, seed, widthMultiplier };
}

/** A hidden width scaled by the width multiplier: round(c·m), at least 1. */
export function scaleWidth(c: number, m: number): number {
  return Math.max(1, Math.round(c * m));
}

/**
 * Tracks the spatial size through a network so that inputs too small for its pooling stages fail
 * with a clear message (instead of a TF.js shape error deep inside a layer).
 */
export class SpatialTracker {
  constructor(
    private readonly model: string,
    public h: number,
    public w: number,
  ) {}

  /** 'valid' window of size k with stride s (pooling, valid conv). */
  valid(k: number, s: number, layer: string): void {
    const h = Math.floor((this.h - k) / s) + 1;
    const w = Math.floor((this.w - k) / s) + 1;
    if (h < 1 || w < 1) {
      throw new Error(
        `createModel('${this.model}'): input too small: ${this.h}×${this.w} cannot pass layer '${layer}' ` +
          `(window ${k}, stride ${s}); use a larger inputShape`,
      );
    }
    this.h = h;
    this.w = w;
  }

  /** 'same' padding with stride s. */
  same(s: number): void {
    this.h = Math.ceil(this.h / s);
    this.w = Math.ceil(this.w / s);
  }
}
