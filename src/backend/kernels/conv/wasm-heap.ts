/** Conv-specific wasm helpers (explicit-pad XNNPACK convs); the generic ones live in ../wasm-heap.ts. */
import { runWasmKernel, type Info, type WasmBackend } from '../wasm-heap.js';

export * from '../wasm-heap.js';

export interface ExplicitConvOptions {
  strides?: [number, number];
  dilations?: [number, number];
  /** [top, bottom, left, right], non-negative. */
  pads: [number, number, number, number];
}

/** NHWC (dilated, strided) conv through the wasm (XNNPACK) Conv2D kernel with explicit pads. */
export function conv2dExplicit(backend: WasmBackend, x: Info, filter: Info, opts: ExplicitConvOptions): Info {
  return explicitConv(backend, 'Conv2D', x, filter, opts);
}

/** NHWC depthwise conv through the wasm (XNNPACK) DepthwiseConv2dNative kernel with explicit pads. */
export function depthwiseConv2dExplicit(backend: WasmBackend, x: Info, filter: Info, opts: ExplicitConvOptions): Info {
  return explicitConv(backend, 'DepthwiseConv2dNative', x, filter, opts);
}

function explicitConv(backend: WasmBackend, kernelName: 'Conv2D' | 'DepthwiseConv2dNative', x: Info, filter: Info, opts: ExplicitConvOptions): Info {
  const [top, bottom, left, right] = opts.pads;
  if (Math.min(top, bottom, left, right) < 0) {
    throw new Error(`prunekit conv kernels: internal error, negative pads ${opts.pads.join(',')} passed to ${kernelName}`);
  }
  const pad = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return runWasmKernel(backend, kernelName, { x, filter }, {
    strides: opts.strides ?? [1, 1],
    dilations: opts.dilations ?? [1, 1],
    pad,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  });
}
