/**
 * Scale-out on BullMQ (Redis). Storage choice: SHARED STORAGE. The sweep folder (--out) must be the
 * same path on every machine (NFS, a shared volume …); workers read dependencies' artifacts from it
 * and write artifacts and results into it atomically, exactly as local workers do, so the result
 * set is the same files a local run writes. Redis carries only the job descriptions and their state.
 *
 * Coordinator (`prunekit sweep RECIPE --redis URL --out DIR`): every poll, enqueues the jobs whose
 * dependencies are done (BullMQ job id = sweep key + job id, so re-adding is a no-op), notes failed
 * ones, and returns when every job is done, failed or blocked by a failure. Kill it and rerun:
 * done jobs are skipped, queued ones are not duplicated.
 * Worker (`prunekit worker --redis URL`): takes jobs and runs each in a child process (pool.ts), so
 * its own event loop keeps renewing the job lock. A worker that dies mid-job stops renewing; after
 * `lockDuration` the job counts as stalled and BullMQ's stalled-job check (every `stalledInterval`
 * in the remaining workers) puts it back in the queue for another worker (up to `maxStalledCount`
 * times). Its child process exits with it and never commits a result.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Queue, Worker, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { Job } from './jobs.js';
import { jobFingerprint } from './jobs.js';
import { ChildPool } from './pool.js';
import type { SweepOutcome } from './local.js';
import { doneResult, writeFailure } from './store.js';

export const DEFAULT_QUEUE = 'prunekit-sweep';

interface Payload {
  dir: string;
  job: Job;
}

function connect(url: string): Redis {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--redis: '${url}' is not a URL; write e.g. redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--redis: '${url}' must start with redis:// or rediss://`);
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** Checks that Redis answers (a clear error instead of endless reconnect attempts). */
async function ping(conn: Redis, url: string, timeoutMs = 5000): Promise<void> {
  const t = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`cannot reach Redis at ${url} within ${timeoutMs / 1000} s; is redis-server running?`)), timeoutMs).unref());
  await Promise.race([conn.ping(), t]);
}

/** BullMQ job id of a sweep job: a key of the sweep folder plus the job id. */
export function bullJobId(dir: string, id: string): string {
  return `${createHash('sha1').update(resolve(dir)).digest('hex').slice(0, 10)}-${id}`;
}

export interface RedisSweepOptions {
  url: string;
  dir: string;
  jobs: Job[];
  queue?: string;
  pollMs?: number;
  log?: (line: string) => void;
}

export async function runRedisSweep(o: RedisSweepOptions): Promise<SweepOutcome> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dir = resolve(o.dir);
  const conn = connect(o.url);
  const queue = new Queue<Payload>(o.queue ?? DEFAULT_QUEUE, { connection: conn });
  const done = new Set<string>();
  const failed = new Map<string, string>();
  const blocked = new Set<string>();
  const enqueued = new Set<string>();
  const ran: string[] = [];
  try {
    await ping(conn, o.url);
    for (const j of o.jobs) if (doneResult(dir, j)) done.add(j.id);
    const skippedDone = done.size;
    log(`sweep: ${done.size}/${o.jobs.length} jobs already done; queue '${o.queue ?? DEFAULT_QUEUE}' on ${o.url}; shared folder ${dir}`);
    for (;;) {
      for (const j of o.jobs) {
        if (done.has(j.id) || failed.has(j.id) || blocked.has(j.id)) continue;
        if (j.deps.some((d) => failed.has(d) || blocked.has(d))) {
          blocked.add(j.id);
          continue;
        }
        const bid = bullJobId(dir, j.id);
        if (enqueued.has(j.id)) {
          if (doneResult(dir, j)) {
            done.add(j.id);
            ran.push(j.id);
            log(`done ${j.id} · ${done.size}/${o.jobs.length}`);
            continue;
          }
          const state = await queue.getJobState(bid);
          if (state === 'failed') {
            const bj = await queue.getJob(bid);
            const why = bj?.failedReason ?? 'failed';
            failed.set(j.id, why);
            await writeFailure(dir, { id: j.id, fingerprint: jobFingerprint(j), error: why, worker: 'redis', at: new Date().toISOString() });
            log(`FAILED ${j.id}: ${why.split('\n')[0]}`);
          } else if (state === 'unknown' || state === 'completed') {
            if (doneResult(dir, j)) continue; // finished between the two checks
            enqueued.delete(j.id); // gone without a result (removed by hand?): enqueue again
          }
          continue;
        }
        if (!j.deps.every((d) => done.has(d))) continue;
        const old = await queue.getJob(bid);
        if (old && (await old.isFailed())) await old.remove(); // a failure of an earlier run: retry it
        await queue.add('job', { dir, job: j }, { jobId: bid, attempts: 1, removeOnComplete: true, removeOnFail: false });
        enqueued.add(j.id);
      }
      if (done.size + failed.size + blocked.size >= o.jobs.length) return { ran, skippedDone, failed: [...failed].map(([id, error]) => ({ id, error })), blocked: [...blocked] };
      await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
    }
  } finally {
    await queue.close();
    conn.disconnect();
  }
}

export interface RedisWorkerOptions {
  url: string;
  queue?: string;
  /** Jobs at a time (child processes). Default 1. */
  concurrency?: number;
  backend?: string;
  threads?: number;
  /** Job lock in ms (default 60,000); a dead worker's job is retried after about this long. */
  lockDuration?: number;
  /** Stalled-job check period in ms (default 30,000). */
  stalledInterval?: number;
  /** How often a job may be recovered from a stall before it fails (default 3). */
  maxStalledCount?: number;
  log?: (line: string) => void;
  /** Resolve to stop the worker (after the running jobs). */
  until?: Promise<void>;
}

export async function runRedisWorker(o: RedisWorkerOptions): Promise<{ completed: number; failed: number }> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const concurrency = o.concurrency ?? 1;
  const name = `${hostname()}:${process.pid}`;
  const conn = connect(o.url);
  await ping(conn, o.url);
  const pool = new ChildPool({ size: concurrency, backend: o.backend, threads: o.threads, name, onLog: (w, id, line) => log(`[${name}#${w}] ${line}`) });
  let completed = 0;
  let failedCount = 0;
  const worker = new Worker<Payload>(
    o.queue ?? DEFAULT_QUEUE,
    async (bj: BullJob<Payload>) => {
      const { dir, job } = bj.data;
      if (doneResult(dir, job)) {
        log(`[${name}] ${job.id} already done; skipped`);
        return { skipped: true };
      }
      const slot = pool.idle();
      if (slot < 0) throw new Error('sweep worker: no idle process (concurrency mismatch)');
      log(`[${name}#${slot}] start ${job.id}${bj.attemptsStarted > 1 || (bj.stalledCounter ?? 0) > 0 ? ` (retry after a stall: ${bj.stalledCounter ?? 0})` : ''}`);
      const r = await pool.run(slot, dir, job);
      log(`[${name}#${slot}] done ${job.id} in ${r.seconds.toFixed(1)} s`);
      return { seconds: r.seconds };
    },
    {
      connection: conn,
      concurrency,
      lockDuration: o.lockDuration ?? 60_000,
      stalledInterval: o.stalledInterval ?? 30_000,
      maxStalledCount: o.maxStalledCount ?? 3,
    },
  );
  worker.on('completed', () => completed++);
  worker.on('failed', (bj, err) => {
    failedCount++;
    log(`[${name}] FAILED ${bj?.data.job.id ?? '?'}: ${err.message.split('\n')[0]}`);
  });
  worker.on('error', (err) => log(`[${name}] worker error: ${err.message}`));
  log(`[${name}] waiting for jobs on '${o.queue ?? DEFAULT_QUEUE}' at ${o.url} (${concurrency} at a time)`);
  const stop = new Promise<void>((res) => {
    const h = () => res();
    process.once('SIGINT', h);
    process.once('SIGTERM', h);
    o.until?.then(h);
  });
  await stop;
  log(`[${name}] stopping after the running jobs`);
  await worker.close();
  pool.close();
  conn.disconnect();
  return { completed, failed: failedCount };
}
