/**
 * Conv2DBackpropFilter for few input channels (the first layer, ci ≤ 3), where the transposed-conv
 * formulation wastes XNNPACK's tiles: patches P[n·oh·ow, kh·kw·ci] come from one forward conv of x with
 * an identity filter (im2col by XNNPACK), then dW = Pᵀ·dy is one matMul, already in [kh,kw,ci,co] order.
 */
import type { ConvGeometry } from './geometry.js';
import { allocF32, conv2dExplicit, release, runWasmKernel, transpose, viewF32, withShape, type Info, type WasmBackend } from './wasm-heap.js';

/** Largest ci for which `patchesFilterGrad` is used. */
export const PATCHES_MAX_IN_CHANNELS = 3;

/** Identity filter [kh, kw, ci, kh·kw·ci]: output channel t copies input tap t. */
function identityFilter(backend: WasmBackend, g: ConvGeometry): Info {
  const K = g.kH * g.kW * g.inC;
  const eye = allocF32(backend, [g.kH, g.kW, g.inC, K]);
  const v = viewF32(backend, eye);
  v.fill(0);
  for (let t = 0; t < K; t++) v[t * K + t] = 1;
  return eye;
}

export function patchesFilterGrad(backend: WasmBackend, x: Info, dy: Info, g: ConvGeometry): Info {
  const K = g.kH * g.kW * g.inC;
  const rows = g.batch * g.outH * g.outW;
  // Trailing pads that give exactly outH × outW windows (≥ 0: a negative need means unused trailing rows).
  const padBottom = Math.max(0, (g.outH - 1) * g.sH + g.kH - g.inH - g.padTop);
  const padRight = Math.max(0, (g.outW - 1) * g.sW + g.kW - g.inW - g.padLeft);
  const temps: Info[] = [];
  try {
    const eye = identityFilter(backend, g);
    temps.push(eye);
    const patches = conv2dExplicit(backend, x, eye, { strides: [g.sH, g.sW], pads: [g.padTop, padBottom, g.padLeft, padRight] });
    temps.push(patches);
    if (patches.shape.join() !== [g.batch, g.outH, g.outW, K].join()) {
      throw new Error(`prunekit wasm Conv2DBackpropFilter: internal error, patches [${patches.shape}] != [${[g.batch, g.outH, g.outW, K]}]`);
    }
    const pT = transpose(backend, withShape(patches, [rows, K]), [1, 0]);
    temps.push(pT);
    const dW = runWasmKernel(
      backend,
      'BatchMatMul',
      { a: withShape(pT, [1, K, rows]), b: withShape(dy, [1, rows, g.outC]) },
      { transposeA: false, transposeB: false },
    );
    return withShape(dW, [g.kH, g.kW, g.inC, g.outC]);
  } finally {
    release(backend, ...temps);
  }
}
