/** Structured (filter) pruning: channel graph, criteria, rates, surgery, BN folding. */
export * from './graph.js';
export * from './surgery.js';
export * from './rates.js';
export * from './cost.js';
export * from './budget.js';
export * from './fold-bn.js';
export * from './fuse-activations.js';
export * from './prune-filters.js';
export * from './criteria/index.js';
export * from './record.js';
export * from './replay.js';
export * from './rates-file.js';
export * from './sensitivity.js';
export * from './iterative.js';
