/**
 * Multi-threaded wasm (XNNPACK thread pool) under Node.
 *
 * @tensorflow/tfjs-backend-wasm 4.22.0 ships `tfjs-backend-wasm-threaded-simd.wasm` but never uses it in
 * Node, for three reasons, each worked around here (all hooks are installed only between
 * `prepareWasmThreads` and `plan.finish`, i.e. while `tf.setBackend('wasm')` initialises the module):
 *  1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag returns false when `IS_NODE` → we set the flag to true.
 *  2. the XNNPACK pool is capped at cores/2 (`num_cores = emscripten_num_logical_cores() / 2`, read once
 *     when the module starts; `os.cpus().length` in Node) → `setThreadsCount(n)`, and `os.cpus()` reports
 *     2n entries while the module starts.
 *  3. emscripten's pthread workers come from `blob:` URLs (the worker script via `URL.createObjectURL`, the
 *     main script as a `Blob` posted to each worker), which Node's `worker_threads` cannot load → both
 *     scripts are cut out of the package text and written (content-addressed, atomically) to
 *     `$PRUNEKIT_WASM_WORKER_DIR` (default `<os temp dir>/prunekit-wasm-threads-<uid>`); `URL.createObjectURL`
 *     returns the worker file's path for that one Blob (matched by type and size), and the worker file
 *     loads the main-script file instead of the posted Blob.
 * Two economies: pthread workers start without the parent's `execArgv` (no tsx loader in each), and load
 * the module lazily (the package pre-starts 8 workers; only n−1 run a thread).
 * Who gets the second core (`WasmPool`): 'xnnpack' (default) gives the n threads to XNNPACK's pool (every conv,
 * pooling and element-wise kernel is split), and prunekit's helper thread (simd/gemm-helper.ts: small GEMMs,
 * split conv filter gradients) runs beside it. 'helper' starts the same threaded build with XNNPACK's pool at
 * ONE thread, so the helper is the only second thread: for models whose heavy kernels are all prunekit's (Dense
 * layers: the MLP step is ~80% small GEMMs) the pool's thread only wakes for tiny element-wise kernels and then
 * competes with the helper for the second core (README, wasm training: MLP step 9.1–9.6 vs 10.0–10.4 ms in one
 * window). Conv nets lose XNNPACK's split convolutions there, so it is a choice, not the default.
 * Any mismatch (version, missing code markers, a script that does not compile or load in a worker, an
 * unwritable directory) falls back to one thread with the reason in `detail`. Workers are `unref()`ed
 * after initialisation, so a process exits by itself when its work is done; `releaseWasmWorkers()`
 * terminates them explicitly (optional).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { stopGemmHelpers } from './kernels/simd/gemm-helper.js';

/** The package version whose text the workaround was written against. */
export const SUPPORTED_WASM_VERSION = '4.22.0';
/** The package's own limit (max_num_threads in its backend.cc; it pre-starts 8 pthread workers). */
export const MAX_WASM_THREADS = 8;

/** Who gets the threads beyond the caller: XNNPACK's pool (default) or prunekit's helper thread alone. */
export type WasmPool = 'xnnpack' | 'helper';

/** Parses a pool name; `source` names the flag or variable in errors. */
export function parseWasmPool(value: string | undefined, source: string): WasmPool | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v !== 'xnnpack' && v !== 'helper') throw new Error(`${source}: wasm pool must be 'xnnpack' or 'helper', got '${value}'`);
  return v;
}

export interface ThreadSetup {
  threads: number;
  detail: string;
}

/** What `prepareWasmThreads` arranged; call `finish` once `tf.setBackend('wasm')` has settled. */
export interface ThreadPlan {
  /** Threads asked for (after defaults). */
  requested: number;
  /** True when the threaded-SIMD build will be used. */
  threaded: boolean;
  /** Undoes the temporary `URL.createObjectURL` hook, unrefs the workers, reports the thread count. */
  finish(backendOk: boolean): ThreadSetup;
}

interface WorkerScripts {
  workerFile: string;
  mainFile: string;
  /** Byte size of the worker Blob the package builds (identifies it in `URL.createObjectURL`). */
  workerBlobSize: number;
}

const WORKER_BLOB_TYPE = 'application/javascript';
const PREFLIGHT_TIMEOUT_MS = 20_000;

let scriptsCache: Promise<WorkerScripts> | undefined;

/** Number of threads used when none is requested: all usable cores. */
export function defaultThreadCount(): number {
  return Math.max(1, os.availableParallelism());
}

function wasmPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

function sliceBetween(text: string, start: string, end: string, what: string): string {
  const i = text.indexOf(start);
  if (i < 0) throw new Error(`cannot find ${what} in the wasm package (marker '${start.slice(0, 40)}')`);
  const j = text.indexOf(end, i + start.length);
  if (j < 0) throw new Error(`cannot find the end of ${what} in the wasm package`);
  return text.slice(i, j + end.length);
}

/** Cuts the worker script, the threaded module factory and the helpers it needs out of the bundle text. */
export function extractThreadScripts(bundle: string): { worker: string; main: string } {
  // 1. the flag that turns threads off in Node must be the one we override
  if (!bundle.includes("ENV.registerFlag('WASM_HAS_MULTITHREAD_SUPPORT'") || !bundle.includes("if (ENV.get('IS_NODE'))")) {
    throw new Error('WASM_HAS_MULTITHREAD_SUPPORT flag not found in the expected form');
  }
  // 2. the code each hook and the worker wrapper rely on
  for (const marker of [
    // blob URL for the worker script, Blob for the main script (hookCreateObjectURL, workerSource)
    'return URL.createObjectURL(blob);',
    "var blob = new Blob([response], { type: 'application/javascript' });",
    'factoryConfig.mainScriptUrlOrBlob = new Blob(["var WasmBackendModuleThreadedSimd = " +',
    '"urlOrBlob": Module["mainScriptUrlOrBlob"] || _scriptDir',
    'if(typeof e.data.urlOrBlob==\\"string\\"){importScripts(e.data.urlOrBlob)}',
    'self.startWorker=instance=>{Module=instance;postMessage({\\"cmd\\":\\"loaded\\"})}',
    // Worker class taken from the worker_threads module object (hookWorkerExecArgv)
    'nodeWorkerThreads = require("worker_threads");',
    'commonjsGlobal.Worker = nodeWorkerThreads.Worker;',
    'worker = new Worker(pthreadMainJs);',
    // core count read from the os module object (hookCpuCount); pool of MAX_WASM_THREADS workers
    'return require$$4.cpus().length;',
    `var pthreadPoolSize = ${MAX_WASM_THREADS};`,
  ]) {
    if (!bundle.includes(marker)) throw new Error(`expected code not found in the wasm package: ${marker}`);
  }
  const literal = sliceBetween(bundle, 'var wasmWorkerContents = "', '";\n', 'the pthread worker script');
  const workerContents = JSON.parse(literal.slice('var wasmWorkerContents = '.length, -2)) as string;
  // the package escapes newlines the same way before making its Blob
  const worker = workerContents.replace(/\n/g, '\\n');

  const outerStart = 'var WasmBackendModuleThreadedSimd = (function () {';
  const outer = sliceBetween(bundle, outerStart, 'module.exports = WasmBackendModuleThreadedSimd;', 'the threaded module');
  const innerStart = 'return (function (WasmBackendModuleThreadedSimd) {';
  const innerAt = outer.indexOf(innerStart);
  const innerEnd = 'return WasmBackendModuleThreadedSimd.ready;\n        }';
  const endAt = outer.indexOf(innerEnd, innerAt);
  if (innerAt < 0 || endAt < 0) throw new Error('threaded module factory not found in the expected form');
  const factory = outer.slice(innerAt + 'return ('.length, endAt + innerEnd.length);

  // tslib helpers used by the (down-levelled) factory; they live at the bundle's top level
  const helpers = ['__values', '__read', '__spreadArray'].map((name) =>
    sliceBetween(bundle, `\nfunction ${name}(`, '\n}\n', `helper ${name}`).trim(),
  );
  const main = [
    '// generated by prunekit from @tensorflow/tfjs-backend-wasm ' + SUPPORTED_WASM_VERSION + ' (threaded-SIMD module factory)',
    "var require$$0 = require('fs'); var require$$1 = require('path');",
    "var require$$3 = require('perf_hooks'); var require$$4 = require('os');",
    'var commonjsGlobal = globalThis; var _scriptDir = undefined;',
    ...helpers,
    'var WasmBackendModuleThreadedSimd = ' + factory + ';',
    '',
  ].join('\n');
  return { worker, main };
}

/**
 * The package's worker script plus a wrapper that (a) loads the main script from our file instead of the
 * posted Blob, and (b) loads lazily: the package pre-starts 8 workers and waits until each has loaded the
 * module, though only n−1 ever run a thread. The wrapper answers `load` at once and does the real load
 * (script evaluation and wasm instantiation) when the first other message (`run`)
 * arrives, queueing messages meanwhile and swallowing the second `loaded` it would send.
 */
function workerSource(workerContents: string, mainFile: string): string {
  return [
    workerContents,
    ';(function () {',
    '  var mainFile = ' + JSON.stringify(mainFile) + ';',
    '  var handle = self.onmessage;',
    '  var send = postMessage;',
    '  var deferredLoad = null;',
    '  var queue = null;',
    '  global.postMessage = function (msg) {',
    '    if (queue !== null && msg && msg.cmd === "loaded") {',
    '      var q = queue;',
    '      queue = null;',
    '      for (var i = 0; i < q.length; i++) handle(q[i]);',
    '      return;',
    '    }',
    '    return send(msg);',
    '  };',
    '  self.onmessage = function (e) {',
    '    var cmd = e && e.data && e.data.cmd;',
    '    if (cmd === "prunekit-check") {',
    '      importScripts(mainFile);',
    '      send({ cmd: "prunekit-check", ok: typeof WasmBackendModuleThreadedSimd === "function" });',
    '      return;',
    '    }',
    '    if (cmd === "load") {',
    '      e.data.urlOrBlob = mainFile;',
    '      deferredLoad = e;',
    '      send({ cmd: "loaded" });',
    '      return;',
    '    }',
    '    if (queue !== null) {',
    '      queue.push(e);',
    '      return;',
    '    }',
    '    if (deferredLoad !== null) {',
    '      var load = deferredLoad;',
    '      deferredLoad = null;',
    '      queue = [e];',
    '      return handle(load);',
    '    }',
    '    return handle(e);',
    '  };',
    '})();',
    '',
  ].join('\n');
}

function writeAtomic(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Loads the main script in a throwaway worker, the same way a pthread worker will. */
function preflight(workerFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerFile, { execArgv: [] });
    const timer = setTimeout(() => {
      void w.terminate();
      reject(new Error('the pthread worker did not answer'));
    }, PREFLIGHT_TIMEOUT_MS);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      void w.terminate();
      if (err) reject(err);
      else resolve();
    };
    w.on('message', (m: { cmd?: string; ok?: boolean }) => {
      if (m?.cmd === 'prunekit-check') done(m.ok ? undefined : new Error('the threaded module did not load in a worker'));
    });
    w.on('error', (e) => done(new Error(`the pthread worker failed: ${e.message}`)));
    w.postMessage({ cmd: 'prunekit-check' });
  });
}

async function buildScripts(): Promise<WorkerScripts> {
  const pkgDir = wasmPackageDir();
  const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== SUPPORTED_WASM_VERSION) {
    throw new Error(`@tensorflow/tfjs-backend-wasm is ${version}, the thread workaround needs ${SUPPORTED_WASM_VERSION}`);
  }
  const bundle = readFileSync(join(pkgDir, 'dist', 'tf-backend-wasm.node.js'), 'utf8');
  const { worker, main } = extractThreadScripts(bundle);
  new Script(main, { filename: 'prunekit-wasm-main.js' });
  const hash = createHash('sha256').update(workerSource(worker, '')).update(main).digest('hex').slice(0, 16);
  // per user and private: the files are executed by the workers
  const dir = process.env.PRUNEKIT_WASM_WORKER_DIR || join(os.tmpdir(), `prunekit-wasm-threads-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mainFile = join(dir, `main-${hash}.js`);
  const workerFile = join(dir, `worker-${hash}.cjs`);
  const source = workerSource(worker, mainFile);
  new Script(source, { filename: 'prunekit-wasm-worker.cjs' });
  writeAtomic(mainFile, main);
  writeAtomic(workerFile, source);
  const checked = join(dir, `checked-${hash}-node${process.versions.node}`);
  if (!existsSync(checked)) {
    await preflight(workerFile);
    writeAtomic(checked, 'the pthread worker loaded the threaded module\n');
  }
  return { workerFile, mainFile, workerBlobSize: Buffer.byteLength(worker) };
}

/**
 * While the module starts, `os.cpus()` reports 2n entries so that the package's cap (logical cores / 2)
 * allows n threads. The package reads `os.cpus` from the shared `os` module object; returns the undo function.
 */
function hookCpuCount(n: number): () => void {
  const original = os.cpus;
  os.cpus = function (): os.CpuInfo[] {
    const real = original.call(os);
    return Array.from({ length: 2 * n }, (_, i) => real[i % real.length]);
  };
  return () => {
    os.cpus = original;
  };
}

/**
 * Starts the pthread workers without the parent's `execArgv` (Node's default is to inherit it): under
 * `node --import tsx` every worker would otherwise load the TypeScript loader (~0.1 s CPU each, 8 workers).
 * The package takes `Worker` from the shared `worker_threads` module object while it initialises.
 */
function hookWorkerExecArgv(): () => void {
  const workerThreads = createRequire(import.meta.url)('node:worker_threads') as { Worker: typeof Worker };
  const original = workerThreads.Worker;
  workerThreads.Worker = class PthreadWorker extends original {
    constructor(filename: string | URL, options?: WorkerOptions) {
      super(filename, { ...options, execArgv: [] });
    }
  };
  return () => {
    workerThreads.Worker = original;
  };
}

/** Routes the package's worker Blob URL to our worker file; returns the undo function. */
function hookCreateObjectURL(scripts: WorkerScripts): () => void {
  const original = URL.createObjectURL;
  URL.createObjectURL = function (obj: Blob): string {
    if (obj instanceof Blob && obj.type === WORKER_BLOB_TYPE && obj.size === scripts.workerBlobSize) {
      return scripts.workerFile;
    }
    return original.call(URL, obj);
  };
  return () => {
    URL.createObjectURL = original;
  };
}

interface EmscriptenWorker {
  unref(): void;
  terminate(): Promise<number>;
}
interface PThreadRegistry {
  unusedWorkers: EmscriptenWorker[];
  runningWorkers: EmscriptenWorker[];
}

function pthreads(): PThreadRegistry | undefined {
  // engine().registry, not findBackend: the latter would start initialising the backend
  const backend = tf.engine().registry['wasm'] as unknown as { wasm?: { PThread?: PThreadRegistry } } | undefined;
  return backend?.wasm?.PThread;
}

/** Lets the process exit while the pool's workers idle (they are ref()ed while a pthread runs). */
function unrefWorkers(): void {
  const p = pthreads();
  if (p) for (const w of [...p.runningWorkers, ...p.unusedWorkers]) w.unref();
}

/** Pthread workers of the initialised wasm backend: `running` hosts XNNPACK pool threads. */
export function wasmWorkerCount(): { running: number; idle: number } {
  const p = pthreads();
  return { running: p?.runningWorkers.length ?? 0, idle: p?.unusedWorkers.length ?? 0 };
}

/** Terminates the pthread workers. The wasm backend is unusable afterwards; only for a clean shutdown. */
export async function releaseWasmWorkers(): Promise<void> {
  await stopGemmHelpers();
  const p = pthreads();
  if (!p) return;
  await Promise.all([...p.runningWorkers, ...p.unusedWorkers].map((w) => w.terminate()));
}

let prepared = false;

/**
 * Arranges for `n` wasm threads (default: all usable cores, at most MAX_WASM_THREADS). Call before
 * `tf.setBackend('wasm')` (the wasm module initialises once per process), then `plan.finish(ok)` after it.
 * Never throws for thread problems: it falls back to one thread and says why in `finish().detail`.
 */
export async function prepareWasmThreads(requested: number | undefined, pool: WasmPool = 'xnnpack'): Promise<ThreadPlan> {
  const n = Math.min(requested ?? defaultThreadCount(), MAX_WASM_THREADS);
  if (!Number.isInteger(n) || n < 1) throw new Error(`wasm threads must be a positive integer, got ${requested}`);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (prepared || tf.engine().registry['wasm'] !== undefined) {
    return {
      requested: n,
      threaded: false,
      finish: () => {
        const actual = wasm.getThreadsCount();
        return { threads: actual, detail: `wasm already initialised in this process with ${actual} thread(s)` };
      },
    };
  }
  prepared = true;
  const single = (why: string): ThreadPlan => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return { requested: n, threaded: false, finish: () => ({ threads: 1, detail: `XNNPACK SIMD, single thread (${why})` }) };
  };
  if (n === 1) return single('1 thread requested');
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) return single('no wasm SIMD support');
  if (typeof SharedArrayBuffer === 'undefined') return single('no SharedArrayBuffer');
  let scripts: WorkerScripts;
  try {
    scriptsCache ??= buildScripts();
    scripts = await scriptsCache;
  } catch (e) {
    return single(`threads unavailable: ${(e as Error).message}`);
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  // 'helper': the threaded build (shared memory, so the helper thread can work on the heap), XNNPACK's pool at 1
  wasm.setThreadsCount(pool === 'helper' ? 1 : n);
  const unhooks = [hookCreateObjectURL(scripts), hookCpuCount(n), hookWorkerExecArgv()];
  return {
    requested: n,
    threaded: true,
    finish(backendOk: boolean): ThreadSetup {
      for (const undo of unhooks) undo();
      if (!backendOk) return { threads: 1, detail: 'threaded wasm failed to initialise' };
      unrefWorkers();
      if (pool === 'helper') {
        const capped = n > 2 ? `; ${n} requested, the helper pool uses 2` : '';
        return { threads: 2, detail: `threaded SIMD build, XNNPACK pool of 1 + prunekit's helper thread: 2 threads (wasm pool 'helper'${capped})` };
      }
      const actual = wasm.getThreadsCount();
      return { threads: actual, detail: `XNNPACK threaded SIMD, ${actual} threads (emscripten pthreads on worker_threads)` };
    },
  };
}
