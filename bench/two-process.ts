/**
 * Do two prunekit processes sharing the cores slow each other down more than the cores explain? (issue #10,
 * item 2.) For one net, training steps (bench/train.ts's nets and Adam step) run in child processes:
 *   alone 1t      one process, --threads 1
 *   alone 2t      one process, --threads 2
 *   pair 1t+1t    two processes with --threads 1 each, at the same time
 *   pair 2t+2t    two processes with --threads 2 each, at the same time
 * Each child builds its net, warms up, prints READY, and waits; once every child of a scenario is ready the
 * parent says GO and each runs steps for `--seconds` and reports ms/step and process CPU ms/step.
 * "Cores explain" = each of P processes gets cores/P cores: with 2 cores and 2 processes, one core each, so a
 * process should step as fast as the 1-thread process alone. excess = measured ms ÷ that expectation
 * (1.00 = no interference beyond core sharing; the 2t+2t pair shows what oversubscribed pools cost).
 *
 *   node --import tsx bench/two-process.ts [--models mlp,cnn] [--seconds 6]
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { initBackend } from '../src/backend/index.js';
import { runParentOrChild } from './args.js';
import { benchNet, syntheticTraining } from './nets.js';

interface ChildResult {
  net: string;
  threads: number;
  steps: number;
  msPerStep: number;
  cpuMsPerStep: number;
}

async function child(args: Map<string, string>): Promise<void> {
  const key = args.get('models') ?? 'mlp';
  const spec = benchNet(key);
  const info = await initBackend({ backend: 'wasm', threads: Number(args.get('threads') ?? '1'), log: false });
  const seconds = Number(args.get('seconds') ?? '6');
  const { optimizer, vars, loss, dispose } = syntheticTraining(spec, { name: 'adam', lr: 1e-3 });
  const step = (): void => {
    const v = optimizer.step(loss, vars);
    v.dataSync();
    v.dispose();
  };
  for (let i = 0; i < 2; i++) step();
  process.stdout.write('READY\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < seconds * 1000 || steps < 2) {
    step();
    steps++;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const r: ChildResult = { net: key, threads: info.threads, steps, msPerStep: wall / steps, cpuMsPerStep: (cpu.user + cpu.system) / 1e3 / steps };
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  dispose();
}

function startChild(net: string, threads: number, seconds: number): { proc: ChildProcessWithoutNullStreams; ready: Promise<void>; result: Promise<ChildResult> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/two-process.ts', '--child', '--models', net, '--threads', String(threads), '--seconds', String(seconds)]);
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout });
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((res) => (onReady = res));
  const result = new Promise<ChildResult>((resolve, reject) => {
    lines.on('line', (l) => {
      if (l === 'READY') onReady();
      else if (l.startsWith('RESULT ')) resolve(JSON.parse(l.slice(7)) as ChildResult);
    });
    proc.on('exit', (code) => reject(new Error(`child (${net}, ${threads}t) exited ${code}: ${stderr.trim().split('\n').slice(-2).join(' | ')}`)));
  });
  proc.on('exit', () => onReady());
  return { proc, ready, result };
}

/** Runs the children of one scenario together: all warm up, then all start timing at the same moment. */
async function scenario(net: string, threadsPerChild: number[], seconds: number): Promise<ChildResult[]> {
  const kids = threadsPerChild.map((t) => startChild(net, t, seconds));
  await Promise.all(kids.map((k) => k.ready));
  for (const k of kids) k.proc.stdin.write('GO\n');
  return Promise.all(kids.map((k) => k.result));
}

async function parent(args: Map<string, string>): Promise<void> {
  const nets = (args.get('models') ?? 'mlp,cnn').split(',');
  const seconds = Number(args.get('seconds') ?? '6');
  const cores = os.availableParallelism();
  const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`machine: ${cores} cores; load average ${load()} at start`);
  const fmt = (v: number, d = 1): string => v.toFixed(d);
  for (const net of nets) {
    const alone1 = (await scenario(net, [1], seconds))[0];
    const alone2 = (await scenario(net, [2], seconds))[0];
    const pair1 = await scenario(net, [1, 1], seconds);
    const pair2 = await scenario(net, [2, 2], seconds);
    // each of P processes gets cores/P cores; with ≥ 1 core each, the expectation is the alone time at that many threads
    const expected = (procs: number): number => (cores / procs >= 2 ? alone2.msPerStep : alone1.msPerStep);
    console.log(`\n${net}: ms per training step (cpu ms per step), excess = ms ÷ what the cores explain`);
    console.log(`  alone 1t      ${fmt(alone1.msPerStep)} (${fmt(alone1.cpuMsPerStep)})`);
    console.log(`  alone 2t      ${fmt(alone2.msPerStep)} (${fmt(alone2.cpuMsPerStep)})  speedup ${fmt(alone1.msPerStep / alone2.msPerStep, 2)}×`);
    for (const [label, rows] of [['pair 1t+1t', pair1], ['pair 2t+2t', pair2]] as const) {
      const e = expected(rows.length);
      const cells = rows.map((r) => `${fmt(r.msPerStep)} (${fmt(r.cpuMsPerStep)}) excess ${fmt(r.msPerStep / e, 2)}`);
      console.log(`  ${label}    ${cells.join('   |   ')}   [expected ${fmt(e)} each]`);
    }
  }
  console.log(`\nload average ${load()} at end`);
}

runParentOrChild('two-process', child, (args) =>
  parent(args).catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  }),
);
