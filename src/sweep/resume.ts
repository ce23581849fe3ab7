/**
 * Resuming a sweep from its published results (`prunekit sweep RECIPE --out DIR --resume-from results/X`).
 *
 * A sweep folder holds models and may be lost with its machine; the published folder (results.json:
 * every finished job's result, no models) is what a team keeps. Resuming imports into DIR each
 * published result whose job still has the same fingerprint, so only the unfinished jobs run.
 *
 * Shared artifacts (dense nets, stage-1 masks) that unfinished jobs need travel in the published folder's
 * carry/ (carry.ts) and are restored first. A producer whose dependants are all done is imported as it is;
 * one that an unfinished job still needs, while DIR lacks its artifacts (nothing carried), is recomputed. Jobs are deterministic (seeded; the native and wasm backends give bit-identical weights
 * at a fixed thread count), so the recomputed net is the published one; to prove it, the published
 * result is kept in DIR/expected/<job>.json and the report compares the two (`reproductionFlags`),
 * flagging any difference — then the seed's earlier and later jobs used different nets.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { jobFingerprint, type Job } from './jobs.js';
import { restoreCarry, type RestoredCarry } from './carry.js';
import { artifactMarker, doneResult, isProducer, readResult, writeResult, type JobResult } from './store.js';

const expectedDir = (dir: string) => join(dir, 'expected');

/** The job results of a published folder (or its results.json), keyed by id. */
export function readPublished(source: string): Map<string, JobResult> {
  const file = source.endsWith('.json') ? source : join(source, 'results.json');
  if (!existsSync(file)) throw new Error(`--resume-from: '${file}' does not exist; give a folder written by 'prunekit sweep … --publish DIR' (it holds results.json)`);
  let parsed: { results?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { results?: unknown };
  } catch (e) {
    throw new Error(`--resume-from: '${file}' is not valid JSON (${(e as Error).message}); restore it from git or start without --resume-from`);
  }
  if (!Array.isArray(parsed.results)) throw new Error(`--resume-from: '${file}' has no "results" list; it is not a published sweep (write one with --publish)`);
  const out = new Map<string, JobResult>();
  for (const r of parsed.results as JobResult[]) {
    if (!r || typeof r.id !== 'string' || typeof r.fingerprint !== 'string') throw new Error(`--resume-from: '${file}' holds a result without id/fingerprint; it is not a published sweep`);
    out.set(r.id, r);
  }
  return out;
}

export interface ResumePlan {
  /** Results copied into DIR. */
  imported: string[];
  /** Published producers recomputed because an unfinished job needs their artifacts. */
  recompute: string[];
  /** Published results of jobs whose fingerprint changed (the recipe changed): ignored. */
  stale: string[];
}

/** Decides what to import: pure, so the rule is testable without files. `hasArtifacts(id)`: DIR holds the producer's artifacts. */
export function planResume(jobs: Job[], done: ReadonlySet<string>, published: ReadonlyMap<string, JobResult>, hasArtifacts: (id: string) => boolean): ResumePlan {
  const stale: string[] = [];
  const take = new Set<string>();
  for (const j of jobs) {
    if (done.has(j.id)) continue;
    const p = published.get(j.id);
    if (!p) continue;
    if (p.fingerprint === jobFingerprint(j)) take.add(j.id);
    else stale.push(j.id);
  }
  // A producer an unfinished job still needs must be recomputed when its artifacts are missing;
  // dropping it can leave its own producer needed in turn (masks → dense), hence the fixed point.
  const kind = new Map(jobs.map((j) => [j.id, j.kind]));
  const recompute = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const j of jobs) {
      if (done.has(j.id) || take.has(j.id)) continue;
      for (const d of j.deps) {
        if (take.has(d) && isProducer(kind.get(d)!) && !hasArtifacts(d)) {
          take.delete(d);
          recompute.add(d);
          changed = true;
        }
      }
    }
  }
  return { imported: jobs.filter((j) => take.has(j.id)).map((j) => j.id), recompute: [...recompute], stale };
}

/** Imports `source`'s published results into DIR following `planResume`, after restoring what it carries (carry.ts). */
export async function resumeFromPublished(dir: string, jobs: Job[], source: string): Promise<ResumePlan & { carried: RestoredCarry }> {
  const published = readPublished(source);
  const done = new Set(jobs.filter((j) => doneResult(dir, j)).map((j) => j.id));
  const carried = await restoreCarry(source, dir, jobs, done);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const plan = planResume(jobs, done, published, (id) => existsSync(artifactMarker(dir, byId.get(id)!)));
  for (const id of plan.imported) await writeResult(dir, { ...published.get(id)!, importedFrom: source });
  for (const id of plan.recompute) await writeFileAtomic(join(expectedDir(dir), `${id}.json`), JSON.stringify(published.get(id), null, 2) + '\n');
  return { ...plan, carried };
}

/** A result's metrics without what legitimately differs between two runs of the same job (times). */
export function comparableMetrics(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(comparableMetrics);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([k]) => !/seconds|Seconds|msPerStep|finishedAt|worker|importedFrom|resumedFromEpoch/.test(k))
        .map(([k, x]) => [k, comparableMetrics(x)]),
    );
  }
  return v;
}

/** For each recomputed producer that has finished: whether it reproduced its published result. */
export function reproductionFlags(dir: string): { ok: string[]; flags: string[] } {
  const ed = expectedDir(dir);
  const ok: string[] = [];
  const flags: string[] = [];
  if (!existsSync(ed)) return { ok, flags };
  for (const f of readdirSync(ed).filter((x) => x.endsWith('.json')).sort()) {
    const id = f.slice(0, -5);
    const now = readResult(dir, id);
    if (!now) continue;
    const was = JSON.parse(readFileSync(join(ed, f), 'utf8')) as JobResult;
    if (was.fingerprint !== now.fingerprint) continue;
    if (JSON.stringify(comparableMetrics(now.metrics)) === JSON.stringify(comparableMetrics(was.metrics))) ok.push(id);
    else {
      const acc = typeof was.metrics.accuracy === 'number' ? ` (accuracy ${was.metrics.accuracy} published, ${now.metrics.accuracy} now)` : '';
      flags.push(`${id} was recomputed on resume and did not reproduce its published result${acc}: its seed's earlier jobs used the other one (another backend or thread count?)`);
    }
  }
  return { ok, flags };
}
