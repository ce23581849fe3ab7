/**
 * Learning-rate schedules as pure functions of the training step.
 *
 * Time is counted in `unit`s: 'epoch' (default; the rate is constant within an epoch, like a PyTorch
 * scheduler stepped once per epoch) or 'step' (changes every optimiser step). With unit 'epoch',
 * t = floor(step / stepsPerEpoch).
 *
 * - constant: lr(t) = base
 * - step:     lr(t) = base · gamma^(number of milestones ≤ t)               (PyTorch MultiStepLR)
 * - cosine:   lr(t) = min + (base − min)·(1 + cos(π·t'/T'))/2, lr = min for t' ≥ T'
 *             with t' = t − warmup, T' = total − warmup (PyTorch CosineAnnealingLR when warmup = 0)
 * - warmup (any kind): for t < warmup, lr(t) = base · (t + 1)/warmup (linear; the first step is not 0).
 *   The step schedule's milestones count from t = 0 (not from the end of the warmup).
 */

export type ScheduleKind = 'constant' | 'step' | 'cosine';
export type ScheduleUnit = 'epoch' | 'step';

export interface ScheduleSpec {
  kind: ScheduleKind;
  /** Default 'epoch'. */
  unit?: ScheduleUnit;
  /** step: times (in units) at which lr is multiplied by gamma. */
  milestones?: number[];
  /** step: multiplier at each milestone (default 0.1). */
  gamma?: number;
  /** cosine: schedule length in units (default: the whole training run). */
  total?: number;
  /** cosine: final learning rate (default 0). */
  minLr?: number;
  /** Linear warmup length in units (default 0). */
  warmup?: number;
}

export interface ScheduleContext {
  /** Optimiser steps per epoch (needed for unit 'epoch'). */
  stepsPerEpoch: number;
  /** Total optimiser steps of the run (default length of a cosine schedule). */
  totalSteps: number;
}

/** Checks a schedule spec; throws an error naming the bad field. */
export function validateSchedule(spec: ScheduleSpec): void {
  const where = `schedule '${spec.kind}'`;
  if (!['constant', 'step', 'cosine'].includes(spec.kind)) {
    throw new Error(`unknown schedule kind '${spec.kind}'; use constant, step or cosine`);
  }
  if (spec.unit !== undefined && spec.unit !== 'epoch' && spec.unit !== 'step') {
    throw new Error(`${where}: unit must be 'epoch' or 'step', got '${spec.unit}'`);
  }
  if (spec.warmup !== undefined && !(spec.warmup >= 0)) throw new Error(`${where}: warmup must be ≥ 0`);
  if (spec.kind === 'step') {
    if (!Array.isArray(spec.milestones) || spec.milestones.some((m) => !Number.isFinite(m))) {
      throw new Error(`${where}: needs milestones, e.g. [100, 150]`);
    }
    if (spec.gamma !== undefined && !(spec.gamma >= 0)) throw new Error(`${where}: gamma must be ≥ 0`);
  }
  if (spec.kind === 'cosine') {
    if (spec.total !== undefined && !(spec.total > 0)) throw new Error(`${where}: total must be > 0`);
    if (spec.minLr !== undefined && !(spec.minLr >= 0)) throw new Error(`${where}: minLr must be ≥ 0`);
  }
}

/** The learning rate for optimiser step `step` (0-based). */
export function learningRateAt(spec: ScheduleSpec | undefined, baseLr: number, step: number, ctx: ScheduleContext): number {
  if (!spec) return baseLr;
  const unit = spec.unit ?? 'epoch';
  const perUnit = unit === 'epoch' ? Math.max(1, ctx.stepsPerEpoch) : 1;
  const t = Math.floor(step / perUnit);
  const warmup = spec.warmup ?? 0;
  if (t < warmup) return (baseLr * (t + 1)) / warmup;
  switch (spec.kind) {
    case 'constant':
      return baseLr;
    case 'step': {
      const gamma = spec.gamma ?? 0.1;
      const passed = (spec.milestones ?? []).filter((m) => m <= t).length;
      return baseLr * Math.pow(gamma, passed);
    }
    case 'cosine': {
      const total = spec.total ?? ctx.totalSteps / perUnit;
      const minLr = spec.minLr ?? 0;
      const span = total - warmup;
      const tt = t - warmup;
      if (span <= 0 || tt >= span) return minLr;
      return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * tt) / span))) / 2;
    }
    default:
      throw new Error(`unknown schedule kind '${(spec as ScheduleSpec).kind}'`);
  }
}

/**
 * The schedule for a run that is cut at `steps` optimiser steps (a `maxSteps` budget): a cosine
 * without an explicit `total` spans exactly those steps, in the schedule's unit, instead of the
 * whole epochs the loop was asked for. Other schedules are returned as they are.
 */
export function scheduleForSteps(spec: ScheduleSpec | undefined, steps: number, stepsPerEpoch: number): ScheduleSpec | undefined {
  if (!spec || spec.kind !== 'cosine' || spec.total !== undefined) return spec;
  const perUnit = (spec.unit ?? 'epoch') === 'epoch' ? Math.max(1, stepsPerEpoch) : 1;
  return { ...spec, total: steps / perUnit };
}
