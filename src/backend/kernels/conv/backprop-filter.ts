/**
 * Conv2DBackpropFilter on wasm through XNNPACK.
 *
 * Default: on the threaded build, the blocked split-K GEMM shared with the helper thread (filter-grad-split.ts);
 * otherwise transposed patches + one threaded GEMM per chunk of images (filter-grad-gemm.ts). The
 * formulations below are the fallback (no SIMD module, stock GEMM route, dilations, or
 * PRUNEKIT_WASM_FILTER_GRAD=conv):
 *
 * dW[ky,kx,ci,co] = Σ_{b,oy,ox} x[b, oy·sH+ky−pT, ox·sW+kx−pL, ci] · dy[b,oy,ox,co] is one forward conv:
 * input = x transposed to [ci,H,W,n] (ci as the batch, the batch as channels), filter = dy transposed to
 * [oh,ow,n,co], dilation = stride, pads (pT, pL) before and whatever makes the output kh×kw after (a
 * negative trailing pad → longer output, cropped). Result [ci,kh,kw,co] is rearranged to [kh,kw,ci,co].
 * 1×1 kernels with stride 1 and no padding are one matMul: [ci, n·H·W] · [n·H·W, co]; few input channels
 * (ci ≤ 3) use patches + one matMul (filter-grad-patches.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { gemmFilterGrad } from './filter-grad-gemm.js';
import { splitFilterGrad } from './filter-grad-split.js';
import { patchesFilterGrad, PATCHES_MAX_IN_CHANNELS } from './filter-grad-patches.js';
import { convGeometry, filterGradPadAfter, type ConvGeometry, assertDyShape, type ConvGradAttrs } from './geometry.js';
import { allocF32, conv2dExplicit, release, runWasmKernel, transpose, viewF32, withShape, type Info, type WasmBackend } from './wasm-heap.js';

const NAME = 'Conv2DBackpropFilter';

interface Attrs extends ConvGradAttrs {
  filterShape: [number, number, number, number];
}

function isPlainPointwise(g: ConvGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.sH === 1 && g.sW === 1 && g.padTop === 0 && g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

/** 1×1, stride 1, no padding: dW = xᵀ·dy with x viewed as [n·H·W, ci]. */
function pointwiseFilterGrad(backend: WasmBackend, x: Info, dy: Info, g: ConvGeometry): Info {
  const rows = g.batch * g.inH * g.inW;
  const xT = transpose(backend, withShape(x, [rows, g.inC]), [1, 0]);
  try {
    const prod = runWasmKernel(
      backend,
      'BatchMatMul',
      { a: withShape(xT, [1, g.inC, rows]), b: withShape(dy, [1, rows, g.outC]) },
      { transposeA: false, transposeB: false },
    );
    return withShape(prod, [1, 1, g.inC, g.outC]);
  } finally {
    release(backend, xT);
  }
}

/** [n, m, c] → [c, m, n] via [n, m·c] → [m·c, n] = [m, c, n] → [c, m, n]. */
function twoStepReverse(backend: WasmBackend, x: Info, n: number, m: number, c: number): Info {
  const t1 = transpose(backend, withShape(x, [n, m * c]), [1, 0]);
  try {
    return transpose(backend, withShape(t1, [m, c, n]), [1, 0, 2]);
  } finally {
    release(backend, t1);
  }
}

function convFilterGrad(backend: WasmBackend, x: Info, dy: Info, g: ConvGeometry): Info {
  const afterH = filterGradPadAfter(g.inH, g.kH, g.sH, g.padTop, g.outH);
  const afterW = filterGradPadAfter(g.inW, g.kW, g.sW, g.padLeft, g.outW);
  const kH2 = g.kH + Math.max(0, -afterH);
  const kW2 = g.kW + Math.max(0, -afterW);
  const temps: Info[] = [];
  try {
    // [n, H·W, ci] → [ci, H·W, n] as two transposes ([n, H·W·ci] → [H·W, ci, n] → [ci, H·W, n]), which
    // the wasm Transpose kernel does ~2× faster than the direct 3-D reversal; [n, oh·ow, co] → [oh·ow, n, co].
    const hw = g.inH * g.inW;
    const xT = twoStepReverse(backend, x, g.batch, hw, g.inC);
    temps.push(xT);
    const dyT = transpose(backend, withShape(dy, [g.batch, g.outH * g.outW, g.outC]), [1, 0, 2]);
    temps.push(dyT);
    const r = conv2dExplicit(backend, withShape(xT, [g.inC, g.inH, g.inW, g.batch]), withShape(dyT, [g.outH, g.outW, g.batch, g.outC]), {
      dilations: [g.sH, g.sW],
      pads: [g.padTop, Math.max(0, afterH), g.padLeft, Math.max(0, afterW)],
    });
    temps.push(r);
    if (r.shape.join() !== [g.inC, kH2, kW2, g.outC].join()) {
      throw new Error(`prunekit wasm ${NAME}: internal error, conv result [${r.shape}] != [${[g.inC, kH2, kW2, g.outC]}]`);
    }
    const dW = allocF32(backend, [g.kH, g.kW, g.inC, g.outC]);
    const dst = viewF32(backend, dW);
    const src = viewF32(backend, r);
    const co = g.outC;
    for (let ky = 0; ky < g.kH; ky++) {
      for (let kx = 0; kx < g.kW; kx++) {
        for (let c = 0; c < g.inC; c++) {
          const s = ((c * kH2 + ky) * kW2 + kx) * co;
          dst.set(src.subarray(s, s + co), ((ky * g.kW + kx) * g.inC + c) * co);
        }
      }
    }
    return dW;
  } finally {
    release(backend, ...temps);
  }
}

export function conv2DBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): Info {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const a = args.attrs as unknown as Attrs;
  const g = convGeometry(NAME, x.shape, a.filterShape, a, false);
  assertDyShape(NAME, dy.shape, g, `conv of [${x.shape}] with filter [${a.filterShape}]`);
  const viaSplit = splitFilterGrad(backend, x, dy, g);
  if (viaSplit !== undefined) return viaSplit;
  const viaGemm = gemmFilterGrad(backend, x, dy, g);
  if (viaGemm !== undefined) return viaGemm;
  if (isPlainPointwise(g)) return pointwiseFilterGrad(backend, x, dy, g);
  if (g.inC <= PATCHES_MAX_IN_CHANNELS) return patchesFilterGrad(backend, x, dy, g);
  return convFilterGrad(backend, x, dy, g);
}
