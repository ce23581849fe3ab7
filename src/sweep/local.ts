/**
 * Local sweep scheduler: runs the jobs of DIR that are not done in N worker processes, each job as
 * soon as its dependencies are done (dense nets first, then every job that shares them). A failed
 * job is recorded in DIR/failed/ and its dependants are skipped; the others go on. Kill it at any
 * point and run it again: finished jobs are kept, the interrupted ones are redone.
 *
 * Draining (SIGUSR1, or `drainAt`): no new job starts; the running ones finish and commit, then the
 * sweep returns with the rest left for the next run — for a machine that is only lent until a given
 * time, so that the work in flight is not thrown away at the end.
 */
import { availableParallelism } from 'node:os';
import { orderJobs, type Job, type JobOrder } from './jobs.js';
import { ChildPool } from './pool.js';
import { sweepProgress } from './progress.js';
import { acquireLock, doneResult, writeFailure } from './store.js';
import { jobFingerprint } from './jobs.js';

export interface LocalSweepOptions {
  dir: string;
  jobs: Job[];
  /** Worker processes (default: defaultWorkers()). */
  workers?: number;
  backend?: string;
  /** wasm threads per worker (default: cores / workers). */
  threads?: number;
  verbose?: boolean;
  /** Start no job after this time (the running ones finish); also on SIGUSR1. */
  drainAt?: Date;
  /** Which ready job a free worker takes first (default 'listed'; jobs.ts orderJobs). */
  order?: JobOrder;
}

export interface SweepOutcome {
  ran: string[];
  skippedDone: number;
  failed: { id: string; error: string }[];
  /** Not run because a dependency failed. */
  blocked: string[];
  /** Set when the sweep stopped starting jobs (SIGUSR1 or drainAt) with jobs left. */
  drained?: { reason: string; left: number };
}

/**
 * Workers the cores allow: one per core, each on one compute thread (the threads default to
 * cores / workers). Measured with bench:two-process: two single-thread processes on 2 cores do not
 * slow each other (excess 0.99–1.13), while a 2-thread step is only 1.2–1.5× a 1-thread one — so
 * independent jobs side by side finish more work per hour than one job on every core.
 */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export async function runLocalSweep(o: LocalSweepOptions): Promise<SweepOutcome> {
  const release = acquireLock(o.dir);
  const workers = o.workers ?? defaultWorkers();
  const threads = o.threads ?? Math.max(1, Math.floor(availableParallelism() / workers));
  const pool = new ChildPool({ size: workers, backend: o.backend, threads, name: 'local', onLog: (w, id, line) => progress.log(w, id, line) });
  const done = new Set<string>();
  for (const j of o.jobs) if (doneResult(o.dir, j)) done.add(j.id);
  const skippedDone = done.size;
  const failed = new Map<string, string>();
  const running = new Map<string, Promise<void>>();
  const ran: string[] = [];
  const progress = sweepProgress(workers, o.jobs.length, done.size, { verbose: o.verbose });
  const onSignal = () => {
    progress.stop();
    pool.close();
    release();
    process.stderr.write(`\nsweep interrupted: ${done.size}/${o.jobs.length} jobs done are kept in ${o.dir}; run the same command to resume\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let drainReason: string | undefined;
  const drain = (reason: string) => {
    if (drainReason) return;
    drainReason = reason;
    progress.note(`sweep draining (${reason}): no new jobs; ${running.size} running will finish`);
  };
  const onDrain = () => drain('SIGUSR1');
  process.on('SIGUSR1', onDrain);
  const drainAtReached = () => {
    if (o.drainAt && Date.now() >= o.drainAt.getTime()) drain(`--drain-at ${o.drainAt.toISOString()}`);
    return drainReason !== undefined;
  };
  // the timer announces the drain while jobs run; the time is also checked before every start
  const drainTimer = o.drainAt ? setTimeout(drainAtReached, Math.max(0, o.drainAt.getTime() - Date.now())) : undefined;
  const depFailed = (j: Job): boolean => j.deps.some((d) => failed.has(d) || blockedSet.has(d));
  const blockedSet = new Set<string>();
  const queue = orderJobs(o.jobs, o.order ?? 'listed');
  try {
    for (;;) {
      for (const j of o.jobs) if (!done.has(j.id) && !failed.has(j.id) && !blockedSet.has(j.id) && depFailed(j)) blockedSet.add(j.id);
      let slot = drainAtReached() ? -1 : pool.idle();
      while (slot >= 0) {
        const next = queue.find((j) => !done.has(j.id) && !running.has(j.id) && !failed.has(j.id) && !blockedSet.has(j.id) && j.deps.every((d) => done.has(d)));
        if (!next) break;
        const w = slot;
        progress.start(w, next.id, done.size, o.jobs.length);
        const p = pool.run(w, o.dir, next).then(
          (r) => {
            done.add(next.id);
            ran.push(next.id);
            progress.finish(w, next.id, true, `in ${r.seconds.toFixed(1)} s`, done.size, o.jobs.length);
          },
          async (e: Error) => {
            failed.set(next.id, e.message);
            await writeFailure(o.dir, { id: next.id, fingerprint: jobFingerprint(next), error: e.message, worker: `local#${w}`, at: new Date().toISOString() });
            progress.finish(w, next.id, false, `: ${e.message.split('\n')[0]}`, done.size, o.jobs.length);
          },
        ).finally(() => running.delete(next.id));
        running.set(next.id, p);
        slot = drainAtReached() ? -1 : pool.idle();
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onDrain);
    clearTimeout(drainTimer);
    progress.stop();
    pool.close();
    release();
  }
  const left = o.jobs.filter((j) => !done.has(j.id) && !failed.has(j.id) && !blockedSet.has(j.id)).length;
  return {
    ran, skippedDone, failed: [...failed].map(([id, error]) => ({ id, error })), blocked: [...blockedSet],
    ...(drainReason && left > 0 ? { drained: { reason: drainReason, left } } : {}),
  };
}
