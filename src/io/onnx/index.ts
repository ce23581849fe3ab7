export { exportOnnx, writeOnnx, checkOnnxExportable, unsupportedOnnxLayers, type OnnxExportOptions, type OnnxInputLayout } from './export.js';
export { ONNX_EMITTERS } from './emitters.js';
export { ONNX_OPSET, OnnxGraphBuilder, type OnnxValue } from './graph.js';
export type { OnnxEmitContext, OnnxLayerEmitter, OnnxEmitterTable } from './emitter.js';
export { loadOnnxRuntime, verifyOnnx, type VerifyOptions } from './runtime.js';
