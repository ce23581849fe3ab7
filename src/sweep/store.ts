/**
 * A sweep's output folder: the single source of truth for what is done.
 *
 *   DIR/sweep.json             the recipe and job list of the last `prunekit sweep` on DIR
 *   DIR/results/<job>.json     one result per finished job (written atomically, last)
 *   DIR/failed/<job>.json      the error of a failed job (removed when it later succeeds)
 *   DIR/artifacts/<job>/       models and masks a job leaves for its dependants (a dense job's
 *                              checkpoint/ while it trains)
 *   DIR/.lock                  pid of the local sweep coordinator holding DIR
 *
 * A job is done when its result file exists and carries the job's fingerprint, so a sweep
 * killed at any point resumes with nothing lost and nothing done twice: artifacts are written
 * before the result, and the result is renamed into place in one step (io/atomic.ts).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { jobFingerprint, type Job } from './jobs.js';

export interface JobResult {
  id: string;
  kind: Job['kind'];
  fingerprint: string;
  /** Wall seconds of the job (its own work, not queueing). */
  seconds: number;
  finishedAt: string;
  worker: string;
  /** Kind-specific measurements. */
  metrics: Record<string, unknown>;
  /** Set when the result was imported from a published folder (`--resume-from`), not computed in this folder. */
  importedFrom?: string;
}

export interface JobFailure {
  id: string;
  fingerprint: string;
  error: string;
  worker: string;
  at: string;
}

export const resultsDir = (dir: string) => join(dir, 'results');
export const failedDir = (dir: string) => join(dir, 'failed');
export const artifactDir = (dir: string, id: string) => join(dir, 'artifacts', id);
/** Where a dense job keeps its per-epoch training checkpoint while it runs (removed once its model is saved). */
export const denseCheckpointDir = (dir: string, id: string) => join(artifactDir(dir, id), 'checkpoint');
const resultPath = (dir: string, id: string) => join(resultsDir(dir), `${id}.json`);

/** Job kinds whose artifacts later jobs load. */
export const isProducer = (kind: Job['kind']): boolean => kind === 'dense' || kind === 'fourier-masks';

/** The file a producer writes last (run-job.ts): its presence means the job's artifacts are complete. */
export const artifactMarker = (dir: string, job: Pick<Job, 'id' | 'kind'>): string =>
  join(artifactDir(dir, job.id), job.kind === 'fourier-masks' ? 'masks.json' : join('model', 'model.json'));
const failurePath = (dir: string, id: string) => join(failedDir(dir), `${id}.json`);

export function readResult(dir: string, id: string): JobResult | undefined {
  const p = resultPath(dir, id);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as JobResult;
  } catch (e) {
    throw new Error(`sweep: result file '${p}' is unreadable (${(e as Error).message}); delete it to rerun the job`);
  }
}

/** The result of `job` if it is done with the same fingerprint; throws when a stale result (other recipe) is in the way. */
export function doneResult(dir: string, job: Job): JobResult | undefined {
  const r = readResult(dir, job.id);
  if (!r) return undefined;
  const fp = jobFingerprint(job);
  if (r.fingerprint !== fp) {
    throw new Error(
      `sweep: '${resultPath(dir, job.id)}' was produced by a different recipe (job '${job.id}' changed: fingerprint ${r.fingerprint} ≠ ${fp}); ` +
        'use a new --out folder or delete that result to recompute it',
    );
  }
  return r;
}

export async function writeResult(dir: string, result: JobResult): Promise<void> {
  await writeFileAtomic(resultPath(dir, result.id), JSON.stringify(result, null, 2) + '\n');
  rmSync(failurePath(dir, result.id), { force: true });
}

export async function writeFailure(dir: string, f: JobFailure): Promise<void> {
  await writeFileAtomic(failurePath(dir, f.id), JSON.stringify(f, null, 2) + '\n');
}

export function readFailure(dir: string, id: string): JobFailure | undefined {
  const p = failurePath(dir, id);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as JobFailure) : undefined;
}

export interface SweepManifest {
  format: 'prunekit/sweep';
  recipe: unknown;
  recipePath: string;
  quick: boolean;
  jobs: Job[];
  createdAt: string;
}

export async function writeManifest(dir: string, m: SweepManifest): Promise<void> {
  await writeFileAtomic(join(dir, 'sweep.json'), JSON.stringify(m, null, 2) + '\n');
}

export function readManifest(dir: string): SweepManifest {
  const p = join(dir, 'sweep.json');
  if (!existsSync(p)) throw new Error(`'${dir}' is not a sweep folder (no sweep.json); start one with: prunekit sweep RECIPE --out ${dir}`);
  return JSON.parse(readFileSync(p, 'utf8')) as SweepManifest;
}

export interface SweepStatus {
  total: number;
  done: number;
  failed: { id: string; error: string }[];
  /** Not done, all dependencies done. */
  ready: number;
  /** Not done, waiting for dependencies. */
  blocked: number;
  /** Seconds of finished jobs (sum) and per kind. */
  seconds: number;
  perKind: Record<string, { total: number; done: number; meanSeconds: number }>;
}

/** The finished jobs of DIR (result present with the job's fingerprint), by id. */
export function finishedResults(dir: string, jobs: Job[]): Map<string, JobResult> {
  const done = new Map<string, JobResult>();
  for (const j of jobs) {
    const r = readResult(dir, j.id);
    if (r && r.fingerprint === jobFingerprint(j)) done.set(j.id, r);
  }
  return done;
}

export function sweepStatus(dir: string, jobs: Job[]): SweepStatus {
  const done = finishedResults(dir, jobs);
  const failed: { id: string; error: string }[] = [];
  let ready = 0;
  let blocked = 0;
  const perKind: SweepStatus['perKind'] = {};
  for (const j of jobs) {
    const k = (perKind[j.kind] ??= { total: 0, done: 0, meanSeconds: 0 });
    k.total++;
    const r = done.get(j.id);
    if (r) {
      k.meanSeconds += (r.seconds - k.meanSeconds) / ++k.done;
      continue;
    }
    const f = readFailure(dir, j.id);
    if (f) failed.push({ id: j.id, error: f.error });
    else if (j.deps.every((d) => done.has(d))) ready++;
    else blocked++;
  }
  return { total: jobs.length, done: done.size, failed, ready, blocked, seconds: [...done.values()].reduce((a, r) => a + r.seconds, 0), perKind };
}

/** Takes DIR's coordinator lock (one local sweep per folder); stale locks of dead processes are replaced. */
export function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(p, String(process.pid), { flag: 'wx' });
      return () => rmSync(p, { force: true });
    } catch {
      const pid = Number(readFileSync(p, 'utf8'));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        alive = false;
      }
      if (alive) throw new Error(`sweep folder '${dir}' is in use by process ${pid}; wait for it or stop it (its finished jobs are kept)`);
      rmSync(p, { force: true });
    }
  }
  throw new Error(`could not lock sweep folder '${dir}'`);
}

/** Ids of jobs with a result file in DIR (any fingerprint). */
export function resultIds(dir: string): string[] {
  const d = resultsDir(dir);
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
}
