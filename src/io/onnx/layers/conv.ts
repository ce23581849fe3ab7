/**
 * Conv2D, DepthwiseConv2D, SeparableConv2D → ONNX Conv (NCHW).
 * Kernels: Conv2D HWIO [kh,kw,ci,co] → OIHW; DepthwiseConv2D [kh,kw,ci,m] → [ci·m, 1, kh, kw] with
 * group = ci (TF's output channel c·m + j comes from input channel c, as ONNX's groups); separable =
 * depthwise (no bias) then a 1×1 Conv with the bias. TF 'same' padding as explicit pads: output
 * ⌈in/stride⌉, total pad max((out−1)·s + (k−1)·d + 1 − in, 0), the smaller half before.
 */
import type { OnnxEmitContext, OnnxEmitterTable } from '../emitter.js';
import { pair, requireChannelsLast, single } from '../emitter.js';
import type { OnnxValue } from '../graph.js';
import { emitActivation } from './activation.js';

/** Row-major transpose of `data` with shape `shape` by permutation `perm`. */
export function transposeData(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += idx[k] * strides[k];
    out[o] = data[src];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** Explicit ONNX pads [top, left, bottom, right] and output size for TF padding 'same' / 'valid'. */
export function tfPads(
  padding: unknown,
  inHW: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number],
  ctx: OnnxEmitContext,
): { pads: number[]; outHW: [number, number] } {
  const pads = [0, 0, 0, 0];
  const outHW: [number, number] = [0, 0];
  for (let a = 0; a < 2; a++) {
    const eff = (kernel[a] - 1) * dilation[a] + 1;
    if (padding === 'same') {
      const out = Math.ceil(inHW[a] / strides[a]);
      const total = Math.max((out - 1) * strides[a] + eff - inHW[a], 0);
      pads[a] = Math.floor(total / 2);
      pads[a + 2] = total - pads[a];
      outHW[a] = out;
    } else if (padding === 'valid') {
      outHW[a] = Math.floor((inHW[a] - eff) / strides[a]) + 1;
    } else {
      ctx.fail(`padding '${String(padding)}' is not supported (same or valid)`);
    }
  }
  return { pads, outHW };
}

function spatial(x: OnnxValue, ctx: OnnxEmitContext): [number, number] {
  if (x.shape.length !== 4) ctx.fail(`expected a rank-4 input, got shape [${x.shape}]`);
  const [h, w] = [x.shape[1], x.shape[2]];
  if (h === null || w === null) ctx.fail('input height and width must be known');
  return [h, w];
}

interface ConvGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  pads: number[];
  outHW: [number, number];
}

function geometry(x: OnnxValue, kernel: [number, number], ctx: OnnxEmitContext): ConvGeometry {
  requireChannelsLast(ctx);
  const strides = pair(ctx.config.strides ?? 1, 'strides', ctx);
  const dilation = pair(ctx.config.dilationRate ?? ctx.config.dilation_rate ?? 1, 'dilationRate', ctx);
  const { pads, outHW } = tfPads(ctx.config.padding ?? 'valid', spatial(x, ctx), kernel, strides, dilation, ctx);
  return { kernel, strides, dilation, pads, outHW };
}

function convNode(ctx: OnnxEmitContext, x: string, w: string, b: string | undefined, g: ConvGeometry, group: number, hint: string): string {
  return ctx.graph.node('Conv', b ? [x, w, b] : [x, w], {
    kernel_shape: g.kernel,
    strides: g.strides,
    dilations: g.dilation,
    pads: g.pads,
    group,
  }, hint);
}

function bias(ctx: OnnxEmitContext): string | undefined {
  const b = ctx.weight('bias');
  return b ? ctx.initializer('bias', b.data, [b.data.length]) : undefined;
}

/** Depthwise filter [kh,kw,ci,m] → ONNX [ci·m, 1, kh, kw]. */
function depthwiseWeight(ctx: OnnxEmitContext, role: string): { name: string; kernel: [number, number]; channels: number } {
  const k = ctx.requireWeight(role);
  const [kh, kw, ci, m] = k.shape;
  const t = transposeData(k.data, [kh, kw, ci * m], [2, 0, 1]);
  return { name: ctx.initializer(role, t.data, [ci * m, 1, kh, kw]), kernel: [kh, kw], channels: ci };
}

export const CONV_EMITTERS: OnnxEmitterTable = {
  Conv2D: (inputs, ctx) => {
    const x = single(inputs, ctx);
    const k = ctx.requireWeight('kernel');
    const [kh, kw, , co] = k.shape;
    const groups = Number(ctx.config.groups ?? 1);
    const geo = geometry(x, [kh, kw], ctx);
    const t = transposeData(k.data, k.shape, [3, 2, 0, 1]);
    const w = ctx.initializer('kernel', t.data, t.shape);
    const y: OnnxValue = { name: convNode(ctx, x.name, w, bias(ctx), geo, groups, ctx.layer.name), shape: [x.shape[0], ...geo.outHW, co] };
    return [emitActivation(ctx.config.activation, y, ctx, `${ctx.layer.name}/act`)];
  },
  DepthwiseConv2D: (inputs, ctx) => {
    const x = single(inputs, ctx);
    const dw = depthwiseWeight(ctx, 'depthwise_kernel');
    const geo = geometry(x, dw.kernel, ctx);
    const co = ctx.requireWeight('depthwise_kernel').shape.slice(2).reduce((a, b) => a * b, 1);
    const y: OnnxValue = { name: convNode(ctx, x.name, dw.name, bias(ctx), geo, dw.channels, ctx.layer.name), shape: [x.shape[0], ...geo.outHW, co] };
    return [emitActivation(ctx.config.activation, y, ctx, `${ctx.layer.name}/act`)];
  },
  SeparableConv2D: (inputs, ctx) => {
    const x = single(inputs, ctx);
    const dw = depthwiseWeight(ctx, 'depthwise_kernel');
    const geo = geometry(x, dw.kernel, ctx);
    const mid = convNode(ctx, x.name, dw.name, undefined, geo, dw.channels, `${ctx.layer.name}/depthwise`);
    const pk = ctx.requireWeight('pointwise_kernel');
    const [, , ci, co] = pk.shape;
    const pt = transposeData(pk.data, pk.shape, [3, 2, 0, 1]);
    const pw = ctx.initializer('pointwise_kernel', pt.data, [co, ci, 1, 1]);
    const one: ConvGeometry = { kernel: [1, 1], strides: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0], outHW: geo.outHW };
    const y: OnnxValue = { name: convNode(ctx, mid, pw, bias(ctx), one, 1, ctx.layer.name), shape: [x.shape[0], ...geo.outHW, co] };
    return [emitActivation(ctx.config.activation, y, ctx, `${ctx.layer.name}/act`)];
  },
};
