/**
 * Masks: per prunable layer a 0/1 Uint8Array with the kernel's size and layout.
 *
 * Pruned weights are written as +0 (w·0 would give −0 for negative w).
 * A mask becomes real in two ways: `applyMasks` writes kernel ⊙ mask into the model once, and
 * `maskEnforcer` re-applies cached mask tensors after every optimiser step (so Adam's moments
 * cannot revive pruned weights) — pass it as the training loop's `afterStep`.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelOf, type PrunableLayer } from './layers.js';

export class MaskSet {
  private readonly masks = new Map<string, Uint8Array>();

  /** All-ones masks for the given layers. */
  static ones(layers: PrunableLayer[]): MaskSet {
    const m = new MaskSet();
    for (const l of layers) m.set(l.name, new Uint8Array(l.geom.size).fill(1));
    return m;
  }

  /** Masks from the current kernels' non-zero pattern. */
  static fromModel(layers: PrunableLayer[]): MaskSet {
    const m = new MaskSet();
    for (const l of layers) {
      const w = l.kernel.read().dataSync() as Float32Array;
      const mask = new Uint8Array(w.length);
      for (let i = 0; i < w.length; i++) mask[i] = w[i] !== 0 ? 1 : 0;
      m.set(l.name, mask);
    }
    return m;
  }

  get(name: string): Uint8Array {
    const m = this.masks.get(name);
    if (!m) throw new Error(`MaskSet: no mask for layer '${name}' (have: ${[...this.masks.keys()].join(', ') || 'none'})`);
    return m;
  }

  has(name: string): boolean {
    return this.masks.has(name);
  }

  set(name: string, mask: Uint8Array): void {
    this.masks.set(name, mask);
  }

  names(): string[] {
    return [...this.masks.keys()];
  }

  clone(): MaskSet {
    const m = new MaskSet();
    for (const [k, v] of this.masks) m.set(k, v.slice());
    return m;
  }

  alive(name: string): number {
    const m = this.get(name);
    let n = 0;
    for (let i = 0; i < m.length; i++) n += m[i];
    return n;
  }

  size(name: string): number {
    return this.get(name).length;
  }

  /** Fraction of zeros in one layer's mask. */
  sparsity(name: string): number {
    const n = this.size(name);
    return n === 0 ? 0 : 1 - this.alive(name) / n;
  }

  totalAlive(): number {
    let n = 0;
    for (const k of this.masks.keys()) n += this.alive(k);
    return n;
  }

  totalSize(): number {
    let n = 0;
    for (const v of this.masks.values()) n += v.length;
    return n;
  }

  /** Fraction of zeros over all masked weights. */
  totalSparsity(): number {
    const n = this.totalSize();
    return n === 0 ? 0 : 1 - this.totalAlive() / n;
  }

  /** True when every layer's mask is identical. */
  equals(other: MaskSet): boolean {
    const a = this.names();
    if (a.length !== other.names().length) return false;
    for (const k of a) {
      if (!other.has(k)) return false;
      const x = this.get(k);
      const y = other.get(k);
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    }
    return true;
  }
}

function maskedKernel(model: tf.LayersModel, name: string, mask: Uint8Array): tf.LayerVariable {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(name);
  } catch {
    throw new Error(`applyMasks: mask for layer '${name}' but model '${model.name}' has no such layer`);
  }
  const kernel = kernelOf(layer);
  if (!kernel) throw new Error(`applyMasks: layer '${name}' has no prunable kernel`);
  const size = kernel.read().shape.reduce((a, b) => a * b, 1);
  if (size !== mask.length) {
    throw new Error(`applyMasks: mask for '${name}' has ${mask.length} entries, kernel ${JSON.stringify(kernel.read().shape)} has ${size}`);
  }
  return kernel;
}

/** Writes kernel ⊙ mask into every masked layer of `model`. */
export function applyMasks(model: tf.LayersModel, masks: MaskSet): void {
  for (const name of masks.names()) {
    const mask = masks.get(name);
    const kernel = maskedKernel(model, name, mask);
    tf.tidy(() => {
      const m = tf.tensor(Float32Array.from(mask), kernel.read().shape, 'float32');
      kernel.write(tf.add(tf.mul(kernel.read(), m), 0)); // + 0 turns −0 into +0
    });
  }
}

/** `afterStep` callback that keeps pruned weights at exactly zero; call `dispose()` when training ends. */
export interface MaskEnforcer {
  (): void;
  dispose(): void;
}

export function maskEnforcer(model: tf.LayersModel, masks: MaskSet): MaskEnforcer {
  const entries = masks.names().map((name) => {
    const mask = masks.get(name);
    const kernel = maskedKernel(model, name, mask);
    return { kernel, tensor: tf.keep(tf.tensor(Float32Array.from(mask), kernel.read().shape, 'float32')) };
  });
  let disposed = false;
  const enforce = (() => {
    if (disposed) throw new Error('maskEnforcer: used after dispose()');
    tf.tidy(() => {
      for (const e of entries) e.kernel.write(tf.add(tf.mul(e.kernel.read(), e.tensor), 0)); // −0 → +0
    });
  }) as MaskEnforcer;
  enforce.dispose = () => {
    if (disposed) return;
    disposed = true;
    for (const e of entries) e.tensor.dispose();
  };
  return enforce;
}
