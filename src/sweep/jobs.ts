/**
 * Expansion of a recipe into jobs: deterministic, self-contained units (everything a worker on
 * another machine needs is in the job), each producing one result file. Dense nets are jobs of
 * their own, trained once per (dense, seed) and shared by every job that depends on them;
 * Fourier stage-1 masks are shared by the stage-2 methods. Order: dependencies first.
 *
 *   dense-<dense>-s<seed>                        train the dense net (artifact: model folder)
 *   <exp>-s<seed>-<method>-it<k> | -sp<s>        unstructured: one-shot prune + fine-tune at one level
 *   <exp>-s<seed>-<criterion>-r<reduction>       structured: filter pruning at a MACs cut + fine-tune
 *   <exp>-s<seed>-sp<s>-masks                    fourier stage 1 (artifact: pruned student + masks)
 *   <exp>-s<seed>-sp<s>-<kd>                     fourier stage 2 with one KD mode
 */
import { createHash } from 'node:crypto';
import type { DenseRecipe, ExperimentRecipe, FourierRecipe, Recipe, StructuredRecipe, UnstructuredRecipe } from './recipe.js';

export interface DataSpec {
  dataset: string;
  limitTrain?: number;
  limitTest?: number;
}

interface JobBase {
  id: string;
  deps: string[];
  data: DataSpec;
  seed: number;
  /** Experiment name ('' for dense jobs). */
  experiment: string;
}

export interface DenseJob extends JobBase {
  kind: 'dense';
  dense: string;
  spec: DenseRecipe;
}
export interface UnstructuredJob extends JobBase {
  kind: 'unstructured';
  method: string;
  level: { it: number } | { sparsity: number };
  spec: Omit<UnstructuredRecipe, 'methods' | 'its' | 'sparsities'>;
}
export interface StructuredJob extends JobBase {
  kind: 'structured';
  criterion: string;
  reduction: number;
  spec: Omit<StructuredRecipe, 'criteria' | 'reductions'>;
}
export interface FourierMasksJob extends JobBase {
  kind: 'fourier-masks';
  sparsity: number;
  spec: Omit<FourierRecipe, 'sparsities' | 'stage2'>;
}
export interface FourierRetrainJob extends JobBase {
  kind: 'fourier-retrain';
  sparsity: number;
  method: string;
  spec: Omit<FourierRecipe, 'sparsities' | 'stage1'>;
}

export type Job = DenseJob | UnstructuredJob | StructuredJob | FourierMasksJob | FourierRetrainJob;

/** Canonical JSON (sorted keys) of a value. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Fingerprint of what a job computes (its spec, deps included): results are reused only when it matches. */
export function jobFingerprint(job: Job): string {
  return createHash('sha256').update(canonicalJson(job)).digest('hex').slice(0, 16);
}

const num = (x: number) => String(x);

export function denseJobId(dense: string, seed: number): string {
  return `dense-${dense}-s${seed}`;
}

function strip<T extends object, K extends keyof T>(o: T, keys: K[]): Omit<T, K> {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

/** Every job of the recipe, dependencies before dependants; ids are unique. */
export function expandRecipe(r: Recipe): Job[] {
  const data: DataSpec = { dataset: r.dataset, limitTrain: r.limitTrain, limitTest: r.limitTest };
  const jobs: Job[] = [];
  const active = r.experiments.filter((e) => e.enabled !== false);
  const usedDense = new Set(active.map((e) => e.dense));
  for (const name of Object.keys(r.dense)) {
    if (!usedDense.has(name)) continue;
    for (const seed of r.seeds) jobs.push({ kind: 'dense', id: denseJobId(name, seed), deps: [], data, seed, experiment: '', dense: name, spec: r.dense[name] });
  }
  for (const e of active) jobs.push(...experimentJobs(e, r.seeds, data));
  const seen = new Set<string>();
  for (const j of jobs) {
    if (seen.has(j.id)) throw new Error(`sweep: two jobs share the id '${j.id}'; rename an experiment`);
    seen.add(j.id);
  }
  return jobs;
}

/**
 * The order in which a scheduler takes ready jobs. 'listed': as expanded (every dense net first, then the
 * experiments). 'seed': one seed at a time (stable within a seed) — the first seed's complete results arrive
 * first, a pilot that shows whether the comparison can tell the methods apart before the other seeds are spent.
 * Both keep dependencies before dependants (a job depends only on jobs of its own seed).
 */
export type JobOrder = 'listed' | 'seed';

export function orderJobs(jobs: readonly Job[], order: JobOrder): Job[] {
  if (order === 'listed') return [...jobs];
  const seeds = [...new Set(jobs.map((j) => j.seed))];
  return seeds.flatMap((s) => jobs.filter((j) => j.seed === s));
}

function experimentJobs(e: ExperimentRecipe, seeds: number[], data: DataSpec): Job[] {
  const out: Job[] = [];
  for (const seed of seeds) {
    const base = { data, seed, experiment: e.name };
    const dense = denseJobId(e.dense, seed);
    if (e.kind === 'unstructured') {
      const levels: ({ it: number } | { sparsity: number })[] = e.its ? e.its.map((it) => ({ it })) : (e.sparsities ?? []).map((sparsity) => ({ sparsity }));
      const spec = strip(e, ['methods', 'its', 'sparsities']);
      for (const method of e.methods)
        for (const level of levels) {
          const label = 'it' in level ? `it${level.it}` : `sp${num(level.sparsity)}`;
          out.push({ ...base, kind: 'unstructured', id: `${e.name}-s${seed}-${method}-${label}`, deps: [dense], method, level, spec });
        }
    } else if (e.kind === 'structured') {
      const spec = strip(e, ['criteria', 'reductions']);
      for (const reduction of e.reductions)
        for (const criterion of e.criteria)
          out.push({ ...base, kind: 'structured', id: `${e.name}-s${seed}-${criterion}-r${num(reduction)}`, deps: [dense], criterion, reduction, spec });
    } else {
      for (const sparsity of e.sparsities) {
        const masks = `${e.name}-s${seed}-sp${num(sparsity)}-masks`;
        out.push({ ...base, kind: 'fourier-masks', id: masks, deps: [dense], sparsity, spec: strip(e, ['sparsities', 'stage2']) });
        for (const method of e.stage2.methods)
          out.push({ ...base, kind: 'fourier-retrain', id: `${e.name}-s${seed}-sp${num(sparsity)}-${method}`, deps: [dense, masks], sparsity, method, spec: strip(e, ['sparsities', 'stage1']) });
      }
    }
  }
  return out;
}
