/**
 * Dense → ONNX Gemm (rank-2 input: y = x·W + b) or MatMul + Add on the last Keras axis for higher
 * ranks (a rank-4 value is NCHW inside the graph, so it is transposed to NHWC and back around it).
 */
import type { OnnxEmitterTable } from '../emitter.js';
import { single } from '../emitter.js';
import type { OnnxValue } from '../graph.js';
import { emitActivation } from './activation.js';

export const DENSE_EMITTERS: OnnxEmitterTable = {
  Dense: (inputs, ctx) => {
    const x = single(inputs, ctx);
    const g = ctx.graph;
    const k = ctx.requireWeight('kernel');
    const [, units] = k.shape;
    const w = ctx.initializer('kernel', k.data, k.shape);
    const b = ctx.weight('bias');
    const bName = b ? ctx.initializer('bias', b.data, [units]) : undefined;
    const shape = [...x.shape.slice(0, -1), units];
    let y: OnnxValue;
    if (x.shape.length === 2) {
      y = { name: g.node('Gemm', bName ? [x.name, w, bName] : [x.name, w], {}, ctx.layer.name), shape };
    } else {
      const rank4 = x.shape.length === 4;
      const xin = rank4 ? g.node('Transpose', [x.name], { perm: [0, 2, 3, 1] }, `${ctx.layer.name}/nhwc`) : x.name;
      let out = g.node('MatMul', [xin, w], {}, `${ctx.layer.name}/matmul`);
      if (bName) out = g.node('Add', [out, bName], {}, `${ctx.layer.name}/bias_add`);
      if (rank4) out = g.node('Transpose', [out], { perm: [0, 3, 1, 2] }, ctx.layer.name);
      y = { name: out, shape };
    }
    return [emitActivation(ctx.config.activation, y, ctx, `${ctx.layer.name}/act`)];
  },
};
