/** Public entry of the model zoo. */
export { createModel, isZooModelName, listModels, type ZooModelInfo, type ZooModelName } from './zoo.js';
export type { ZooOptions } from './types.js';
export { kernelFans, initializersFor, type InitScheme } from './init.js';
