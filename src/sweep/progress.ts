/**
 * Sweep progress on stderr: with a terminal, a cli-progress multi-bar (overall bar + one line per
 * worker with its current job and last log line); otherwise one plain line per event
 * ("[w1] done lap-s0-mp-it4 in 12.3 s · 5/42 done").
 */
import cliProgress from 'cli-progress';

export interface SweepProgress {
  start(worker: number, jobId: string, done: number, total: number): void;
  log(worker: number, jobId: string, line: string): void;
  finish(worker: number, jobId: string, ok: boolean, detail: string, done: number, total: number): void;
  note(line: string): void;
  stop(): void;
}

class Lines implements SweepProgress {
  constructor(private readonly out: NodeJS.WritableStream, private readonly verbose: boolean) {}
  start(w: number, id: string, done: number, total: number): void {
    this.out.write(`[w${w}] start ${id} · ${done}/${total} done\n`);
  }
  log(w: number, id: string, line: string): void {
    if (this.verbose) this.out.write(`[w${w}] ${line}\n`);
  }
  finish(w: number, id: string, ok: boolean, detail: string, done: number, total: number): void {
    this.out.write(`[w${w}] ${ok ? 'done' : 'FAILED'} ${id} ${detail} · ${done}/${total} done\n`);
  }
  note(line: string): void {
    this.out.write(line + '\n');
  }
  stop(): void {}
}

class Bars implements SweepProgress {
  private readonly multi: cliProgress.MultiBar;
  private readonly total: cliProgress.SingleBar;
  private readonly workers: cliProgress.SingleBar[];
  constructor(workers: number, total: number, done: number) {
    this.multi = new cliProgress.MultiBar(
      { format: '{label} {bar} {value}/{total} {text}', hideCursor: true, clearOnComplete: false, stream: process.stderr, barsize: 24 },
      cliProgress.Presets.shades_classic,
    );
    this.total = this.multi.create(total, done, { label: 'sweep', text: '' });
    this.workers = Array.from({ length: workers }, (_, i) => this.multi.create(1, 0, { label: `w${i}   `, text: 'idle' }));
  }
  start(w: number, id: string, done: number): void {
    this.workers[w].update(0, { text: id });
    this.total.update(done);
  }
  log(w: number, id: string, line: string): void {
    this.workers[w].update(0, { text: line.length > 80 ? line.slice(0, 77) + '…' : line });
  }
  finish(w: number, id: string, ok: boolean, detail: string, done: number): void {
    this.workers[w].update(1, { text: `${ok ? 'done' : 'FAILED'} ${id} ${detail}` });
    this.total.update(done);
  }
  note(line: string): void {
    this.multi.log(line + '\n');
  }
  stop(): void {
    this.multi.stop();
  }
}

export function sweepProgress(workers: number, total: number, done: number, opts: { verbose?: boolean } = {}): SweepProgress {
  return process.stderr.isTTY ? new Bars(workers, total, done) : new Lines(process.stderr, opts.verbose ?? false);
}
