/**
 * Activations: the `activation` config of Conv/Dense layers and the Activation, ReLU, LeakyReLU, ELU,
 * Softmax, PReLU layers. Mapping (TF.js definition → ONNX): relu → Relu; relu6 → Clip(0, 6);
 * sigmoid → Sigmoid; tanh → Tanh; softmax (last axis) → Softmax(axis); swish x·σ(x) → Mul(x, Sigmoid x);
 * hard_sigmoid clip(0.2x + 0.5, 0, 1) → HardSigmoid(0.2, 0.5); hard_swish x·relu6(x + 3)/6 → HardSwish;
 * elu → Elu(1); selu → Selu; softplus → Softplus; softsign → Softsign; mish x·tanh(softplus x);
 * gelu (erf form) → 0.5·x·(1 + erf(x/√2)); linear → nothing.
 */
import type { OnnxEmitContext, OnnxEmitterTable } from '../emitter.js';
import { onnxAxis, single } from '../emitter.js';
import type { OnnxValue } from '../graph.js';

export const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'swish', 'hard_sigmoid', 'hard_swish', 'elu', 'selu', 'softplus', 'softsign', 'mish', 'gelu'] as const;

function scalar(ctx: OnnxEmitContext, hint: string, v: number): string {
  return ctx.graph.float(hint, Float32Array.of(v), []);
}

/** Applies the named activation to `x`; returns the new value (or `x` for linear). */
export function emitActivation(name: unknown, x: OnnxValue, ctx: OnnxEmitContext, hint: string): OnnxValue {
  const g = ctx.graph;
  const a = typeof name === 'string' ? name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase() : name;
  const out = (n: string): OnnxValue => ({ name: n, shape: x.shape });
  switch (a) {
    case undefined:
    case null:
    case 'linear':
      return x;
    case 'relu':
      return out(g.node('Relu', [x.name], {}, hint));
    case 'relu6':
      return out(g.node('Clip', [x.name, scalar(ctx, `${hint}/min`, 0), scalar(ctx, `${hint}/max`, 6)], {}, hint));
    case 'sigmoid':
      return out(g.node('Sigmoid', [x.name], {}, hint));
    case 'tanh':
      return out(g.node('Tanh', [x.name], {}, hint));
    case 'softmax':
      return out(g.node('Softmax', [x.name], { axis: onnxAxis(-1, x.shape.length) }, hint));
    case 'swish':
      return out(g.node('Mul', [x.name, g.node('Sigmoid', [x.name], {}, `${hint}/sigmoid`)], {}, hint));
    case 'hard_sigmoid':
      return out(g.node('HardSigmoid', [x.name], { alpha: { float: 0.2 }, beta: { float: 0.5 } }, hint));
    case 'hard_swish':
      return out(g.node('HardSwish', [x.name], {}, hint));
    case 'elu':
      return out(g.node('Elu', [x.name], { alpha: { float: 1 } }, hint));
    case 'selu':
      return out(g.node('Selu', [x.name], {}, hint));
    case 'softplus':
      return out(g.node('Softplus', [x.name], {}, hint));
    case 'softsign':
      return out(g.node('Softsign', [x.name], {}, hint));
    case 'mish':
      return out(g.node('Mul', [x.name, g.node('Tanh', [g.node('Softplus', [x.name], {}, `${hint}/softplus`)], {}, `${hint}/tanh`)], {}, hint));
    case 'gelu': {
      const e = g.node('Erf', [g.node('Mul', [x.name, scalar(ctx, `${hint}/rsqrt2`, Math.SQRT1_2)], {}, `${hint}/scaled`)], {}, `${hint}/erf`);
      const h = g.node('Mul', [x.name, g.node('Add', [e, scalar(ctx, `${hint}/one`, 1)], {}, `${hint}/1p`)], {}, `${hint}/xe`);
      return out(g.node('Mul', [h, scalar(ctx, `${hint}/half`, 0.5)], {}, hint));
    }
    default:
      return ctx.fail(`activation '${String(name)}' has no ONNX mapping (supported: ${ACTIVATIONS.join(', ')})`);
  }
}

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}

export const ACTIVATION_EMITTERS: OnnxEmitterTable = {
  Activation: (inputs, ctx) => [emitActivation(ctx.config.activation, single(inputs, ctx), ctx, ctx.layer.name)],
  ReLU: (inputs, ctx) => {
    const x = single(inputs, ctx);
    const max = ctx.config.maxValue ?? ctx.config.max_value;
    if (max === undefined || max === null) return [emitActivation('relu', x, ctx, ctx.layer.name)];
    const g = ctx.graph;
    const name = g.node('Clip', [x.name, g.float(`${ctx.layer.name}/min`, Float32Array.of(0), []), g.float(`${ctx.layer.name}/max`, Float32Array.of(Number(max)), [])], {}, ctx.layer.name);
    return [{ name, shape: x.shape }];
  },
  LeakyReLU: (inputs, ctx) => {
    const x = single(inputs, ctx);
    return [{ name: ctx.graph.node('LeakyRelu', [x.name], { alpha: { float: num(ctx.config.alpha, 0.3) } }, ctx.layer.name), shape: x.shape }];
  },
  ELU: (inputs, ctx) => {
    const x = single(inputs, ctx);
    return [{ name: ctx.graph.node('Elu', [x.name], { alpha: { float: num(ctx.config.alpha, 1) } }, ctx.layer.name), shape: x.shape }];
  },
  Softmax: (inputs, ctx) => {
    const x = single(inputs, ctx);
    const axis = ctx.config.axis;
    const ax = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : ctx.fail('softmax over several axes is not supported')) : num(axis, -1);
    return [{ name: ctx.graph.node('Softmax', [x.name], { axis: onnxAxis(ax as number, x.shape.length) }, ctx.layer.name), shape: x.shape }];
  },
};
