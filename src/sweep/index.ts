/** Sweeps: recipes → deterministic, resumable jobs; local worker processes or BullMQ/Redis workers; reports. */
export * from './recipe.js';
export * from './jobs.js';
export * from './store.js';
export * from './run-job.js';
export * from './local.js';
export * from './redis.js';
export * from './report.js';
export * from './structured-rates.js';
