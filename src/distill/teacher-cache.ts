/**
 * The teacher's logits, computed in inference mode, off the gradient tape, and cached per example.
 *
 * Each input row is keyed by a 52-bit hash of its float32 bits, so an example seen again (next epoch,
 * the analysis set at every epoch, the same low-passed image at the same radius) costs a hash and a
 * lookup instead of a teacher forward pass. In inference mode a row's logits do not depend on the
 * rest of its batch (BatchNorm uses moving statistics), which makes per-row caching exact.
 * The cache holds plain arrays, no tensors: nothing to dispose.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardLogits } from '../train/evaluate.js';
import { stopGradient } from './kd-loss.js';

export interface TeacherCacheOptions {
  /** Maximum cached rows; the cache is cleared when it would grow past this (default 250,000). */
  maxEntries?: number;
  /** Disable caching (every call runs the teacher). Default false. */
  disabled?: boolean;
}

/** 52-bit key of `len` float32 values starting at `off` (two FNV-1a-style 32-bit hashes). */
export function rowKey(bits: Uint32Array, off: number, len: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = off; i < off + len; i++) {
    const v = bits[i];
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h2 = Math.imul(h2 ^ ((v >>> 16) | (v << 16)), 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff);
}

export class TeacherCache {
  private readonly rows = new Map<number, Float32Array>();
  private readonly maxEntries: number;
  private readonly disabled: boolean;
  hits = 0;
  misses = 0;

  constructor(
    readonly teacher: tf.LayersModel,
    opts: TeacherCacheOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? 250_000;
    this.disabled = opts.disabled ?? false;
  }

  get size(): number {
    return this.rows.size;
  }

  clear(): void {
    this.rows.clear();
  }

  /** Teacher logits [n, K] for the batch x (a new tensor, not connected to any gradient tape). */
  logits(x: tf.Tensor): tf.Tensor2D {
    const n = x.shape[0];
    if (this.disabled) {
      this.misses += n;
      return tf.tidy(() => stopGradient(forwardLogits(this.teacher, x, false)));
    }
    const vals = x.dataSync() as Float32Array;
    const per = vals.length / n;
    const bits = new Uint32Array(vals.buffer, vals.byteOffset, vals.length);
    const keys = new Array<number>(n);
    const missing: number[] = [];
    const seen = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      keys[i] = rowKey(bits, i * per, per);
      if (!this.rows.has(keys[i]) && !seen.has(keys[i])) {
        seen.set(keys[i], missing.length);
        missing.push(i);
      }
    }
    this.misses += missing.length;
    this.hits += n - missing.length;
    let fresh: Float32Array | undefined;
    let classes = 0;
    if (missing.length > 0) {
      const xs = new Float32Array(missing.length * per);
      missing.forEach((i, k) => xs.set(vals.subarray(i * per, (i + 1) * per), k * per));
      const out = tf.tidy(() => forwardLogits(this.teacher, tf.tensor(xs, [missing.length, ...x.shape.slice(1)]), false));
      fresh = out.dataSync() as Float32Array;
      classes = out.shape[1];
      out.dispose();
    } else {
      classes = (this.rows.get(keys[0]) as Float32Array).length;
    }
    const result = new Float32Array(n * classes);
    for (let i = 0; i < n; i++) {
      const k = seen.get(keys[i]);
      const row = k !== undefined && fresh ? fresh.subarray(k * classes, (k + 1) * classes) : (this.rows.get(keys[i]) as Float32Array);
      result.set(row, i * classes);
    }
    if (fresh) {
      if (this.rows.size + missing.length > this.maxEntries) this.rows.clear();
      for (const [key, k] of seen) this.rows.set(key, fresh.slice(k * classes, (k + 1) * classes));
    }
    return tf.tensor2d(result, [n, classes]);
  }
}
