/**
 * Training progress on stderr: a cli-progress bar (loss, accuracy, ETA) when stderr is a terminal or
 * when asked for, otherwise one plain line per epoch.
 */
import cliProgress from 'cli-progress';
import type { EpochLogs } from './types.js';

export interface ProgressReporter {
  startEpoch(epoch: number, epochs: number, steps: number): void;
  step(done: number, loss: number, accuracy: number): void;
  endEpoch(logs: EpochLogs, epochs: number): void;
  stop(): void;
}

function fmt(v: number | undefined, digits = 4): string {
  return v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);
}

export function formatEpochLine(logs: EpochLogs, epochs: number): string {
  const parts = [
    `epoch ${logs.epoch + 1}/${epochs}`,
    `loss ${fmt(logs.loss)}`,
    `acc ${fmt(logs.accuracy)}`,
  ];
  if (logs.valLoss !== undefined) parts.push(`val_loss ${fmt(logs.valLoss)}`, `val_acc ${fmt(logs.valAccuracy)}`);
  parts.push(`lr ${logs.lr.toExponential(3)}`, `${logs.steps} steps`, `${logs.seconds.toFixed(1)}s`);
  if (logs.partial) parts.push('(stopped at maxSteps)');
  return parts.join('  ');
}

class Silent implements ProgressReporter {
  startEpoch(): void {}
  step(): void {}
  endEpoch(): void {}
  stop(): void {}
}

class Lines implements ProgressReporter {
  constructor(private readonly out: NodeJS.WritableStream) {}
  startEpoch(): void {}
  step(): void {}
  endEpoch(logs: EpochLogs, epochs: number): void {
    this.out.write(`${formatEpochLine(logs, epochs)}\n`);
  }
  stop(): void {}
}

class Bar implements ProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  constructor(private readonly out: NodeJS.WritableStream) {}
  startEpoch(epoch: number, epochs: number, steps: number): void {
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.out,
        format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc} | ETA {eta_formatted}`,
        hideCursor: null,
        clearOnComplete: true,
        etaBuffer: 20,
        noTTYOutput: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(steps, 0, { loss: '-', acc: '-' });
  }
  step(done: number, loss: number, accuracy: number): void {
    this.bar?.update(done, { loss: fmt(loss), acc: fmt(accuracy) });
  }
  endEpoch(logs: EpochLogs, epochs: number): void {
    this.stop();
    this.out.write(`${formatEpochLine(logs, epochs)}\n`);
  }
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

export function createProgress(mode: boolean | 'auto' | undefined, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): ProgressReporter {
  if (mode === false) return new Silent();
  if (mode === true || out.isTTY) return new Bar(out);
  return new Lines(out);
}
