/** Training: loop, optimisers, schedules, checkpoints, evaluation. */
export * from './types.js';
export { trainModel, defaultLoss } from './loop.js';
export { createOptimizer, isDecayed, validateOptimizerSpec, type OptimizerSpec, type OptimizerName, type TrainOptimizer, type TrainableVar } from './optimizers.js';
export { learningRateAt, validateSchedule, type ScheduleSpec, type ScheduleKind, type ScheduleUnit, type ScheduleContext } from './schedules.js';
export { evaluate, predictLogits, softmaxCrossEntropy, countCorrect, forwardLogits, type EvalResult } from './evaluate.js';
export { writeCheckpoint, findLatestCheckpoint, restoreCheckpoint, listCheckpoints, type CheckpointState } from './checkpoint.js';
