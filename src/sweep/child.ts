/**
 * Entry of a sweep worker process (forked by pool.ts): runs the jobs it is sent over IPC, one at a
 * time, and answers with the result or the error. Dies with its parent: when the IPC channel
 * closes (parent killed), it exits, and it never commits a result once the parent is gone — the
 * job is then redone by whoever takes it next (locally on resume, or another BullMQ worker).
 * Backend and threads come from PRUNEKIT_BACKEND / PRUNEKIT_THREADS (set by the pool).
 */
import { initBackend } from '../backend/index.js';
import type { Job } from './jobs.js';
import { runJob } from './run-job.js';

export type ToChild = { type: 'run'; dir: string; job: Job; worker: string };
export type FromChild =
  | { type: 'ready'; backend: string; threads: number }
  | { type: 'log'; id: string; line: string }
  | { type: 'done'; id: string; seconds: number }
  | { type: 'error'; id: string; message: string };

const send = (m: FromChild) => {
  if (process.connected) process.send?.(m);
};

if (!process.send) {
  process.stderr.write('prunekit sweep worker: this module is started by the sweep pool, not directly\n');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
const info = await initBackend({ log: false });
let queue = Promise.resolve();
process.on('message', (m: ToChild) => {
  if (m.type !== 'run') return;
  queue = queue.then(async () => {
    try {
      const r = await runJob(m.job, {
        dir: m.dir,
        worker: m.worker,
        log: (line) => send({ type: 'log', id: m.job.id, line }),
        shouldCommit: () => process.connected,
      });
      send({ type: 'done', id: m.job.id, seconds: r.seconds });
    } catch (e) {
      const err = e as Error;
      send({ type: 'error', id: m.job.id, message: process.env.PRUNEKIT_DEBUG ? (err.stack ?? err.message) : err.message });
    }
  });
});
send({ type: 'ready', backend: info.name, threads: info.threads });
