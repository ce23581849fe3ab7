/**
 * MaxPooling2D / AveragePooling2D → MaxPool / AveragePool with TF's padding as explicit pads (average
 * pooling excludes padded cells, count_include_pad = 0, as TF does); GlobalAveragePooling2D /
 * GlobalMaxPooling2D → GlobalAveragePool / GlobalMaxPool then Flatten to [N, C].
 */
import type { OnnxEmitContext, OnnxEmitterTable } from '../emitter.js';
import { pair, requireChannelsLast, single } from '../emitter.js';
import type { OnnxValue } from '../graph.js';
import { tfPads } from './conv.js';

function pool(op: 'MaxPool' | 'AveragePool') {
  return (inputs: OnnxValue[], ctx: OnnxEmitContext): OnnxValue[] => {
    const x = single(inputs, ctx);
    requireChannelsLast(ctx);
    if (x.shape.length !== 4) ctx.fail(`expected a rank-4 input, got shape [${x.shape}]`);
    const kernel = pair(ctx.config.poolSize ?? ctx.config.pool_size ?? 2, 'poolSize', ctx);
    const strides = pair(ctx.config.strides ?? kernel, 'strides', ctx);
    const [h, w] = [x.shape[1], x.shape[2]];
    if (h === null || w === null) ctx.fail('input height and width must be known');
    const { pads, outHW } = tfPads(ctx.config.padding ?? 'valid', [h, w], kernel, strides, [1, 1], ctx);
    const attrs = { kernel_shape: kernel, strides, pads, ...(op === 'AveragePool' ? { count_include_pad: 0 } : {}) };
    return [{ name: ctx.graph.node(op, [x.name], attrs, ctx.layer.name), shape: [x.shape[0], ...outHW, x.shape[3]] }];
  };
}

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool') {
  return (inputs: OnnxValue[], ctx: OnnxEmitContext): OnnxValue[] => {
    const x = single(inputs, ctx);
    requireChannelsLast(ctx);
    if (x.shape.length !== 4) ctx.fail(`expected a rank-4 input, got shape [${x.shape}]`);
    if (ctx.config.keepDims === true || ctx.config.keepdims === true) ctx.fail('keepDims is not supported');
    const g = ctx.graph.node(op, [x.name], {}, `${ctx.layer.name}/pool`);
    return [{ name: ctx.graph.node('Flatten', [g], { axis: 1 }, ctx.layer.name), shape: [x.shape[0], x.shape[3]] }];
  };
}

export const POOLING_EMITTERS: OnnxEmitterTable = {
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
};
