/**
 * Sweep recipes: read a JSON file, apply the `--quick` overrides, validate against RECIPE_SCHEMA
 * (ajv, all errors), check cross-references (an experiment's `dense` names a dense net), and return
 * a typed recipe. Errors name the file and the JSON pointer of the offending field.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import type { CriterionName } from '../structured/criteria/types.js';
import type { KdMode } from '../distill/curriculum.js';
import type { ZooModelName } from '../models/index.js';
import { validateSchedule, type ScheduleSpec } from '../train/schedules.js';
import { RECIPE_SCHEMA } from './recipe-schema.js';

export interface OptimizerRecipe {
  name: 'adam' | 'sgd';
  lr: number;
  momentum?: number;
}

export interface DenseRecipe {
  model: ZooModelName;
  widthMultiplier?: number;
  steps: number;
  batchSize: number;
  optimizer: OptimizerRecipe;
  /** Learning-rate schedule over the `steps` (train/schedules.ts; default constant). */
  schedule?: ScheduleSpec;
  /** Precondition: the converged dense net reaches at least this test accuracy. */
  minAccuracy?: number;
}

interface ExperimentBase {
  name: string;
  dense: string;
  /** false: listed (e.g. waiting for a feature) but not expanded into jobs. */
  enabled?: boolean;
  note?: string;
}

export interface UnstructuredRecipe extends ExperimentBase {
  kind: 'unstructured';
  methods: string[];
  its?: number[];
  perIteration?: number[];
  sparsities?: number[];
  finetune: { steps: number; batchSize: number; optimizer: OptimizerRecipe };
  actSamples?: number;
}

export interface StructuredRecipe extends ExperimentBase {
  kind: 'structured';
  criteria: CriterionName[];
  reductions: number[];
  /** Never prune the last N prunable groups (the reference leaves VGG's last conv intact). */
  protectLast?: number;
  /** ResNet: prune only each block's inner channels (conv1 outputs). */
  innerOnly?: boolean;
  /**
   * 'per-layer' (default): one rate for every allowed group, found for the MACs target.
   * 'global': rank mean-normalised channel scores across the allowed groups until the MACs target
   * is met (src/structured/budget.ts, Torch-Pruning's global pruning); per-group rates come out uneven.
   */
  ranking?: 'per-layer' | 'global';
  calibBatches?: number;
  calibBatchSize?: number;
  /**
   * Also measure accuracy right after pruning with BN statistics re-estimated on this many calibration batches of
   * calibBatchSize training images (train/bn-recalibration.ts; default 20, 0: not measured). Fine-tuning still
   * starts from the copied statistics.
   */
  bnRecalBatches?: number;
  finetune: { epochs: number; stepsPerEpoch?: number; batchSize?: number; lr?: number };
}

export interface FourierRecipe extends ExperimentBase {
  kind: 'fourier';
  sparsities: number[];
  stage1: { q?: number; roundEpochs?: number; roundStepsPerEpoch?: number; batchSize: number; optimizer: OptimizerRecipe };
  stage2: {
    methods: KdMode[];
    epochs: number;
    stepsPerEpoch?: number;
    batchSize: number;
    optimizer: OptimizerRecipe;
    alpha?: number;
    tau?: number;
    kMax?: number;
    cutoffFraction?: number;
    anchors?: number;
    perRow?: boolean;
  };
  /** Test images used for the band-error diagnostics (0 = off; default 500). */
  analysisSamples?: number;
}

export type ExperimentRecipe = UnstructuredRecipe | StructuredRecipe | FourierRecipe;

export interface Recipe {
  name: string;
  description?: string;
  dataset: string;
  limitTrain?: number;
  limitTest?: number;
  seeds: number[];
  dense: Record<string, DenseRecipe>;
  experiments: ExperimentRecipe[];
  quick?: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Deep merge for the quick overrides: objects merge key by key; arrays and scalars replace.
 * `experiments` may be overridden per experiment by an object keyed by experiment name.
 */
export function mergeOverrides(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === 'experiments' && Array.isArray(base.experiments) && isObject(v)) {
      out.experiments = (base.experiments as unknown[]).map((e) => (isObject(e) && typeof e.name === 'string' && v[e.name] !== undefined ? mergeOverrides(e, v[e.name]) : e));
      continue;
    }
    out[k] = k in base ? mergeOverrides(base[k], v) : v;
  }
  return out;
}

let validator: ReturnType<Ajv['compile']> | undefined;

function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${at}: unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === 'enum') return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${at}: ${e.message ?? e.keyword}`;
}

/** Validates a parsed recipe object; `where` names it in errors. Throws one message listing every problem. */
export function validateRecipe(raw: unknown, where = 'recipe'): Recipe {
  validator ??= new Ajv({ allErrors: true, discriminator: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(RECIPE_SCHEMA);
  if (!validator(raw)) {
    const errs = (validator.errors ?? []).filter((e) => e.keyword !== 'oneOf' || (validator!.errors ?? []).length === 1);
    const lines = [...new Set(errs.map(describe))];
    throw new Error(`${where}: invalid recipe:\n  ${lines.join('\n  ')}`);
  }
  const r = raw as Recipe;
  const problems: string[] = [];
  for (const [name, d] of Object.entries(r.dense)) {
    if (!d.schedule) continue;
    try {
      validateSchedule(d.schedule);
    } catch (e) {
      problems.push(`/dense/${name}/schedule: ${(e as Error).message}`);
    }
  }
  r.experiments.forEach((e, i) => {
    if (!(e.dense in r.dense)) problems.push(`/experiments/${i}/dense: '${e.dense}' is not a key of /dense (have: ${Object.keys(r.dense).join(', ')})`);
    if (e.kind === 'unstructured') {
      if ((e.its === undefined) === (e.sparsities === undefined)) problems.push(`/experiments/${i}: give exactly one of 'its' (with 'perIteration') or 'sparsities'`);
      if (e.its && e.perIteration === undefined) problems.push(`/experiments/${i}/perIteration: required with 'its'`);
    }
  });
  const names = r.experiments.map((e) => e.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) problems.push(`/experiments/${i}/name: '${n}' is used twice`);
  });
  if (problems.length > 0) throw new Error(`${where}: invalid recipe:\n  ${problems.join('\n  ')}`);
  return r;
}

/** Reads, applies `quick` overrides when asked, and validates a recipe file. */
export function loadRecipe(path: string, opts: { quick?: boolean } = {}): Recipe {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read recipe '${path}': ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`recipe '${path}' is not valid JSON: ${(e as Error).message}`);
  }
  if (opts.quick) {
    if (!isObject(raw) || !isObject(raw.quick)) throw new Error(`recipe '${path}' has no "quick" overrides; run without --quick`);
    raw = { ...(mergeOverrides(raw, raw.quick) as Record<string, unknown>), name: `${String(raw.name)}-quick` };
  }
  const r = validateRecipe(raw, `recipe '${path}'${opts.quick ? ' (with its quick overrides)' : ''}`);
  return r;
}
