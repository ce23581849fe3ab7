/**
 * Merge layers → ONNX elementwise ops with numpy broadcasting: Add → Sum, Multiply → Mul chain,
 * Average → Mean, Maximum → Max, Minimum → Min; Concatenate → Concat on the Keras
 * axis mapped to the graph layout (the channel axis of a rank-4 value is ONNX axis 1).
 * Inputs of different ranks (TF.js broadcasting by expanding dims) are not supported.
 */
import type { OnnxEmitContext, OnnxEmitterTable } from '../emitter.js';
import { onnxAxis } from '../emitter.js';
import type { OnnxValue } from '../graph.js';

function broadcastShape(inputs: OnnxValue[], ctx: OnnxEmitContext): (number | null)[] {
  const rank = inputs[0].shape.length;
  if (inputs.some((v) => v.shape.length !== rank)) ctx.fail(`inputs of different ranks [${inputs.map((v) => v.shape.length)}] are not supported`);
  return inputs[0].shape.map((_, i) => {
    const dims = inputs.map((v) => v.shape[i]);
    return dims.find((d) => d !== 1 && d !== null) ?? dims[0];
  });
}

function variadic(op: string) {
  return (inputs: OnnxValue[], ctx: OnnxEmitContext): OnnxValue[] => {
    if (inputs.length < 2) ctx.fail(`expected at least two inputs, got ${inputs.length}`);
    return [{ name: ctx.graph.node(op, inputs.map((v) => v.name), {}, ctx.layer.name), shape: broadcastShape(inputs, ctx) }];
  };
}

function chained(op: string) {
  return (inputs: OnnxValue[], ctx: OnnxEmitContext): OnnxValue[] => {
    if (inputs.length < 2) ctx.fail(`expected at least two inputs, got ${inputs.length}`);
    let acc = inputs[0].name;
    for (let i = 1; i < inputs.length; i++) acc = ctx.graph.node(op, [acc, inputs[i].name], {}, i === inputs.length - 1 ? ctx.layer.name : `${ctx.layer.name}/${i}`);
    return [{ name: acc, shape: broadcastShape(inputs, ctx) }];
  };
}

export const MERGE_EMITTERS: OnnxEmitterTable = {
  Add: variadic('Sum'),
  Average: variadic('Mean'),
  Maximum: variadic('Max'),
  Minimum: variadic('Min'),
  Multiply: chained('Mul'),
  Concatenate: (inputs, ctx) => {
    if (inputs.length < 2) ctx.fail(`expected at least two inputs, got ${inputs.length}`);
    const rank = inputs[0].shape.length;
    if (inputs.some((v) => v.shape.length !== rank)) ctx.fail('inputs of different ranks');
    const kAxis = Number(ctx.config.axis ?? -1);
    const a = kAxis < 0 ? kAxis + rank : kAxis;
    const shape = inputs[0].shape.slice();
    shape[a] = inputs.some((v) => v.shape[a] === null) ? null : inputs.reduce((s, v) => s + (v.shape[a] as number), 0);
    return [{ name: ctx.graph.node('Concat', inputs.map((v) => v.name), { axis: onnxAxis(a, rank) }, ctx.layer.name), shape }];
  },
};
