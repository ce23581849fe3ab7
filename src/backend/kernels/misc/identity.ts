/**
 * Identity, and Cast to the same dtype, on wasm without a copy: the output shares the input's buffer
 * (reference counted, like the cpu backend and the wasm Reshape kernel). The stock wasm kernels copy the
 * whole tensor; a training step runs dozens of them (gradient plumbing, optimiser slots).
 * Strings and real casts go to the stock kernels.
 */
import { asWasm, reshapeInfo, type TensorInfo } from './wasm-heap.js';
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
    if (dtype !== x.dtype || x.dtype === 'string' || x.dtype === 'complex64') return stock(args);
    return reshapeInfo(asWasm(args.backend), x, x.shape.slice());
  };
}
