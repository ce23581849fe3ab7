/**
 * DepthwiseConv2dNativeBackpropInput on wasm. Channel multiplier 1 and dilation 1 (the common case, and
 * the only one tfjs takes gradients of at dilation 1): XNNPACK depthwise convs of dy with flipped
 * sub-filters (see backprop-input.ts). Otherwise a plain JS loop over the wasm heap:
 * dx[b,y,x,c] = Σ dy[b,oy,ox,c·m+q] · W[ky,kx,c,q] over y = oy·sH + ky·dH − pT.
 */
import * as tf from '@tensorflow/tfjs';
import { phasedBackpropInput } from './backprop-input.js';
import { convGeometry, type ConvGeometry, assertDyShape, type ConvGradAttrs } from './geometry.js';
import { allocF32, viewF32, type Info, type WasmBackend } from './wasm-heap.js';

const NAME = 'DepthwiseConv2dNativeBackpropInput';

interface Attrs extends ConvGradAttrs {
  inputShape: [number, number, number, number];
}

export function depthwiseBackpropInputWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): Info {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const a = args.attrs as unknown as Attrs;
  const g = convGeometry(NAME, a.inputShape, filter.shape, a, true);
  assertDyShape(NAME, dy.shape, g, `depthwise conv of [${a.inputShape}] with filter [${filter.shape}]`);
  if (filter.shape[3] === 1 && g.dH === 1 && g.dW === 1) return phasedBackpropInput(backend, dy, filter, g, 'depthwise');
  return loopBackpropInput(backend, dy, filter, g);
}

/** Reference-style loop for any channel multiplier and dilation. */
export function loopBackpropInput(backend: WasmBackend, dy: Info, filter: Info, g: ConvGeometry): Info {
  const C = g.inC;
  const m = filter.shape[3];
  const dxInfo = allocF32(backend, [g.batch, g.inH, g.inW, C]);
  const dx = viewF32(backend, dxInfo);
  const dyv = viewF32(backend, dy);
  const w = viewF32(backend, filter);
  dx.fill(0);
  const cm = C * m;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const dyBase = ((b * g.outH + oy) * g.outW + ox) * cm;
        for (let ky = 0; ky < g.kH; ky++) {
          const y = oy * g.sH + ky * g.dH - g.padTop;
          if (y < 0 || y >= g.inH) continue;
          for (let kx = 0; kx < g.kW; kx++) {
            const x = ox * g.sW + kx * g.dW - g.padLeft;
            if (x < 0 || x >= g.inW) continue;
            const dxBase = ((b * g.inH + y) * g.inW + x) * C;
            const wBase = (ky * g.kW + kx) * cm;
            if (m === 1) {
              for (let c = 0; c < C; c++) dx[dxBase + c] += dyv[dyBase + c] * w[wBase + c];
            } else {
              for (let c = 0; c < C; c++) {
                let s = 0;
                for (let q = 0; q < m; q++) s += dyv[dyBase + c * m + q] * w[wBase + c * m + q];
                dx[dxBase + c] += s;
              }
            }
          }
        }
      }
    }
  }
  return dxInfo;
}
