/**
 * A pool of sweep worker processes (child.ts), each running one job at a time. A slot whose process
 * dies mid-job rejects that job and is restarted for the next one. Used by the local scheduler
 * (N slots) and by the BullMQ worker (one slot per concurrent job), so a job always runs outside
 * the coordinating process: its event loop stays free (BullMQ lock renewal) and a crash in a job
 * cannot take the coordinator down.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromChild, ToChild } from './child.js';
import type { Job } from './jobs.js';

export interface PoolOptions {
  size: number;
  /** PRUNEKIT_BACKEND for the workers (default: inherited). */
  backend?: string;
  /** PRUNEKIT_THREADS for each worker (default: inherited). */
  threads?: number;
  /** Lines a job logs (epoch losses …). */
  onLog?: (slot: number, jobId: string, line: string) => void;
  /** Worker name prefix in results (default host:pid). */
  name?: string;
}

interface Pending {
  id: string;
  resolve: (v: { seconds: number }) => void;
  reject: (e: Error) => void;
}

const here = fileURLToPath(import.meta.url);
const childPath = join(dirname(here), `child${extname(here)}`);

class Slot {
  child?: ChildProcess;
  ready?: Promise<void>;
  pending?: Pending;
  /** Set synchronously when a job is handed over, cleared when it settles. */
  busy = false;
  info = '';

  constructor(
    readonly index: number,
    private readonly o: PoolOptions,
  ) {}

  private start(): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (this.o.backend) env.PRUNEKIT_BACKEND = this.o.backend;
    if (this.o.threads) env.PRUNEKIT_THREADS = String(this.o.threads);
    const child = fork(childPath, [], { env, execArgv: extname(here) === '.ts' ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      child.on('message', (m: FromChild) => {
        if (m.type === 'ready') {
          this.info = `${m.backend}${m.backend === 'wasm' ? ` ×${m.threads}` : ''}`;
          resolve();
        } else if (m.type === 'log') this.o.onLog?.(this.index, m.id, m.line);
        else if (this.pending && m.id === this.pending.id) {
          const p = this.pending;
          this.pending = undefined;
          if (m.type === 'done') p.resolve({ seconds: m.seconds });
          else p.reject(new Error(m.message));
        }
      });
      child.on('exit', (code, signal) => {
        this.child = undefined;
        this.ready = undefined;
        const why = `sweep worker process ${child.pid} exited (${signal ?? `code ${code}`})`;
        reject(new Error(why));
        if (this.pending) {
          const p = this.pending;
          this.pending = undefined;
          p.reject(new Error(`${why} while running job ${p.id}`));
        }
      });
    });
  }

  async run(dir: string, job: Job): Promise<{ seconds: number }> {
    if (this.busy) throw new Error(`sweep pool: slot ${this.index} is busy`);
    this.busy = true;
    try {
      this.ready ??= this.start();
      await this.ready;
      return await new Promise<{ seconds: number }>((resolve, reject) => {
        this.pending = { id: job.id, resolve, reject };
        const msg: ToChild = { type: 'run', dir, job, worker: `${this.o.name ?? 'local'}#${this.index}` };
        this.child!.send(msg);
      });
    } finally {
      this.busy = false;
    }
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }
}

export class ChildPool {
  readonly slots: Slot[];

  constructor(readonly opts: PoolOptions) {
    if (!(Number.isInteger(opts.size) && opts.size >= 1)) throw new Error(`sweep: the number of workers must be an integer ≥ 1, got ${opts.size}`);
    this.slots = Array.from({ length: opts.size }, (_, i) => new Slot(i, opts));
  }

  /** An idle slot index, or -1. */
  idle(): number {
    return this.slots.findIndex((s) => !s.busy);
  }

  run(slot: number, dir: string, job: Job): Promise<{ seconds: number }> {
    return this.slots[slot].run(dir, job);
  }

  /** Kills every worker process (running jobs are lost and redone on the next run). */
  close(): void {
    for (const s of this.slots) s.kill();
  }
}
