/** The ONNX emitter table: every supported Keras class name → its emitter (one file per layer family). */
import type { OnnxEmitterTable } from './emitter.js';
import { ACTIVATION_EMITTERS } from './layers/activation.js';
import { CONV_EMITTERS } from './layers/conv.js';
import { DENSE_EMITTERS } from './layers/dense.js';
import { MERGE_EMITTERS } from './layers/merge.js';
import { NORMALIZATION_EMITTERS } from './layers/normalization.js';
import { POOLING_EMITTERS } from './layers/pooling.js';
import { SHAPE_EMITTERS } from './layers/shape.js';

export const ONNX_EMITTERS: OnnxEmitterTable = Object.freeze({
  ...CONV_EMITTERS,
  ...DENSE_EMITTERS,
  ...NORMALIZATION_EMITTERS,
  ...ACTIVATION_EMITTERS,
  ...POOLING_EMITTERS,
  ...MERGE_EMITTERS,
  ...SHAPE_EMITTERS,
});
