/**
 * Weight quantization of TF.js model folders, in the manifest format TF.js's own loader dequantizes
 * (tfjs-core io `decodeWeights`): an entry keeps `dtype: 'float32'` and gains
 * `quantization: { dtype: 'uint8' | 'uint16', scale, min }` (value = q·scale + min, computed in double
 * precision and stored as float32) or `quantization: { dtype: 'float16' }` (IEEE half precision).
 *
 * Affine (uint8/uint16), per tensor: the range [lo, hi] is widened to include 0, scale = (hi − lo)/qmax,
 * and the zero point q₀ = round(−lo/scale) is an integer with min = −q₀·scale (the "nudged" range of
 * affine quantization), so a 0 weight is stored as q₀ and decodes to q₀·scale + (−q₀·scale) = 0 exactly:
 * pruned weights stay pruned. Every other weight is within scale/2 of its value (plus float rounding),
 * scale = (hi − lo)/qmax. float16 keeps 0 as 0 and has relative error ≤ 2⁻¹¹ in its normal range.
 */
import type * as tf from '@tensorflow/tfjs';

export const WEIGHT_QUANTIZATIONS = ['uint8', 'uint16', 'float16'] as const;
export type WeightQuantization = (typeof WEIGHT_QUANTIZATIONS)[number];

const QMAX = { uint8: 255, uint16: 65535 } as const;

export interface AffineParams {
  scale: number;
  min: number;
  /** The integer that decodes to exactly 0. */
  zeroPoint: number;
}

/** Per-tensor affine parameters for `values` with 0 exactly representable. */
export function affineParams(values: Float32Array, dtype: 'uint8' | 'uint16'): AffineParams {
  const qmax = QMAX[dtype];
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new Error(`quantize: weight value ${v} is not finite`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) return { scale: 1, min: 0, zeroPoint: 0 };
  const scale = (hi - lo) / qmax;
  const zeroPoint = Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
  return { scale, min: -(zeroPoint * scale), zeroPoint };
}

/** Quantizes `values` with `p`: q = clamp(round((v − min)/scale), 0, qmax), 0 ↦ zeroPoint exactly. */
export function quantizeAffine(values: Float32Array, p: AffineParams, dtype: 'uint8' | 'uint16'): Uint8Array | Uint16Array {
  const qmax = QMAX[dtype];
  const out = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === 0 ? p.zeroPoint : Math.min(qmax, Math.max(0, Math.round((v - p.min) / p.scale)));
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 → binary16 bits, round to nearest even (overflow → ±Inf, NaN kept). */
export function float32ToFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

function entryBytes(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  return n * BYTES[spec.quantization ? spec.quantization.dtype : spec.dtype];
}

/**
 * Quantizes every unquantized float32 entry of a weights manifest (other entries are copied as they
 * are). `data` is the concatenated weight bytes in manifest order; returns the new specs and bytes.
 */
export function quantizeWeightData(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: Uint8Array,
  dtype: WeightQuantization,
): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  if (!(WEIGHT_QUANTIZATIONS as readonly string[]).includes(dtype)) {
    throw new Error(`quantize: dtype must be one of ${WEIGHT_QUANTIZATIONS.join(', ')}, got '${String(dtype)}'`);
  }
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let off = 0;
  for (const spec of specs) {
    const size = entryBytes(spec);
    const bytes = data.subarray(off, off + size);
    if (bytes.byteLength !== size) throw new Error(`quantize: weight '${spec.name}' needs ${size} bytes, the data ends after ${bytes.byteLength}`);
    off += size;
    if (spec.dtype !== 'float32' || spec.quantization) {
      parts.push(bytes);
      out.push(spec);
      continue;
    }
    const values = new Float32Array(bytes.slice().buffer);
    if (dtype === 'float16') {
      const h = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) h[i] = float32ToFloat16Bits(values[i]);
      parts.push(new Uint8Array(h.buffer));
      out.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      const p = affineParams(values, dtype);
      const q = quantizeAffine(values, p, dtype);
      parts.push(new Uint8Array(q.buffer));
      out.push({ ...spec, quantization: { dtype, scale: p.scale, min: p.min } });
    }
  }
  if (off !== data.byteLength) throw new Error(`quantize: ${data.byteLength - off} bytes of weight data are not described by the manifest`);
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.byteLength;
  }
  return { specs: out, data: joined };
}

/**
 * Checks a manifest entry's `quantization` as TF.js's decoder will read it; throws naming `where` and
 * the weight. uint8/uint16 need finite `scale` and `min`; float16 only applies to float32 weights.
 */
export function checkQuantization(spec: tf.io.WeightsManifestEntry, where: string): void {
  const q = spec.quantization;
  if (q === undefined) return;
  if (q === null || typeof q !== 'object') throw new Error(`${where}: weight '${spec.name}' has a quantization that is not an object`);
  if (!(WEIGHT_QUANTIZATIONS as readonly string[]).includes(q.dtype)) {
    throw new Error(`${where}: weight '${spec.name}' has quantization dtype '${String(q.dtype)}' (supported: ${WEIGHT_QUANTIZATIONS.join(', ')})`);
  }
  if (q.dtype === 'float16') {
    if (spec.dtype !== 'float32') throw new Error(`${where}: weight '${spec.name}' is float16-quantized but its dtype is ${spec.dtype} (float32 only)`);
    return;
  }
  if (!Number.isFinite(q.scale) || !Number.isFinite(q.min)) {
    throw new Error(`${where}: weight '${spec.name}' is ${q.dtype}-quantized without finite 'scale' and 'min' (got ${JSON.stringify({ scale: q.scale, min: q.min })})`);
  }
  if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new Error(`${where}: weight '${spec.name}' of dtype ${spec.dtype} cannot be ${q.dtype}-quantized`);
}
