/**
 * Identity, and Cast to the same dtype, on wasm without a copy: the output shares the input's buffer
 * (reference counted, like the cpu backend and the wasm Reshape kernel). The stock wasm kernels copy the
 * whole tensor; a training step runs dozens of them (gradient plumbing, optimiser slots).
 * Casts to bool compute x ≠ 0 (the stock kernel copies through a Uint8Array: −2.3 → 254, 0.2 → 0);
 * other real casts and strings go to the stock kernels.
 */
import { asWasm, reshapeInfo, type TensorInfo } from '../wasm-heap.js';
import type { KernelFn } from './replace-kernel.js';

export function makeIdentity(stock: KernelFn | undefined): KernelFn {
  if (stock === undefined) throw new Error('prunekit: stock wasm Identity kernel missing (tfjs-backend-wasm 4.22.0 expected)');
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string' || x.dtype === 'complex64') return stock(args);
    return reshapeInfo(asWasm(args.backend), x, x.shape.slice());
  };
}

export function makeCast(stock: KernelFn | undefined): KernelFn {
  if (stock === undefined) throw new Error('prunekit: stock wasm Cast kernel missing (tfjs-backend-wasm 4.22.0 expected)');
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const dtype = (args.attrs as { dtype: string }).dtype;
    if (x.dtype === 'string' || x.dtype === 'complex64') return stock(args);
    const backend = asWasm(args.backend);
    if (dtype === x.dtype) return reshapeInfo(backend, x, x.shape.slice());
    if (dtype !== 'bool') return stock(args);
    const out = backend.makeOutput(x.shape.slice(), 'bool');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
    return out;
  };
}
