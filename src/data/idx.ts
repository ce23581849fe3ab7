/**
 * IDX file format (the MNIST container): reader and writer, raw or gzip-compressed.
 *
 * Layout: 2 zero bytes, 1 dtype code byte, 1 byte ndim, then ndim big-endian uint32 dims,
 * then prod(dims) big-endian elements. MNIST images are 0x00000803 (uint8, 3 dims),
 * labels 0x00000801 (uint8, 1 dim). A gzip stream (magic 1f 8b) is detected and inflated.
 */
import { readFile, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { gunzipBounded } from '../util/gzip.js';
import { writeFileAtomic } from '../io/atomic.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  /** prod(shape) elements in row-major order, native endianness. */
  data: IdxData;
}

interface DtypeInfo {
  code: number;
  size: number;
  make: (n: number) => IdxData;
  get: (v: DataView, off: number) => number;
  set: (v: DataView, off: number, x: number) => void;
}

const DTYPES: Record<IdxDtype, DtypeInfo> = {
  uint8: { code: 0x08, size: 1, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x) },
  int8: { code: 0x09, size: 1, make: (n) => new Int8Array(n), get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x) },
  int16: { code: 0x0b, size: 2, make: (n) => new Int16Array(n), get: (v, o) => v.getInt16(o), set: (v, o, x) => v.setInt16(o, x) },
  int32: { code: 0x0c, size: 4, make: (n) => new Int32Array(n), get: (v, o) => v.getInt32(o), set: (v, o, x) => v.setInt32(o, x) },
  float32: { code: 0x0d, size: 4, make: (n) => new Float32Array(n), get: (v, o) => v.getFloat32(o), set: (v, o, x) => v.setFloat32(o, x) },
  float64: { code: 0x0e, size: 8, make: (n) => new Float64Array(n), get: (v, o) => v.getFloat64(o), set: (v, o, x) => v.setFloat64(o, x) },
};

function dtypeOfCode(code: number): IdxDtype | undefined {
  return (Object.keys(DTYPES) as IdxDtype[]).find((k) => DTYPES[k].code === code);
}

const hex = (n: number, w = 2): string => '0x' + n.toString(16).padStart(w, '0');

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decodes IDX bytes (raw or gzip). `source` (usually the file path) names the input in errors.
 */
export function parseIdx(input: Uint8Array, source: string): IdxArray {
  let bytes = input;
  if (isGzip(bytes)) {
    bytes = gunzipBounded(bytes, source); // output capped by the gzip trailer's declared size
  }
  if (bytes.length < 4) {
    throw new Error(`${source}: not an IDX file: only ${bytes.length} bytes, the 4-byte header is missing (truncated file?)`);
  }
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const dtype = dtypeOfCode(bytes[2]);
  if (bytes[0] !== 0 || bytes[1] !== 0 || dtype === undefined || bytes[3] === 0) {
    throw new Error(
      `${source}: bad IDX magic ${hex(magic, 8)} (expected 0x0000TTNN: TT a dtype code ` +
        `08/09/0b/0c/0d/0e, NN ≥ 1 dims; MNIST images are 0x00000803, labels 0x00000801)`,
    );
  }
  const ndim = bytes[3];
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) {
    throw new Error(`${source}: truncated IDX header: ${ndim} dims need ${headerLen} bytes, file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const dim = view.getUint32(4 + 4 * d);
    shape.push(dim);
    count *= dim;
  }
  const info = DTYPES[dtype];
  const expected = count * info.size;
  const actual = bytes.length - headerLen;
  if (actual !== expected) {
    const what = actual < expected ? 'truncated' : 'has trailing bytes';
    throw new Error(
      `${source}: IDX data ${what}: dims [${shape.join(', ')}] of ${dtype} need ${expected} bytes after the ` +
        `${headerLen}-byte header, found ${actual}`,
    );
  }
  let data: IdxData;
  if (info.size === 1) {
    data = info.make(count);
    (data as Uint8Array).set(bytes.subarray(headerLen, headerLen + count));
  } else {
    data = info.make(count);
    for (let i = 0, off = headerLen; i < count; i++, off += info.size) data[i] = info.get(view, off);
  }
  return { dtype, shape, data };
}

/** Reads an IDX file (raw or .gz, detected by content). */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error(st.isDirectory() ? 'it is a folder' : 'not a regular file (a FIFO, socket or device)');
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read IDX file (${(err as Error).message})`);
  }
  return parseIdx(bytes, path);
}

/** Encodes an IDX array to bytes; gzip-compressed when `gzip` is set. */
export function encodeIdx(arr: IdxArray, opts: { gzip?: boolean } = {}): Uint8Array {
  const info = DTYPES[arr.dtype];
  if (!info) throw new Error(`encodeIdx: unknown dtype '${String(arr.dtype)}'`);
  const ndim = arr.shape.length;
  if (ndim < 1 || ndim > 255) throw new Error(`encodeIdx: need 1..255 dims, got ${ndim}`);
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== count) {
    throw new Error(`encodeIdx: data has ${arr.data.length} elements, shape [${arr.shape.join(', ')}] needs ${count}`);
  }
  const headerLen = 4 + 4 * ndim;
  const out = new Uint8Array(headerLen + count * info.size);
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = ndim;
  arr.shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new Error(`encodeIdx: bad dim ${d} at axis ${i}`);
    view.setUint32(4 + 4 * i, d);
  });
  for (let i = 0, off = headerLen; i < count; i++, off += info.size) info.set(view, off, arr.data[i]);
  return opts.gzip ? gzipSync(out) : out;
}

/**
 * Writes an IDX file atomically. Compressed when `gzip` is set, or by default when the path ends in `.gz`.
 */
export async function writeIdx(path: string, arr: IdxArray, opts: { gzip?: boolean } = {}): Promise<void> {
  const gzip = opts.gzip ?? path.endsWith('.gz');
  await writeFileAtomic(path, encodeIdx(arr, { gzip }));
}
