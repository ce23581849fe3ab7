/**
 * Compact export of a pruned model: kernels as bitmask + non-zero float32 values, every other
 * weight dense, topology stored alongside, optionally gzip-compressed (node:zlib).
 *
 * File layout (all integers little-endian):
 *   0   8 bytes  magic "PKSPARSE"
 *   8   u32      format version (1)
 *   12  u32      flags: bit 0 = payload is gzip-compressed
 *   16  u32      CRC-32 of the uncompressed payload
 *   20  u32      uncompressed payload length
 *   24  ...      payload (raw or gzip)
 * Payload:
 *   u32 H, then H bytes of UTF-8 JSON header:
 *     { modelTopology: <model.toJSON(null, false)>,
 *       weights: [{ name, shape, encoding: 'dense' | 'sparse', offset, nnz? }] }   (model.weights order)
 *   then the data section (offsets relative to its start, 4-byte aligned):
 *     dense:  size float32 values
 *     sparse: ceil(size/8) bitmask bytes (bit i%8 of byte ⌊i/8⌋ set ⇔ value i stored, LSB first),
 *             padding to 4 bytes, then nnz float32 values in index order.
 * A value is "stored" when its bit pattern is not +0, so −0 round-trips exactly.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { kernelOf } from '../prune/layers.js';
import { crc32 } from '../util/crc32.js';
import { writeFileAtomicSync as writeFileAtomic } from './atomic.js';

const MAGIC = 'PKSPARSE';
const VERSION = 1;
const HEAD = 24;

interface WeightEntry {
  name: string;
  shape: number[];
  encoding: 'dense' | 'sparse';
  offset: number;
  nnz?: number;
}

interface Header {
  modelTopology: unknown;
  weights: WeightEntry[];
}

const align4 = (n: number): number => (n + 3) & ~3;

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('sparse export needs a little-endian host');
}

/** Variables that are prunable kernels (Dense, Conv2D, DepthwiseConv2D), by LayerVariable id. */
function kernelIds(model: tf.LayersModel): Set<number> {
  const ids = new Set<number>();
  for (const l of model.layers) {
    const k = kernelOf(l);
    if (k) ids.add(k.id);
  }
  return ids;
}

/** Encodes the payload (uncompressed). */
export function encodeSparsePayload(model: tf.LayersModel): Uint8Array {
  assertLittleEndian();
  const kernels = kernelIds(model);
  const entries: WeightEntry[] = [];
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let offset = 0;
  for (const v of model.weights) {
    const values = Float32Array.from(v.read().dataSync() as Float32Array);
    const bits = new Uint32Array(values.buffer);
    if (kernels.has(v.id)) {
      const maskBytes = Math.ceil(values.length / 8);
      let nnz = 0;
      for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) nnz++;
      const buf = new Uint8Array(align4(maskBytes) + nnz * 4);
      const vals = new Float32Array(buf.buffer, align4(maskBytes), nnz);
      let p = 0;
      for (let i = 0; i < bits.length; i++) {
        if (bits[i] !== 0) {
          buf[i >> 3] |= 1 << (i & 7);
          vals[p++] = values[i];
        }
      }
      entries.push({ name: v.originalName, shape: v.read().shape.slice(), encoding: 'sparse', offset, nnz });
      chunks.push({ offset, bytes: buf });
      offset += buf.length;
    } else {
      entries.push({ name: v.originalName, shape: v.read().shape.slice(), encoding: 'dense', offset });
      chunks.push({ offset, bytes: new Uint8Array(values.buffer) });
      offset += align4(values.byteLength);
    }
  }
  const header: Header = { modelTopology: model.toJSON(null, false), weights: entries };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align4(4 + json.length);
  const out = new Uint8Array(dataStart + offset);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  for (const c of chunks) out.set(c.bytes, dataStart + c.offset);
  return out;
}

/** Full file bytes (header + optionally gzip-compressed payload). */
export function encodeSparse(model: tf.LayersModel, opts: { gzip?: boolean } = {}): Uint8Array {
  const payload = encodeSparsePayload(model);
  const gz = opts.gzip ?? true;
  const body = gz ? new Uint8Array(gzipSync(payload, { level: 9 })) : payload;
  const out = new Uint8Array(HEAD + body.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, VERSION, true);
  dv.setUint32(12, gz ? 1 : 0, true);
  dv.setUint32(16, crc32(payload), true);
  dv.setUint32(20, payload.length, true);
  out.set(body, HEAD);
  return out;
}

export interface DecodedSparse {
  modelTopology: unknown;
  weights: { name: string; shape: number[]; values: Float32Array }[];
}

/** Decodes file bytes; `source` names the file in errors. */
export function decodeSparse(bytes: Uint8Array, source = 'sparse model'): DecodedSparse {
  assertLittleEndian();
  const bad = (why: string): Error => new Error(`${source}: not a valid prunekit sparse file (${why}); re-export it with saveSparse`);
  if (bytes.length < HEAD) throw bad('too short');
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad('bad magic');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== VERSION) throw bad(`format version ${version}, this prunekit reads ${VERSION}`);
  const flags = dv.getUint32(12, true);
  const crc = dv.getUint32(16, true);
  const length = dv.getUint32(20, true);
  let payload: Uint8Array;
  try {
    payload = new Uint8Array(flags & 1 ? gunzipSync(bytes.subarray(HEAD)) : bytes.subarray(HEAD)); // own, aligned copy
  } catch (e) {
    throw bad(`gzip payload is corrupt or truncated: ${(e as Error).message}`);
  }
  if (payload.length !== length) throw bad(`payload is ${payload.length} bytes, expected ${length} (truncated?)`);
  if (crc32(payload) !== crc) throw bad('checksum mismatch (corrupt)');
  const pv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const hlen = pv.getUint32(0, true);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + hlen))) as Header;
  } catch {
    throw bad('header is not JSON');
  }
  const dataStart = align4(4 + hlen);
  const data = new Uint8Array(payload.subarray(dataStart)); // own buffer at offset 0 (4-byte aligned views)
  const weights = header.weights.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (w.encoding === 'dense') {
      if (w.offset + size * 4 > data.length) throw bad(`weight '${w.name}' runs past the end`);
      values.set(new Float32Array(data.buffer, w.offset, size));
    } else {
      const maskBytes = Math.ceil(size / 8);
      const nnz = w.nnz ?? 0;
      const valStart = w.offset + align4(maskBytes);
      if (valStart + nnz * 4 > data.length) throw bad(`weight '${w.name}' runs past the end`);
      const vals = new Float32Array(data.buffer, valStart, nnz);
      let p = 0;
      for (let i = 0; i < size; i++) {
        if (data[w.offset + (i >> 3)] & (1 << (i & 7))) {
          if (p >= nnz) throw bad(`weight '${w.name}' has more mask bits than values`);
          values[i] = vals[p++];
        }
      }
      if (p !== nnz) throw bad(`weight '${w.name}' has ${p} mask bits but ${nnz} values`);
    }
    return { name: w.name, shape: w.shape, values };
  });
  return { modelTopology: header.modelTopology, weights };
}

/** Writes `model` to `path` atomically; returns the file size in bytes. */
export function saveSparse(model: tf.LayersModel, path: string, opts: { gzip?: boolean } = {}): number {
  const bytes = encodeSparse(model, opts);
  writeFileAtomic(path, bytes);
  return bytes.length;
}

/** Restores a model saved by `saveSparse` with identical weights. */
export async function loadSparse(path: string): Promise<tf.LayersModel> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`loadSparse: cannot read '${path}': ${(e as Error).message}`);
  }
  const dec = decodeSparse(bytes, path);
  const model = await tf.models.modelFromJSON({ modelTopology: dec.modelTopology as tf.io.ModelJSON['modelTopology'] });
  const vars = model.weights;
  if (vars.length !== dec.weights.length) {
    model.dispose();
    throw new Error(`${path}: topology has ${vars.length} weights, file stores ${dec.weights.length}`);
  }
  vars.forEach((v, i) => {
    if (JSON.stringify(v.read().shape) !== JSON.stringify(dec.weights[i].shape)) {
      model.dispose();
      throw new Error(`${path}: weight ${i} ('${dec.weights[i].name}') has shape ${JSON.stringify(dec.weights[i].shape)}, model expects ${JSON.stringify(v.read().shape)}`);
    }
  });
  const tensors = dec.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  model.setWeights(tensors);
  tf.dispose(tensors);
  return model;
}
