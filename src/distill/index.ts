/** Knowledge distillation: KD loss, teacher cache, frequency curricula, the Fourier-guided two-stage pipeline. */
export * from './kd-loss.js';
export * from './teacher-cache.js';
export * from './curriculum.js';
export * from './fourier-prune.js';
export * from './report.js';
export * from './neighbours.js';
