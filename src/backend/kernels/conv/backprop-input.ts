/**
 * Conv2DBackpropInput on wasm through XNNPACK forward convolutions.
 *
 * dx is split into sH·sW phases (rows ≡ first (mod sH), columns likewise); each phase is a stride-1
 * forward conv of dy with a sub-filter W[r::s, c::s] flipped spatially and with in/out channels swapped,
 * with explicit pads (negative pads become cropping of the result). Stride 1 = a single phase, returned
 * without a copy when no cropping is needed. The flipped sub-filters are built tap by tap with the SIMD module's
 * transpose (plain JS without it). Stride-1 layers with a small dy and a large filter take one GEMM + col2im
 * instead (backprop-input-gemm.ts). The same scheme serves depthwise convs with channel
 * multiplier 1 (sub-filters flipped only, XNNPACK depthwise kernel): `phasedBackpropInput(…, 'depthwise')`.
 */
import * as tf from '@tensorflow/tfjs';
import { convGeometry, inputGradPhases, type ConvGeometry, type InputGradPhase, assertDyShape, type ConvGradAttrs } from './geometry.js';
import { scatterStrided } from './heap-copy.js';
import { heapPtr, simdKernels } from '../simd/instance.js';
import { gemmBackpropInput } from './backprop-input-gemm.js';
import { allocF32, conv2dExplicit, depthwiseConv2dExplicit, release, viewF32, type Info, type WasmBackend } from './wasm-heap.js';

/** 'conv': filter [kh,kw,ci,co]; 'depthwise': filter [kh,kw,c,1]. */
export type FilterKind = 'conv' | 'depthwise';

const NAME = 'Conv2DBackpropInput';

interface Attrs extends ConvGradAttrs {
  inputShape: [number, number, number, number];
}

/**
 * Sub-filter of phase (ph, pw), flipped: 'conv' → [tapsH, tapsW, co, ci] = W[rH + sH·(tapsH−1−j), rW + sW·(tapsW−1−i), ci, co];
 * 'depthwise' → [tapsH, tapsW, c, 1] with the same taps.
 */
function flippedSubFilter(backend: WasmBackend, filter: Info, g: ConvGeometry, ph: InputGradPhase, pw: InputGradPhase, kind: FilterKind): Info {
  const ci = g.inC;
  const co = kind === 'conv' ? g.outC : 1;
  const out = allocF32(backend, kind === 'conv' ? [ph.taps, pw.taps, co, ci] : [ph.taps, pw.taps, ci, 1]);
  const simd = co > 1 ? simdKernels(backend) : undefined;
  if (simd !== undefined) {
    // each tap's [ci, co] block transposed by the SIMD module (4×4 register blocks)
    for (let j = 0; j < ph.taps; j++) {
      const ky = ph.residue + g.sH * (ph.taps - 1 - j);
      for (let i = 0; i < pw.taps; i++) {
        const kx = pw.residue + g.sW * (pw.taps - 1 - i);
        simd.transpose2d(heapPtr(backend, filter) + 4 * (ky * g.kW + kx) * ci * co, heapPtr(backend, out) + 4 * (j * pw.taps + i) * co * ci, ci, co);
      }
    }
    return out;
  }
  const dst = viewF32(backend, out);
  const src = viewF32(backend, filter);
  let d = 0;
  for (let j = 0; j < ph.taps; j++) {
    const ky = ph.residue + g.sH * (ph.taps - 1 - j);
    for (let i = 0; i < pw.taps; i++) {
      const kx = pw.residue + g.sW * (pw.taps - 1 - i);
      const base = (ky * g.kW + kx) * ci * co;
      if (co === 1) {
        dst.set(src.subarray(base, base + ci), d);
        d += ci;
        continue;
      }
      for (let o = 0; o < co; o++) {
        for (let c = 0; c < ci; c++) dst[d++] = src[base + c * co + o];
      }
    }
  }
  return out;
}

function subConv(backend: WasmBackend, dy: Info, filter: Info, g: ConvGeometry, ph: InputGradPhase, pw: InputGradPhase, kind: FilterKind): Info {
  const f = flippedSubFilter(backend, filter, g, ph, pw, kind);
  try {
    const opts = { pads: [ph.padBefore, ph.padAfter, pw.padBefore, pw.padAfter] as [number, number, number, number] };
    return kind === 'conv' ? conv2dExplicit(backend, dy, f, opts) : depthwiseConv2dExplicit(backend, dy, f, opts);
  } finally {
    release(backend, f);
  }
}

/** dx of a forward conv with geometry g (dilation 1; depthwise: channel multiplier 1) from dy, via XNNPACK. */
export function phasedBackpropInput(backend: WasmBackend, dy: Info, filter: Info, g: ConvGeometry, kind: FilterKind): Info {
  if (g.dH !== 1 || g.dW !== 1) throw new Error(`prunekit wasm backprop-input: internal error, dilations ${g.dH}×${g.dW} are not supported here`);
  const phasesH = inputGradPhases(g.inH, g.kH, g.sH, g.padTop, g.outH);
  const phasesW = inputGradPhases(g.inW, g.kW, g.sW, g.padLeft, g.outW);

  // Stride 1 without cropping: the single sub-convolution is dx itself.
  if (phasesH.length === 1 && phasesW.length === 1) {
    const [ph, pw] = [phasesH[0], phasesW[0]];
    if (ph.taps > 0 && pw.taps > 0 && ph.crop === 0 && pw.crop === 0 && ph.subOut === g.inH && pw.subOut === g.inW) {
      return subConv(backend, dy, filter, g, ph, pw, kind);
    }
  }

  const dx = allocF32(backend, [g.batch, g.inH, g.inW, g.inC]);
  try {
    if (phasesH.some((p) => p.taps === 0) || phasesW.some((p) => p.taps === 0)) viewF32(backend, dx).fill(0);
    for (const ph of phasesH) {
      if (ph.taps === 0) continue;
      for (const pw of phasesW) {
        if (pw.taps === 0) continue;
        const sub = subConv(backend, dy, filter, g, ph, pw, kind);
        scatterStrided(viewF32(backend, dx), viewF32(backend, sub), {
          batch: g.batch,
          channels: g.inC,
          srcH: ph.subOut,
          srcW: pw.subOut,
          cropH: ph.crop,
          cropW: pw.crop,
          countH: ph.count,
          countW: pw.count,
          dstH: g.inH,
          dstW: g.inW,
          firstH: ph.first,
          firstW: pw.first,
          strideH: g.sH,
          strideW: g.sW,
        });
        release(backend, sub);
      }
    }
  } catch (e) {
    release(backend, dx);
    throw e;
  }
  return dx;
}

export function conv2DBackpropInputWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): Info {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const a = args.attrs as unknown as Attrs;
  const g = convGeometry(NAME, a.inputShape, filter.shape, a, false);
  assertDyShape(NAME, dy.shape, g, `conv of [${a.inputShape}] with filter [${filter.shape}]`);
  return gemmBackpropInput(backend, dy, filter, g) ?? phasedBackpropInput(backend, dy, filter, g, 'conv');
}
