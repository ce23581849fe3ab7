/**
 * BatchNormalization (inference) → ONNX BatchNormalization over the channel axis: y = γ·(x − μ)/√(σ² + ε) + β.
 * Only normalisation over the last Keras axis (channels) is exported; it is ONNX axis 1 for rank 2
 * ([N, C]) and rank 4 (NCHW inside the graph). Missing γ (scale: false) is 1, missing β (center: false) 0.
 * To fold BN into the preceding conv instead, export a model folded with `foldBatchNorm` first.
 */
import type { OnnxEmitterTable } from '../emitter.js';
import { single } from '../emitter.js';

export const NORMALIZATION_EMITTERS: OnnxEmitterTable = {
  BatchNormalization: (inputs, ctx) => {
    const x = single(inputs, ctx);
    const rank = x.shape.length;
    const axis = Number(ctx.config.axis ?? -1);
    if (!(axis === -1 || axis === rank - 1)) ctx.fail(`normalisation over axis ${axis} is not supported (channels, the last axis, only)`);
    if (rank !== 2 && rank !== 4) ctx.fail(`input rank ${rank} is not supported (2 or 4)`);
    const mean = ctx.requireWeight('moving_mean');
    const c = mean.data.length;
    const g = ctx.graph;
    const v = (role: string, dflt: number) => {
      const w = ctx.weight(role);
      return w ? ctx.initializer(role, w.data, [c]) : ctx.initializer(`${role}_default`, new Float32Array(c).fill(dflt), [c], { quantize: false });
    };
    const name = g.node(
      'BatchNormalization',
      [x.name, v('gamma', 1), v('beta', 0), v('moving_mean', 0), v('moving_variance', 1)],
      { epsilon: { float: Number(ctx.config.epsilon ?? 1e-3) } },
      ctx.layer.name,
    );
    return [{ name, shape: x.shape }];
  },
};
