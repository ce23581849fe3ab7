/**
 * prunekit — pruning for TensorFlow.js models.
 *
 * Flat exports cover the everyday entry points; each area is also available as a namespace
 * (`prune`, `structured`, `data`, `train`, …) with everything it exports.
 */
export { initBackend, currentBackend, type BackendInfo, type BackendOptions, type BackendName } from './backend/index.js';
export { loadDataset, type LoadDatasetOptions } from './data/registry.js';
export type { ImageSet, DatasetSplits } from './data/types.js';
export { createModel, listModels, type ZooModelName } from './models/index.js';
export { resolveModel } from './models/resolve.js';
export { trainModel, evaluate, predictLogits, createOptimizer } from './train/index.js';
export type { TrainOptions, TrainHistory, EpochLogs } from './train/index.js';
export { saveModel, loadModel } from './io/model-folder.js';
export { saveSparse, loadSparse } from './io/sparse.js';
export { sizeReport, type SizeReport } from './io/sparse-size.js';
export { countModel, formatCountTable } from './report/count.js';
export { pruneModel, computeMasks, maskEnforcer, applyMasks, MaskSet, replayRecord, METHOD_NAMES } from './prune/index.js';
export { pruneFilters, removeChannels, buildChannelGraph, foldBatchNorm } from './structured/index.js';
export { registerLayerHandler, getLayerHandler, registeredLayerClasses, flattenModel } from './graph/index.js';
export type { LayerHandler, LayerRole, LayerCost, CostIO, SliceIO, KernelFacet } from './graph/index.js';
export { replayStructuredRecord, readStructuredRecord, sensitivityAnalysis, sensitivityBudget, readRatesFile } from './structured/index.js';

export * as data from './data/index.js';
export * as models from './models/index.js';
export * as train from './train/index.js';
export * as prune from './prune/index.js';
export * as structured from './structured/index.js';
export * as graph from './graph/index.js';
export * as spectral from './spectral/index.js';
export * as distill from './distill/index.js';
export { fourierPrune, findMasks, retrainMasked, createDistillLoss, kdLoss } from './distill/index.js';
export { formatTable, formatReportText } from './report/table.js';
export { renderHtmlReport, writeHtmlReport } from './report/html.js';
export type { ReportDoc, ReportSection, ReportTable, ReportChart } from './report/doc.js';
export { runDemo } from './demo/index.js';
export { markdownTable } from './report/markdown.js';
export { exportOnnx, writeOnnx, checkOnnxExportable, ONNX_EMITTERS, type OnnxExportOptions, type OnnxLayerEmitter, type OnnxEmitterTable } from './io/onnx/index.js';
export { quantizeWeightData, WEIGHT_QUANTIZATIONS, type WeightQuantization } from './io/quantize.js';
export { fuseActivations, fusableActivations } from './structured/fuse-activations.js';
export { fusedPredict } from './models/fused-predict.js';
