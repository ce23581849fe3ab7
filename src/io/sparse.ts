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
import { readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { kernelOf } from '../prune/layers.js';
import { crc32 } from '../util/crc32.js';
import { writeFileAtomicSync as writeFileAtomic } from './atomic.js';
import { checkFinite, shapeSize, type LoadModelOptions } from './model-folder.js';

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

/** Largest payload decoded (2 GiB). */
export const MAX_SPARSE_PAYLOAD = 2 ** 31 - 1;
/** deflate's best case is about 1032:1, so a gzip body of n bytes never inflates past this. */
const inflateBound = (n: number): number => n * 1032 + 1024;

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/**
 * Decodes file bytes; `source` names the file in errors. Every length, offset and count in the file is
 * checked before it sizes an allocation: the gzip payload is inflated only up to its declared length
 * (itself bounded by deflate's maximum ratio), and the weights must lie back to back in the data
 * section in the layout saveSparse writes.
 */
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
  if (flags > 1) throw bad(`unknown flags ${flags}`);
  const body = bytes.subarray(HEAD);
  if (length > MAX_SPARSE_PAYLOAD) throw bad(`declared payload of ${length} bytes is larger than prunekit reads`);
  if (flags & 1 && length > inflateBound(body.length)) throw bad(`declared payload of ${length} bytes cannot come from ${body.length} gzip bytes`);
  let payload: Uint8Array;
  if (flags & 1) {
    try {
      payload = new Uint8Array(gunzipSync(body, { maxOutputLength: Math.max(1, length) })); // own, aligned copy
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw bad(`gzip payload inflates past its declared ${length} bytes`);
      throw bad(`gzip payload is corrupt or truncated: ${(e as Error).message}`);
    }
  } else {
    payload = new Uint8Array(body);
  }
  if (payload.length !== length) throw bad(`payload is ${payload.length} bytes, expected ${length} (truncated?)`);
  if (crc32(payload) !== crc) throw bad('checksum mismatch (corrupt)');
  if (payload.length < 4) throw bad('payload has no header');
  const pv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const hlen = pv.getUint32(0, true);
  if (hlen > payload.length - 4) throw bad(`header length ${hlen} runs past the payload (${payload.length} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + hlen)));
  } catch {
    throw bad('header is not JSON');
  }
  if (!isObject(header) || !Array.isArray(header.weights) || !isObject(header.modelTopology)) {
    throw bad("header needs a 'modelTopology' object and a 'weights' array");
  }
  const dataStart = align4(4 + hlen);
  const data = new Uint8Array(payload.subarray(Math.min(dataStart, payload.length))); // own buffer at offset 0 (4-byte aligned views)
  let expectOffset = 0;
  const names = new Set<string>();
  const entries = (header.weights as unknown[]).map((raw, k) => {
    if (!isObject(raw) || typeof raw.name !== 'string') throw bad(`weights[${k}] needs a string 'name'`);
    const w = raw as unknown as WeightEntry;
    if (names.has(w.name)) throw bad(`weight '${w.name}' is stored twice`);
    names.add(w.name);
    const size = shapeSize(w.shape, w.name, source);
    if (w.encoding !== 'dense' && w.encoding !== 'sparse') throw bad(`weight '${w.name}' has encoding ${JSON.stringify(w.encoding)}, expected 'dense' or 'sparse'`);
    if (w.offset !== expectOffset) throw bad(`weight '${w.name}' starts at offset ${JSON.stringify(w.offset)}, expected ${expectOffset}`);
    const nnz = w.encoding === 'sparse' ? w.nnz : 0;
    if (!Number.isSafeInteger(nnz) || (nnz as number) < 0 || (nnz as number) > size) throw bad(`weight '${w.name}' has nnz ${JSON.stringify(w.nnz)}, expected an integer in [0, ${size}]`);
    const bytesUsed = w.encoding === 'dense' ? align4(size * 4) : align4(Math.ceil(size / 8)) + (nnz as number) * 4;
    if (expectOffset + bytesUsed > data.length) throw bad(`weight '${w.name}' runs past the end`);
    expectOffset += bytesUsed;
    return { w, size, nnz: nnz as number };
  });
  const weights = entries.map(({ w, size, nnz }) => {
    const values = new Float32Array(size);
    if (w.encoding === 'dense') {
      values.set(new Float32Array(data.buffer, w.offset, size));
    } else {
      const maskBytes = Math.ceil(size / 8);
      const valStart = w.offset + align4(maskBytes);
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

/** Reads a sparse file: a regular file (never a FIFO or device), bounded in size. */
function readSparseFile(path: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`loadSparse: cannot read '${path}': ${(e as Error).message}`);
  }
  if (st.isDirectory()) throw new Error(`loadSparse: '${path}' is a folder, not a sparse model file`);
  if (!st.isFile()) throw new Error(`loadSparse: '${path}' is not a regular file (a FIFO, socket or device); refusing to read it`);
  if (st.size > MAX_SPARSE_PAYLOAD) throw new Error(`loadSparse: '${path}' is ${st.size} bytes, larger than prunekit reads`);
  return readFileSync(path);
}

/** Restores a model saved by `saveSparse` with identical weights. NaN/Inf values are refused unless allowed. */
export async function loadSparse(path: string, opts: LoadModelOptions = {}): Promise<tf.LayersModel> {
  const dec = decodeSparse(readSparseFile(path), path);
  const nonFinite = dec.weights
    .map((w) => ({ w, n: w.values.reduce((c, x) => c + (Number.isFinite(x) ? 0 : 1), 0) }))
    .filter((x) => x.n > 0)
    .map(({ w, n }) => `weight '${w.name}' has ${n} NaN/Inf value${n > 1 ? 's' : ''}`);
  checkFinite(nonFinite, path, opts);
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({ modelTopology: dec.modelTopology as tf.io.ModelJSON['modelTopology'] });
  } catch (e) {
    throw new Error(`${path}: the stored topology is not a valid layers model: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const vars = model.weights;
    if (vars.length !== dec.weights.length) throw new Error(`${path}: topology has ${vars.length} weights, file stores ${dec.weights.length}`);
    vars.forEach((v, i) => {
      if (JSON.stringify(v.shape) !== JSON.stringify(dec.weights[i].shape)) {
        throw new Error(`${path}: weight ${i} ('${dec.weights[i].name}') has shape ${JSON.stringify(dec.weights[i].shape)}, model expects ${JSON.stringify(v.shape)}`);
      }
    });
    const tensors = dec.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    try {
      model.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}
