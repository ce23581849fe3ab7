/**
 * Threaded wasm under Node. The wasm module initialises once per process, so each thread setting runs in
 * a child process: this same file, started with PRUNEKIT_THREADS_CHILD set, initialises the backend,
 * checks conv2d / matMul against the `cpu` backend and prints one JSON line. The child must also exit on
 * its own (the pthread workers must not keep it alive): it is killed after a generous limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { extractThreadScripts, MAX_WASM_THREADS } from '../../src/backend/threads.js';
import { relError, seededValues } from '../helpers/backends.js';

interface ChildReport {
  name: string;
  threads: number;
  detail: string;
  workers: { running: number; idle: number };
  convErr: number;
  convStridedErr: number;
  matMulErr: number;
  /** prunekit's depthwise kernel (dwconv.wat, shared-memory variant in the threaded build) vs cpu. */
  dwErr: number;
  /** Whether PRUNEKIT_WASM_DWCONV=auto picks prunekit's depthwise kernel (single-threaded builds only). */
  dwAuto: boolean;
  /** XNNPACK's pool size (tfjs-wasm's getThreadsCount). */
  xnnpackThreads: number;
  /** Whether prunekit's GEMM helper thread was started (threaded build, after the matMul). */
  gemmHelper: boolean;
  leakedTensors: number;
}

async function childMain(): Promise<void> {
  const { initBackend } = await import('../../src/backend/index.js');
  const { wasmWorkerCount } = await import('../../src/backend/threads.js');
  const { depthwiseConvInference } = await import('../../src/backend/kernels/simd/depthwise-conv.js');
  const { gemmHelperOf } = await import('../../src/backend/kernels/simd/small-gemm.js');
  const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  const threads = Number(process.env.PRUNEKIT_THREADS_CHILD);
  const info = await initBackend({ backend: 'wasm', threads, log: false });
  const x = seededValues(2 * 12 * 12 * 8, 1);
  const w = seededValues(3 * 3 * 8 * 16, 2);
  const a = seededValues(70 * 96, 3);
  const b = seededValues(96 * 50, 4);
  const dw = (backend: string) => {
    const conv = {
      x: tf.tensor4d(x, [2, 12, 12, 8]),
      filter: tf.tensor4d(w.subarray(0, 72), [3, 3, 8, 1]),
      bias: tf.tensor1d(b.subarray(0, 8)),
      strides: [1, 1] as [number, number],
      pad: 'same' as const,
      dilations: [1, 1] as [number, number],
      activation: 'relu6' as const,
    };
    return backend === 'wasm' ? depthwiseConvInference(conv, 'on')! : tf.fused.depthwiseConv2d(conv);
  };
  const compute = (backend: string): tf.Tensor[] => {
    const xt = tf.tensor4d(x, [2, 12, 12, 8]);
    const wt = tf.tensor4d(w, [3, 3, 8, 16]);
    return [
      tf.conv2d(xt, wt, 1, 'same'),
      tf.conv2d(xt, wt, 2, 'valid'),
      tf.matMul(tf.tensor2d(a, [70, 96]), tf.tensor2d(b, [96, 50])),
      dw(backend),
    ];
  };
  const run = (backend: string): Float32Array[] => {
    void tf.setBackend(backend);
    const outs = tf.tidy(() => compute(backend));
    const vals = outs.map((t) => Float32Array.from(t.dataSync() as Float32Array));
    tf.dispose(outs);
    return vals;
  };
  const before = tf.memory().numTensors;
  const dwAuto = tf.tidy(() => {
    const t = tf.zeros([1, 4, 4, 4]) as tf.Tensor4D;
    const f = tf.zeros([3, 3, 4, 1]) as tf.Tensor4D;
    return depthwiseConvInference({ x: t, filter: f, strides: [1, 1], pad: 'same', dilations: [1, 1], activation: 'linear' }, 'auto') !== undefined;
  });
  const got = run('wasm');
  const ref = run('cpu');
  const report: ChildReport = {
    name: info.name,
    threads: info.threads,
    detail: info.detail,
    workers: wasmWorkerCount(),
    convErr: relError(got[0], ref[0]),
    convStridedErr: relError(got[1], ref[1]),
    matMulErr: relError(got[2], ref[2]),
    dwErr: relError(got[3], ref[3]),
    dwAuto,
    xnnpackThreads: getThreadsCount(),
    gemmHelper: gemmHelperOf(tf.findBackend('wasm') as never) !== undefined,
    leakedTensors: tf.memory().numTensors - before,
  };
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
  // no process.exit(): the parent checks that the process ends by itself
}

function runChild(threads: number, env: Record<string, string> = {}): ChildReport {
  const file = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, ...env, PRUNEKIT_THREADS_CHILD: String(threads) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.signal, null, `child with ${threads} thread(s) did not exit by itself (killed by ${r.signal}); stderr: ${r.stderr}`);
  assert.equal(r.status, 0, `child with ${threads} thread(s) failed: ${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('REPORT '));
  assert.ok(line, `no report from child: ${r.stdout} ${r.stderr}`);
  return JSON.parse(line.slice('REPORT '.length)) as ChildReport;
}

if (process.env.PRUNEKIT_THREADS_CHILD) {
  await childMain();
} else {
  test('extracts compilable worker and module scripts from the pinned wasm package', () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    const bundle = readFileSync(join(dir, 'dist', 'tf-backend-wasm.node.js'), 'utf8');
    const { worker, main } = extractThreadScripts(bundle);
    assert.doesNotThrow(() => new Script(worker));
    assert.doesNotThrow(() => new Script(main));
    assert.match(main, /var WasmBackendModuleThreadedSimd = function \(WasmBackendModuleThreadedSimd\)/);
    assert.match(main, /function __spreadArray\(/);
    assert.match(worker, /importScripts\(e\.data\.urlOrBlob\)/);
  });

  test('refuses package text it was not written for, with a reason', () => {
    assert.throws(() => extractThreadScripts('var x = 1;'), /WASM_HAS_MULTITHREAD_SUPPORT flag not found/);
    assert.throws(
      () =>
        extractThreadScripts(
          "ENV.registerFlag('WASM_HAS_MULTITHREAD_SUPPORT' if (ENV.get('IS_NODE')) return URL.createObjectURL(blob);",
        ),
      /expected code not found in the wasm package/,
    );
  });

  test('MAX_WASM_THREADS matches the pthread pool the package pre-starts', () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    const bundle = readFileSync(join(dir, 'dist', 'tf-backend-wasm.node.js'), 'utf8');
    assert.ok(bundle.includes(`var pthreadPoolSize = ${MAX_WASM_THREADS};`));
  });

  test('two wasm threads: threaded build, pool of 2, same results as cpu, process exits', () => {
    const r = runChild(2);
    assert.equal(r.name, 'wasm');
    assert.equal(r.threads, 2, r.detail);
    assert.match(r.detail, /threaded SIMD/);
    assert.equal(r.workers.running, 1, 'XNNPACK pool of 2 = caller + 1 pthread worker');
    assert.ok(r.convErr < 1e-5, `conv2d same rel err ${r.convErr}`);
    assert.ok(r.convStridedErr < 1e-5, `conv2d stride 2 rel err ${r.convStridedErr}`);
    assert.ok(r.matMulErr < 1e-5, `matMul rel err ${r.matMulErr}`);
    assert.ok(r.dwErr < 1e-4, `prunekit depthwise (shared memory) rel err ${r.dwErr}`);
    assert.equal(r.dwAuto, false, 'auto keeps XNNPACK depthwise in the threaded build');
    assert.equal(r.xnnpackThreads, 2);
    assert.equal(r.gemmHelper, true, 'the small matMul started the GEMM helper');
    assert.equal(r.leakedTensors, 0);
  });

  test("wasm pool 'helper': threaded build, XNNPACK single-threaded, the GEMM helper as the second thread", () => {
    const r = runChild(2, { PRUNEKIT_WASM_POOL: 'helper' });
    assert.equal(r.name, 'wasm');
    assert.equal(r.threads, 2, r.detail);
    assert.match(r.detail, /XNNPACK pool of 1 \+ prunekit's helper thread/);
    assert.equal(r.xnnpackThreads, 1);
    assert.equal(r.workers.running, 0, 'no XNNPACK pthread worker runs a thread');
    assert.equal(r.gemmHelper, true, 'shared memory: the GEMM helper started');
    assert.ok(r.convErr < 1e-5 && r.convStridedErr < 1e-5 && r.matMulErr < 1e-5 && r.dwErr < 1e-4, JSON.stringify(r));
    assert.equal(r.dwAuto, true, 'XNNPACK single-threaded: auto picks prunekit depthwise');
    assert.equal(r.leakedTensors, 0);
  });

  test('an unknown wasm pool is refused with the accepted names', () => {
    const file = fileURLToPath(import.meta.url);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
      env: { ...process.env, PRUNEKIT_WASM_POOL: 'both', PRUNEKIT_THREADS_CHILD: '2' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /PRUNEKIT_WASM_POOL: wasm pool must be 'xnnpack' or 'helper', got 'both'/);
  });

  test('one wasm thread: plain SIMD build, no workers, same results as cpu', () => {
    const r = runChild(1);
    assert.equal(r.threads, 1);
    assert.match(r.detail, /single thread \(1 thread requested\)/);
    assert.deepEqual(r.workers, { running: 0, idle: 0 });
    assert.ok(r.convErr < 1e-5 && r.convStridedErr < 1e-5 && r.matMulErr < 1e-5 && r.dwErr < 1e-4, JSON.stringify(r));
    assert.equal(r.dwAuto, true, 'auto picks prunekit depthwise in the single-threaded build');
    assert.equal(r.gemmHelper, false, 'no shared memory, no helper thread');
  });

  test('falls back to one thread with a reason when the worker scripts cannot be written', () => {
    // a directory under a file cannot be created
    const r = runChild(2, { PRUNEKIT_WASM_WORKER_DIR: '/dev/null/prunekit' });
    assert.equal(r.threads, 1);
    assert.match(r.detail, /single thread \(threads unavailable: .*ENOTDIR/);
    assert.deepEqual(r.workers, { running: 0, idle: 0 });
    assert.ok(r.convErr < 1e-5 && r.matMulErr < 1e-5, JSON.stringify(r));
  });
}
