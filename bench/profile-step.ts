/**
 * Where a wasm training step spends its time: per-kernel ms (summed over the kernel's calls) in one
 * training step (forward + backward + optimiser update) and in one forward pass, for the bench nets
 * (bench/train.ts), with 1 and 2 threads. Kernel time is measured by `tf.profile` (wall time of each
 * kernel function, nested kernel calls inside prunekit's kernels counted in their caller); "untracked"
 * is step wall time minus the kernels' sum (tape, JS glue, op wrappers).
 *
 *   node --import tsx bench/profile-step.ts [--models cnn,vgg] [--threads 1,2] [--steps 3] [--top 20]
 *           [--optimizer adam|sgd] [--backend wasm|native]
 *
 * --models also takes the DCT sweep's nets (vgg-small, resnet20: nets.ts SWEEP_NETS).
 *
 * Each thread count runs in a child process (the wasm module picks its threads once per process).
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../src/backend/index.js';
import type { OptimizerSpec } from '../src/train/optimizers.js';
import { runParentOrChild } from './args.js';
import { benchNet, syntheticTraining, type BenchNet } from './nets.js';

interface KernelRow {
  name: string;
  ms: number;
  calls: number;
}
interface Phase {
  wallMs: number;
  cpuMs: number;
  kernels: KernelRow[];
}
interface ProfileResult {
  net: string;
  threads: number;
  step: Phase;
  optimizer: Phase;
  forward: Phase;
}

function summarise(info: Awaited<ReturnType<typeof tf.profile>>, reps: number): KernelRow[] {
  const byName = new Map<string, KernelRow>();
  // `*__op` entries are op scopes around kernels that are listed too
  for (const k of info.kernels.filter((q) => !q.name.endsWith('__op'))) {
    const e = byName.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls += 1;
    byName.set(k.name, e);
  }
  return [...byName.values()].map((r) => ({ name: r.name, ms: r.ms / reps, calls: r.calls / reps })).sort((p, q) => q.ms - p.ms);
}

async function measure(reps: number, fn: () => void): Promise<Phase> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const wallMs = (performance.now() - t0) / reps;
  const cpu = process.cpuUsage(c0);
  const info = await tf.profile(() => {
    for (let i = 0; i < reps; i++) fn();
  });
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1e3 / reps, kernels: summarise(info, reps) };
}

async function profileNet(spec: BenchNet, threads: number, steps: number, optSpec: OptimizerSpec): Promise<ProfileResult> {
  const { model, x, optimizer, vars, loss, dispose } = syntheticTraining(spec, optSpec);
  const trainStep = (): void => {
    const v = optimizer.step(loss, vars);
    v.dataSync();
    v.dispose();
  };
  // The optimiser update alone, with fixed gradients.
  const { value, grads } = tf.variableGrads(loss, vars.map((v) => v.variable));
  value.dispose();
  const fixed = vars.map((v) => grads[v.variable.name]);
  const update = (): void => {
    optimizer.step(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(v.variable, fixed[i])))) as tf.Scalar, vars).dispose();
  };
  const forward = (): void => {
    tf.tidy(() => (model.apply(x, { training: false }) as tf.Tensor).dataSync());
  };
  trainStep(); // warm-up (XNNPACK operator creation, heap growth)
  forward();
  update();
  const step = await measure(steps, trainStep);
  const opt = await measure(steps, update);
  const fwd = await measure(steps, forward);
  tf.dispose(Object.values(grads));
  dispose();
  return { net: spec.key, threads, step, optimizer: opt, forward: fwd };
}

async function child(args: Map<string, string>): Promise<void> {
  const threads = Number(args.get('threads') ?? '1');
  const info = await initBackend({ backend: (args.get('backend') ?? 'wasm') as BackendChoice, threads, log: false });
  const keys = (args.get('models') ?? 'cnn,vgg').split(',');
  const steps = Number(args.get('steps') ?? '3');
  const optSpec: OptimizerSpec = args.get('optimizer') === 'sgd' ? { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4 } : { name: 'adam', lr: 1e-3 };
  for (const spec of keys.map(benchNet)) {
    const r = await profileNet(spec, info.threads, steps, optSpec);
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  }
}

function printPhase(title: string, p: Phase, top: number): void {
  const tracked = p.kernels.reduce((s, k) => s + k.ms, 0);
  console.log(`  ${title}: wall ${p.wallMs.toFixed(1)} ms, cpu ${p.cpuMs.toFixed(1)} ms, kernels ${tracked.toFixed(1)} ms, untracked ${(p.wallMs - tracked).toFixed(1)} ms`);
  for (const k of p.kernels.slice(0, top)) {
    console.log(`    ${k.name.padEnd(36)} ${k.ms.toFixed(1).padStart(8)} ms ${String(Math.round(k.calls)).padStart(5)} calls ${((100 * k.ms) / p.wallMs).toFixed(1).padStart(5)}%`);
  }
}

function parent(args: Map<string, string>): void {
  const top = Number(args.get('top') ?? '20');
  const pass = ['--models', args.get('models') ?? 'cnn,vgg', '--steps', args.get('steps') ?? '3', '--optimizer', args.get('optimizer') ?? 'adam', '--backend', args.get('backend') ?? 'wasm'];
  for (const t of (args.get('threads') ?? '1,2').split(',')) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/profile-step.ts', '--child', '--threads', t, ...pass], { encoding: 'utf8', maxBuffer: 16 << 20 });
    if (r.status !== 0) console.log(`threads ${t}: child failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('RESULT '))) {
      const p = JSON.parse(line.slice(7)) as ProfileResult;
      console.log(`${p.net} ${p.threads} thread(s): train/forward ${(p.step.wallMs / p.forward.wallMs).toFixed(2)}`);
      printPhase('training step', p.step, top);
      printPhase('optimiser update alone', p.optimizer, Math.min(top, 8));
      printPhase('forward', p.forward, Math.min(top, 10));
    }
  }
}

runParentOrChild('profile', child, parent);
