/** Unstructured pruning: layers, masks, scores, rules, methods, schedules, records. */
export * from './layers.js';
export * from './masks.js';
export * from './rules.js';
export * from './methods.js';
export * from './compute.js';
export * from './prune.js';
export * from './record.js';
export * from './schedules.js';
export type { ScoreContext, ScoreOptions, Scorer } from './scores/context.js';
export { magnitudeScores } from './scores/magnitude.js';
export { randomScores } from './scores/random.js';
export { lapScores, bnFactorSquared } from './scores/lap.js';
export { obdScores } from './scores/obd.js';
export { activationFactors } from './scores/activation.js';
export * from './pipeline.js';
export * from './gradual.js';
export * from './report.js';
export * from './data-free.js';
