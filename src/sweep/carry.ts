/**
 * What a published sweep carries to the next machine (`--publish DIR` writes DIR/carry/, `--resume-from DIR`
 * restores it).
 *
 * A published folder holds every finished job's result but, by itself, no models: resuming on a fresh
 * machine would recompute every dense net and stage-1 mask that an unfinished job still needs, and a dense
 * net killed mid-training would start over. For long recipes (exp/dct.json: six dense nets of ~1 h each)
 * that alone can fill a working session. So the published folder also carries, only while the sweep is
 * unfinished:
 *   - the artifacts (model folder, masks) of each finished producer that an unfinished job still needs;
 *   - the newest training checkpoint (weights + optimiser state, src/train/checkpoint.ts) of each unfinished
 *     dense job, so training continues from its last whole epoch — bit-identical to an uninterrupted run.
 * Every file is gzip-compressed (node:zlib) with its length and sha256 in carry/manifest.json; carry/ is
 * written as one folder transaction and removed once the sweep is complete. Restoring checks the job's
 * fingerprint (a changed recipe carries nothing over) and every file's hash before anything is used.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beginFolderTransaction, writeFileAtomic } from '../io/atomic.js';
import { gunzipBounded } from '../util/gzip.js';
import { checkpointName, findLatestCheckpoint } from '../train/checkpoint.js';
import { jobFingerprint, type Job } from './jobs.js';
import { artifactDir, artifactMarker, denseCheckpointDir, isProducer } from './store.js';

export const CARRY_DIR = 'carry';
const MANIFEST = 'manifest.json';

export interface CarryFile {
  /** Path relative to the job's artifact folder, '/'-separated. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface CarryEntry {
  id: string;
  fingerprint: string;
  what: 'artifacts' | 'checkpoint';
  /** Epochs done, for a checkpoint. */
  epoch?: number;
  files: CarryFile[];
}

interface CarryManifest {
  format: 'prunekit/sweep-carry';
  entries: CarryEntry[];
}

/**
 * Which jobs a published folder must carry (pure): finished producers with an unfinished dependant
 * (their artifacts), and unfinished dense jobs that have a checkpoint (that checkpoint).
 */
export function carryPlan(jobs: Job[], done: ReadonlySet<string>, hasCheckpoint: (id: string) => boolean): { artifacts: string[]; checkpoints: string[] } {
  const needed = new Set<string>();
  for (const j of jobs) if (!done.has(j.id)) for (const d of j.deps) needed.add(d);
  return {
    artifacts: jobs.filter((j) => isProducer(j.kind) && done.has(j.id) && needed.has(j.id)).map((j) => j.id),
    checkpoints: jobs.filter((j) => j.kind === 'dense' && !done.has(j.id) && hasCheckpoint(j.id)).map((j) => j.id),
  };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function filesUnder(root: string, skip: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(root, p).split(sep).join('/');
      if (skip(rel)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out.push(rel);
    }
  };
  walk(root);
  return out;
}

export interface CarrySummary {
  entries: CarryEntry[];
  /** Compressed bytes written. */
  bytes: number;
}

/**
 * Writes PUBLISHED/carry/ for the sweep folder DIR (replacing the old one as a whole), or removes it when
 * nothing is left to carry (`done` = ids of finished jobs).
 */
export async function writeCarry(dir: string, jobs: Job[], done: ReadonlySet<string>, publishDir: string): Promise<CarrySummary> {
  const latest = new Map<string, { path: string; epoch: number }>();
  for (const j of jobs) {
    if (j.kind !== 'dense' || done.has(j.id)) continue;
    const found = await findLatestCheckpoint(denseCheckpointDir(dir, j.id)).catch(() => null);
    if (found) latest.set(j.id, { path: found.path, epoch: found.state.epoch });
  }
  const plan = carryPlan(jobs, done, (id) => latest.has(id));
  const target = join(publishDir, CARRY_DIR);
  if (plan.artifacts.length + plan.checkpoints.length === 0) {
    rmSync(target, { recursive: true, force: true });
    return { entries: [], bytes: 0 };
  }
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const tx = await beginFolderTransaction(target, { label: `--publish ${publishDir}` });
  try {
    const entries: CarryEntry[] = [];
    let bytes = 0;
    const pack = async (entry: CarryEntry, root: string, rels: string[], prefix: string) => {
      for (const rel of rels) {
        const raw = readFileSync(join(root, ...rel.split('/')));
        const gz = gzipSync(raw, { level: 6 });
        const path = prefix + rel;
        await writeFileAtomic(join(tx.dir, entry.id, ...`${path}.gz`.split('/')), gz);
        entry.files.push({ path, bytes: raw.length, sha256: sha256(raw) });
        bytes += gz.length;
      }
      entries.push(entry);
    };
    for (const id of plan.artifacts) {
      const root = artifactDir(dir, id);
      if (!existsSync(artifactMarker(dir, byId.get(id)!))) continue; // imported result whose models this folder never had
      await pack({ id, fingerprint: jobFingerprint(byId.get(id)!), what: 'artifacts', files: [] }, root, filesUnder(root, (rel) => rel === 'checkpoint'), '');
    }
    for (const id of plan.checkpoints) {
      const { path, epoch } = latest.get(id)!;
      const prefix = `checkpoint/${checkpointName(epoch)}/`;
      await pack({ id, fingerprint: jobFingerprint(byId.get(id)!), what: 'checkpoint', epoch, files: [] }, path, filesUnder(path, () => false), prefix);
    }
    await writeFileAtomic(join(tx.dir, MANIFEST), JSON.stringify({ format: 'prunekit/sweep-carry', entries } satisfies CarryManifest, null, 1) + '\n');
    await tx.commit();
    return { entries, bytes };
  } catch (e) {
    await tx.abort();
    throw e;
  }
}

function readManifest(source: string): CarryManifest | undefined {
  const file = join(source, CARRY_DIR, MANIFEST);
  if (!existsSync(file)) return undefined;
  let m: CarryManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as CarryManifest;
  } catch (e) {
    throw new Error(`--resume-from: '${file}' is not valid JSON (${(e as Error).message}); delete ${join(source, CARRY_DIR)} to recompute its models instead`);
  }
  if (m?.format !== 'prunekit/sweep-carry' || !Array.isArray(m.entries)) throw new Error(`--resume-from: '${file}' is not a carry manifest written by 'prunekit sweep --publish'`);
  for (const e of m.entries) {
    for (const f of e.files ?? []) {
      const parts = String(f.path).split('/');
      if (parts.some((p) => p === '' || p === '.' || p === '..') || !/^[0-9a-f]{64}$/.test(String(f.sha256)) || !Number.isInteger(f.bytes) || f.bytes < 0) {
        throw new Error(`--resume-from: '${file}' lists an invalid file '${f.path}' for job '${e.id}'; delete ${join(source, CARRY_DIR)} to recompute instead`);
      }
    }
  }
  return m;
}

/** The verified contents of one carried entry (all files read and checked before any is written). */
function unpack(source: string, e: CarryEntry): { path: string; data: Uint8Array }[] {
  return e.files.map((f) => {
    const gz = join(source, CARRY_DIR, e.id, ...`${f.path}.gz`.split('/'));
    if (!existsSync(gz)) throw new Error(`--resume-from: '${gz}' is missing; restore ${join(source, CARRY_DIR)} from git or delete it to recompute '${e.id}'`);
    const data = gunzipBounded(readFileSync(gz), gz, { declared: f.bytes });
    if (data.length !== f.bytes || sha256(data) !== f.sha256) {
      throw new Error(`--resume-from: '${gz}' does not match its sha256 in ${MANIFEST} (corrupt); restore ${join(source, CARRY_DIR)} from git or delete it to recompute '${e.id}'`);
    }
    return { path: f.path, data };
  });
}

export interface RestoredCarry {
  /** Producers whose artifacts were restored. */
  artifacts: string[];
  /** Dense jobs whose checkpoint was restored, with the epochs it holds. */
  checkpoints: { id: string; epoch: number }[];
}

/**
 * Restores SOURCE/carry/ into the sweep folder DIR: artifacts of producers that DIR lacks, checkpoints newer
 * than DIR's own, for jobs not done in DIR (`done`) whose fingerprint is unchanged.
 */
export async function restoreCarry(source: string, dir: string, jobs: Job[], done: ReadonlySet<string>): Promise<RestoredCarry> {
  const restored: RestoredCarry = { artifacts: [], checkpoints: [] };
  const m = readManifest(source);
  if (!m) return restored;
  const byId = new Map(jobs.map((j) => [j.id, j]));
  for (const e of m.entries) {
    const job = byId.get(e.id);
    if (!job || jobFingerprint(job) !== e.fingerprint) continue;
    if (e.what === 'artifacts') {
      const marker = artifactMarker(dir, job);
      if (existsSync(marker)) continue;
      const files = unpack(source, e);
      const markerRel = relative(artifactDir(dir, e.id), marker).split(sep).join('/');
      // the marker file last: its presence is what says the artifacts are complete
      files.sort((a, b) => Number(a.path === markerRel) - Number(b.path === markerRel));
      for (const f of files) await writeFileAtomic(join(artifactDir(dir, e.id), ...f.path.split('/')), f.data);
      restored.artifacts.push(e.id);
    } else if (e.what === 'checkpoint' && job.kind === 'dense' && !done.has(e.id) && Number.isInteger(e.epoch)) {
      const ckDir = denseCheckpointDir(dir, e.id);
      const mine = await findLatestCheckpoint(ckDir).catch(() => null);
      if (mine && mine.state.epoch >= e.epoch!) continue;
      const files = unpack(source, e);
      const prefix = `checkpoint/${checkpointName(e.epoch!)}/`;
      const tx = await beginFolderTransaction(join(ckDir, checkpointName(e.epoch!)), { label: `checkpoint of ${e.id}` });
      try {
        for (const f of files) {
          if (!f.path.startsWith(prefix)) throw new Error(`--resume-from: carried checkpoint file '${f.path}' of '${e.id}' is not under ${prefix}`);
          await writeFileAtomic(join(tx.dir, ...f.path.slice(prefix.length).split('/')), f.data);
        }
        await tx.commit();
      } catch (err) {
        await tx.abort();
        throw err;
      }
      restored.checkpoints.push({ id: e.id, epoch: e.epoch! });
    }
  }
  return restored;
}
