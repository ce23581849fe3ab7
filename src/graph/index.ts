/** The channel graph and the layer-handler registry (which layer feeds which unit; per-class slicing and cost). */
export * from './handler.js';
export * from './channel-graph.js';
export * from './flatten-nested.js';
export { layerCost, layerCostAt } from './cost.js';
export * from './select-outputs.js';
export * from './prepare.js';
