/**
 * The PyTorch column of `npm run bench:train`: runs bench/torch_train.py (Debian's python3-torch, with
 * /usr/bin/python3) on the same nets, batches and Adam step, channels-last and NCHW, 1 and 2 threads,
 * interleaved with prunekit's native children so that both sides see the same machine minutes, and prints
 * the ratio PyTorch step time ÷ prunekit step time per net and prunekit backend, each side at its best
 * thread setting (and format, for PyTorch). Both sides run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
 * (OpenBLAS picks its kernels for this CPU) and with OMP_WAIT_POLICY=passive and the thread count in
 * OMP_NUM_THREADS / OPENBLAS_NUM_THREADS.
 */
import { spawnSync } from 'node:child_process';

export interface StepResult {
  net: string;
  backend: string;
  threads: number;
  trainMs: number;
  forwardMs: number;
  /** process CPU time per step / per forward pass (user + system, all threads) */
  trainCpuMs: number;
  forwardCpuMs: number;
  flops: number;
  detail: string;
  profile?: string;
}

export const PYTHON = '/usr/bin/python3';
const DROP_ENV = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

/** The environment both sides of the comparison run in. */
export function peerEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'passive', OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  for (const k of DROP_ENV) delete env[k];
  return env;
}

/** Undefined when PyTorch can be imported by /usr/bin/python3; otherwise why not. */
export function torchMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', env: peerEnv(1) });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0) return `PyTorch is not installed for ${PYTHON} (apt-get install python3-torch libopenblas0-openmp)`;
  return undefined;
}

function parseResults(stdout: string): StepResult[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) => JSON.parse(l.slice(7)) as StepResult);
}

export function runTorch(threads: number, format: 'channels_last' | 'nchw', models: string): { results: StepResult[]; error?: string } {
  const r = spawnSync(PYTHON, ['bench/torch_train.py', '--threads', String(threads), '--format', format, '--models', models], {
    encoding: 'utf8',
    env: peerEnv(threads),
    maxBuffer: 16 << 20,
  });
  const error = r.status === 0 ? undefined : `pytorch ${format} ${threads}t exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`;
  return { results: parseResults(r.stdout ?? ''), error };
}

const TARGETS: Record<string, number> = { mlp: 0.5, cnn: 0.6, vgg: 0.6 };

/** Ratio lines: PyTorch's best step ÷ each prunekit backend's best step, per net (wall and CPU time). */
export function ratioLines(rows: StepResult[]): string[] {
  const lines: string[] = [];
  const min = (rs: StepResult[], f: (r: StepResult) => number): StepResult | undefined =>
    rs.reduce<StepResult | undefined>((a, r) => (a === undefined || f(r) < f(a) ? r : a), undefined);
  for (const net of [...new Set(rows.map((r) => r.net))]) {
    const peer = rows.filter((r) => r.net === net && r.backend.startsWith('pytorch'));
    const peerWall = min(peer, (r) => r.trainMs);
    const peerCpu = min(peer, (r) => r.trainCpuMs);
    if (!peerWall || !peerCpu) continue;
    for (const backend of ['native', 'wasm']) {
      const ours = rows.filter((r) => r.net === net && r.backend === backend);
      const oursWall = min(ours, (r) => r.trainMs);
      const oursCpu = min(ours, (r) => r.trainCpuMs);
      if (!oursWall || !oursCpu) continue;
      const ratio = peerWall.trainMs / oursWall.trainMs;
      const target = backend === 'native' ? TARGETS[net] : undefined;
      const verdict = target === undefined ? '' : ratio >= target ? ` (target ≥ ${target}: OK)` : ` (target ≥ ${target}: MISSED)`;
      lines.push(
        `  ${net} ${backend}: PyTorch ${peerWall.trainMs.toFixed(1)} ms (${peerWall.backend} ${peerWall.threads}t) ÷ ours ${oursWall.trainMs.toFixed(1)} ms (${oursWall.threads}t) = ${ratio.toFixed(2)}${verdict}; ` +
          `CPU time: ${peerCpu.trainCpuMs.toFixed(1)} ÷ ${oursCpu.trainCpuMs.toFixed(1)} = ${(peerCpu.trainCpuMs / oursCpu.trainCpuMs).toFixed(2)}`,
      );
    }
  }
  return lines;
}
