/**
 * Tile on wasm in plain JS over the wasm heap (the stock kernel is a per-element index loop; the
 * batch-norm gradient tiles [1,1,1,C] to [N,H,W,C]). Each level copies its block once and then
 * replicates it by doubling block copies.
 */
import { asWasm, sizeOf, type TensorInfo } from '../wasm-heap.js';
import type { KernelFn } from './replace-kernel.js';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Tiles `src` (shape `shape`) by `reps` into `dst`; exported for tests. */
export function tileInto(src: Heap, shape: readonly number[], reps: readonly number[], dst: Heap): void {
  const r = shape.length;
  if (r === 0) {
    dst[0] = src[0];
    return;
  }
  const outShape = shape.map((s, i) => s * reps[i]);
  const srcStride = new Array<number>(r);
  const dstStride = new Array<number>(r);
  srcStride[r - 1] = 1;
  dstStride[r - 1] = 1;
  for (let i = r - 2; i >= 0; i--) {
    srcStride[i] = srcStride[i + 1] * shape[i + 1];
    dstStride[i] = dstStride[i + 1] * outShape[i + 1];
  }
  const replicate = (off: number, block: number, times: number): void => {
    const total = block * times;
    let done = block;
    while (done < total) {
      const n = Math.min(done, total - done);
      dst.copyWithin(off + done, off, off + n);
      done += n;
    }
  };
  const fill = (dim: number, s: number, d: number): void => {
    if (dim === r - 1) {
      dst.set(src.subarray(s, s + shape[dim]), d);
    } else {
      for (let i = 0; i < shape[dim]; i++) fill(dim + 1, s + i * srcStride[dim], d + i * dstStride[dim]);
    }
    replicate(d, shape[dim] * dstStride[dim], reps[dim]);
  };
  if (sizeOf(outShape) > 0) fill(0, 0, 0);
}

export function makeTile(stock: KernelFn | undefined): KernelFn {
  return ({ inputs, backend: anyBackend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const reps = (attrs as { reps: number[] }).reps;
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      if (stock === undefined) throw new Error(`Tile: dtype ${x.dtype} is not supported on wasm`);
      return stock({ inputs, backend: anyBackend, attrs });
    }
    if (reps.length !== x.shape.length) {
      throw new Error(`Tile: reps ${JSON.stringify(reps)} must have one entry per axis of shape ${JSON.stringify(x.shape)}`);
    }
    const backend = asWasm(anyBackend);
    const out = backend.makeOutput(x.shape.map((s, i) => s * reps[i]), x.dtype);
    tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
    return out;
  };
}
