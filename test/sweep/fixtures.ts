/** A tiny sweep recipe for tests: MLP only (fast on the cpu backend), 1 seed, a few steps per job. */
import { spawn, type ChildProcess } from 'node:child_process';

export function tinyRecipe(opts: { fourier?: boolean } = {}): Record<string, unknown> {
  const adam = { name: 'adam', lr: 0.001 };
  return {
    name: 'tiny',
    dataset: 'digits',
    limitTrain: 240,
    limitTest: 120,
    seeds: [0],
    dense: { mlp: { model: 'lenet300', steps: 12, batchSize: 30, optimizer: adam } },
    experiments: [
      { kind: 'unstructured', name: 'u', dense: 'mlp', methods: ['mp', 'lap'], sparsities: [0.9], finetune: { steps: 3, batchSize: 30, optimizer: adam } },
      ...(opts.fourier === false ? [] : [{
        kind: 'fourier', name: 'f', dense: 'mlp', sparsities: [0.5],
        stage1: { roundEpochs: 1, roundStepsPerEpoch: 1, batchSize: 30, optimizer: adam },
        stage2: { methods: ['none', 'freq-a'], epochs: 1, stepsPerEpoch: 2, batchSize: 30, optimizer: adam, anchors: 32 },
        analysisSamples: 0,
      }]),
    ],
    quick: { seeds: [0], experiments: { u: { methods: ['mp'] } } },
  };
}

/** Runs the CLI from the sources; resolves when it exits. `onLine` sees every stderr/stdout line. */
export function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; onLine?: (line: string, p: ChildProcess) => void } = {}): { proc: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--backend', 'cpu', ...args], {
    env: { ...process.env, PRUNEKIT_BACKEND: 'cpu', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let buf = '';
  const feed = (d: Buffer) => {
    out += d.toString();
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      opts.onLine?.(line, proc);
    }
  };
  proc.stdout!.on('data', feed);
  proc.stderr!.on('data', feed);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((res) => proc.on('exit', (code, signal) => res({ code, signal, out })));
  return { proc, done };
}

/** Result files minus what legitimately differs between runs (times, worker names). */
export { comparableMetrics as comparable } from '../../src/sweep/resume.js';
