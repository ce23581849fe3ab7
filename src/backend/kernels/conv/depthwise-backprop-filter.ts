/**
 * DepthwiseConv2dNativeBackpropFilter on wasm: a plain JS loop over the wasm heap (any channel
 * multiplier, strides, dilations, pads), accumulated in float64.
 * dW[ky,kx,c,q] = Σ_{b,oy,ox} x[b, oy·sH+ky·dH−pT, ox·sW+kx·dW−pL, c] · dy[b,oy,ox,c·m+q].
 */
import * as tf from '@tensorflow/tfjs';
import { convGeometry, assertDyShape, type ConvGradAttrs } from './geometry.js';
import { allocF32, viewF32, type Info, type WasmBackend } from './wasm-heap.js';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

interface Attrs extends ConvGradAttrs {
  filterShape: [number, number, number, number];
}

export function depthwiseBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): Info {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const a = args.attrs as unknown as Attrs;
  const g = convGeometry(NAME, x.shape, a.filterShape, a, true);
  assertDyShape(NAME, dy.shape, g, `depthwise conv of [${x.shape}] with filter [${a.filterShape}]`);
  const C = g.inC;
  const m = a.filterShape[3];
  const cm = C * m;
  const acc = new Float64Array(g.kH * g.kW * cm);
  const xv = viewF32(backend, x);
  const dyv = viewF32(backend, dy);
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const dyBase = ((b * g.outH + oy) * g.outW + ox) * cm;
        for (let ky = 0; ky < g.kH; ky++) {
          const y = oy * g.sH + ky * g.dH - g.padTop;
          if (y < 0 || y >= g.inH) continue;
          for (let kx = 0; kx < g.kW; kx++) {
            const xx = ox * g.sW + kx * g.dW - g.padLeft;
            if (xx < 0 || xx >= g.inW) continue;
            const xBase = ((b * g.inH + y) * g.inW + xx) * C;
            const aBase = (ky * g.kW + kx) * cm;
            if (m === 1) {
              for (let c = 0; c < C; c++) acc[aBase + c] += xv[xBase + c] * dyv[dyBase + c];
            } else {
              for (let c = 0; c < C; c++) {
                const v = xv[xBase + c];
                for (let q = 0; q < m; q++) acc[aBase + c * m + q] += v * dyv[dyBase + c * m + q];
              }
            }
          }
        }
      }
    }
  }
  const out = allocF32(backend, [g.kH, g.kW, C, m]);
  viewF32(backend, out).set(acc);
  return out;
}
