/**
 * Shape layers. Flatten and Reshape follow TF.js's NHWC element order: a rank-4 value (NCHW in the
 * graph) is transposed to NHWC before it is flattened/reshaped, and a rank-4 result is transposed back.
 * ZeroPadding2D → Pad (constant 0); Cropping2D → Slice; UpSampling2D → Resize with integer scales
 * (nearest: asymmetric coordinates, floor — TF.js's resizeNearestNeighbor; bilinear: asymmetric linear —
 * resizeBilinear without align-corners / half-pixel centres). Dropout-family layers are the identity
 * at inference and emit nothing.
 */
import type { OnnxEmitContext, OnnxEmitterTable } from '../emitter.js';
import { pair, requireChannelsLast, single } from '../emitter.js';
import type { AttrValue, OnnxValue } from '../graph.js';

function toNhwc(x: OnnxValue, ctx: OnnxEmitContext): string {
  return x.shape.length === 4 ? ctx.graph.node('Transpose', [x.name], { perm: [0, 2, 3, 1] }, `${ctx.layer.name}/nhwc`) : x.name;
}

function product(dims: (number | null)[]): number | null {
  return dims.some((d) => d === null) ? null : (dims as number[]).reduce((a, b) => a * b, 1);
}

const identity = (inputs: OnnxValue[], ctx: OnnxEmitContext): OnnxValue[] => [single(inputs, ctx)];

function pads2d(v: unknown, ctx: OnnxEmitContext, what: string): [[number, number], [number, number]] {
  if (typeof v === 'number') return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2) {
    const ax = (e: unknown): [number, number] => (typeof e === 'number' ? [e, e] : pair(e, what, ctx));
    return [ax(v[0]), ax(v[1])];
  }
  return ctx.fail(`${what} must be a number, a pair or a pair of pairs, got ${JSON.stringify(v)}`);
}

export const SHAPE_EMITTERS: OnnxEmitterTable = {
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  AlphaDropout: identity,
  GaussianDropout: identity,
  GaussianNoise: identity,
  Flatten: (inputs, ctx) => {
    const x = single(inputs, ctx);
    if (x.shape.length === 2) return [x];
    const name = ctx.graph.node('Flatten', [toNhwc(x, ctx)], { axis: 1 }, ctx.layer.name);
    return [{ name, shape: [x.shape[0], product(x.shape.slice(1))] }];
  },
  Reshape: (inputs, ctx) => {
    const x = single(inputs, ctx);
    const target = ctx.config.targetShape ?? ctx.config.target_shape;
    // TF.js stores the free dimension (-1) as null
    if (!Array.isArray(target) || target.some((d) => typeof d !== 'number' && d !== null)) ctx.fail(`targetShape ${JSON.stringify(target)} is not a list of numbers`);
    const t = (target as (number | null)[]).map((d) => d ?? -1);
    const known = product(x.shape.slice(1));
    const dims = t.slice();
    const free = dims.indexOf(-1);
    if (free >= 0) {
      if (known === null) ctx.fail('a -1 in targetShape needs a fully known input shape');
      dims[free] = (known as number) / dims.filter((d, i) => i !== free).reduce((a, b) => a * b, 1);
    }
    const g = ctx.graph;
    let out = g.node('Reshape', [toNhwc(x, ctx), g.int64(`${ctx.layer.name}/shape`, [0, ...t])], {}, `${ctx.layer.name}/reshape`);
    if (dims.length === 3) out = g.node('Transpose', [out], { perm: [0, 3, 1, 2] }, ctx.layer.name);
    return [{ name: out, shape: [x.shape[0], ...dims] }];
  },
  ZeroPadding2D: (inputs, ctx) => {
    const x = single(inputs, ctx);
    requireChannelsLast(ctx);
    if (x.shape.length !== 4) ctx.fail(`expected a rank-4 input, got shape [${x.shape}]`);
    const [[t, b], [l, r]] = pads2d(ctx.config.padding ?? 1, ctx, 'padding');
    const g = ctx.graph;
    const name = g.node('Pad', [x.name, g.int64(`${ctx.layer.name}/pads`, [0, 0, t, l, 0, 0, b, r])], { mode: 'constant' }, ctx.layer.name);
    const [n, h, w, c] = x.shape;
    return [{ name, shape: [n, h === null ? null : h + t + b, w === null ? null : w + l + r, c] }];
  },
  Cropping2D: (inputs, ctx) => {
    const x = single(inputs, ctx);
    requireChannelsLast(ctx);
    const [n, hh, ww, c] = x.shape;
    if (x.shape.length !== 4 || hh === null || ww === null) return ctx.fail(`expected a rank-4 input with known height and width, got [${x.shape}]`);
    const [h, w] = [hh, ww];
    const [[t, b], [l, r]] = pads2d(ctx.config.cropping ?? 0, ctx, 'cropping');
    const g = ctx.graph;
    const name = g.node('Slice', [x.name, g.int64(`${ctx.layer.name}/starts`, [t, l]), g.int64(`${ctx.layer.name}/ends`, [h - b, w - r]), g.int64(`${ctx.layer.name}/axes`, [2, 3])], {}, ctx.layer.name);
    return [{ name, shape: [n, h - t - b, w - l - r, c] }];
  },
  UpSampling2D: (inputs, ctx) => {
    const x = single(inputs, ctx);
    requireChannelsLast(ctx);
    if (x.shape.length !== 4) ctx.fail(`expected a rank-4 input, got shape [${x.shape}]`);
    const [sh, sw] = pair(ctx.config.size ?? 2, 'size', ctx);
    const interp = ctx.config.interpolation ?? 'nearest';
    if (interp !== 'nearest' && interp !== 'bilinear') ctx.fail(`interpolation '${String(interp)}' is not supported`);
    const g = ctx.graph;
    const scales = g.float(`${ctx.layer.name}/scales`, Float32Array.of(1, 1, sh, sw), [4]);
    const attrs: Record<string, AttrValue> =
      interp === 'nearest'
        ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
        : { mode: 'linear', coordinate_transformation_mode: 'asymmetric' };
    const name = g.node('Resize', [x.name, '', scales], attrs, ctx.layer.name);
    const [n, h, w, c] = x.shape;
    return [{ name, shape: [n, h === null ? null : h * sh, w === null ? null : w * sw, c] }];
  },
};
