/**
 * A persistent helper thread for prunekit's small-GEMM kernel (gemm.wat): a worker_thread that instantiates the
 * same module on tfjs-wasm's shared WebAssembly.Memory and, when woken, claims work units of the GEMM the main
 * thread is running (`gemmUnits`, dynamic split through an atomic counter on the heap).
 *
 * Protocol (Int32Array over a SharedArrayBuffer, all Atomics): the main thread writes the arguments, sets
 * STATE = OPEN and bumps SEQ (notify); then runs `gemmUnits` itself. The helper spins briefly on SEQ, then
 * Atomics.wait; woken, it takes the job with compareExchange(STATE, OPEN → TAKEN), runs `gemmUnits`, sets DONE.
 * When the main thread runs out of units it closes the job with compareExchange(STATE, OPEN → IDLE): if the
 * helper never took it (late wake-up, or a descheduled core) the main thread does not wait for it at all, so a
 * busy machine costs at most the helper's last unit, never a wake-up. The helper is unref()ed (it does not keep
 * the process alive) and `stopGemmHelpers` ends it. A job is of one of two kinds (KIND slot): `gemmUnits`, or the
 * blocks of a split conv filter gradient (`filterGradBlocks`, simd/filter-grad-blocks.ts, whose source the
 * worker embeds; it then also instantiates update.wat for the patch gathering).
 */
import { Worker } from 'node:worker_threads';
import { FG, filterGradBlocks, type BlockSimd } from './filter-grad-blocks.js';

/** A work unit of gemm.wat: UNIT_ROWS rows × UNIT_COLS columns of C. */
export const UNIT_ROWS = 4;
export const UNIT_COLS = 64;

/** Work units of an m×n output. */
export function gemmUnitCount(m: number, n: number): number {
  return Math.ceil(m / UNIT_ROWS) * Math.ceil(n / UNIT_COLS);
}

export interface GemmExports {
  gemmUnits(a: number, b: number, c: number, m: number, k: number, n: number, ctr: number): number;
}

const SEQ = 0;
const STATE = 1;
const ARGS = 2; // a, b, c, M, K, N, ctr: slots 2..8
const SPIN_SLOT = 9;
/** Job kind: 0 = gemmUnits (ARGS..ARGS+6), 1 = filterGradBlocks (FG slots from FG_ARGS). */
const KIND = 10;
const FG_ARGS = 16;
const KIND_GEMM = 0;
const KIND_FILTER_GRAD = 1;
const IDLE = 0;
const OPEN = 1;
const TAKEN = 2;
const DONE = 3;
/** Default spin iterations (Atomics.load, ~5 ns each) of the helper before Atomics.wait. */
const DEFAULT_SPIN = 2000;
/** Spin iterations of the main thread waiting for the helper's last unit, before Atomics.wait. */
const MAIN_SPIN = 2000;

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, simdModule, memory, ctl } = workerData;
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports;
const simd = simdModule ? new WebAssembly.Instance(simdModule, { env: { memory } }).exports : undefined;
const I = new Int32Array(ctl);
const fgArgs = I.subarray(${FG_ARGS}, ${FG_ARGS + FG.COUNT});
const filterGradBlocks = ${filterGradBlocks.toString()};
parentPort.postMessage('ready');
let seen = Atomics.load(I, ${SEQ});
for (;;) {
  const spin = Atomics.load(I, ${SPIN_SLOT});
  for (let n = 0; n < spin && Atomics.load(I, ${SEQ}) === seen; n++);
  if (Atomics.load(I, ${SEQ}) === seen) Atomics.wait(I, ${SEQ}, seen);
  const s = Atomics.load(I, ${SEQ});
  if (s < 0) break;
  seen = s;
  if (Atomics.compareExchange(I, ${STATE}, ${OPEN}, ${TAKEN}) !== ${OPEN}) continue;
  if (I[${KIND}] === ${KIND_FILTER_GRAD}) filterGradBlocks(gemm, simd, memory, fgArgs, 1);
  else gemm.gemmUnits(I[${ARGS}], I[${ARGS + 1}], I[${ARGS + 2}], I[${ARGS + 3}], I[${ARGS + 4}], I[${ARGS + 5}], I[${ARGS + 6}]);
  Atomics.store(I, ${STATE}, ${DONE});
  Atomics.notify(I, ${STATE});
}
`;

export class GemmHelper {
  private readonly ctl = new Int32Array(new SharedArrayBuffer((FG_ARGS + FG.COUNT) * 4));
  private readonly memory: WebAssembly.Memory;
  /** Whether the helper can run filter-gradient blocks (it was given the update.wat module). */
  readonly hasSimd: boolean;
  private readonly worker: Worker;
  private stopped = false;
  /** Units the helper computed in the last call (for tests and benchmarks). */
  lastHelperUnits = 0;
  /** Resolves when the helper has instantiated the module and waits for work (false: it failed to start). */
  readonly ready: Promise<boolean>;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, simdModule?: WebAssembly.Module) {
    this.ctl[SPIN_SLOT] = DEFAULT_SPIN;
    this.memory = memory;
    this.hasSimd = simdModule !== undefined;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module, simdModule, memory, ctl: this.ctl.buffer } });
    this.worker.unref();
    this.ready = new Promise((resolve) => {
      this.worker.once('message', () => resolve(true));
      this.worker.once('error', () => {
        this.stopped = true;
        resolve(false);
      });
      this.worker.once('exit', () => resolve(false));
    });
    live.add(this);
  }

  /**
   * Runs C = A·B over both threads: `main` is the main thread's instance, `ctr` the heap address of an i32 the
   * caller has set to 0. Returns when every unit is computed.
   */
  run(main: GemmExports, a: number, b: number, c: number, m: number, k: number, n: number, ctr: number): void {
    if (this.stopped) {
      main.gemmUnits(a, b, c, m, k, n, ctr);
      return;
    }
    this.ctl.set([a, b, c, m, k, n, ctr], ARGS);
    const mine = this.share(KIND_GEMM, () => main.gemmUnits(a, b, c, m, k, n, ctr));
    this.lastHelperUnits = mine < 0 ? 0 : gemmUnitCount(m, n) - mine;
  }

  /**
   * Runs the filter-gradient blocks described by `args` (FG slots; the caller has set the block counter to 0)
   * over both threads (the main thread is thread 0). Returns the number of blocks the helper computed.
   */
  runFilterGrad(main: GemmExports, simd: BlockSimd, args: Int32Array): number {
    const total = Math.ceil(args[FG.BATCH] / args[FG.BLOCK_IMAGES]);
    if (this.stopped || !this.hasSimd) {
      filterGradBlocks(main, simd, this.memory, args, 0);
      return 0;
    }
    this.ctl.set(args, FG_ARGS);
    const mine = this.share(KIND_FILTER_GRAD, () => filterGradBlocks(main, simd, this.memory, args, 0));
    return mine < 0 ? 0 : total - mine;
  }

  /**
   * Opens a job of `kind` (arguments already in ctl), runs `mainPart` on this thread (it returns the work items it
   * did), then closes the job: returns −1 when the helper never took it (no wait), else `mainPart`'s count after
   * the helper has finished.
   */
  private share(kind: number, mainPart: () => number): number {
    const I = this.ctl;
    I[KIND] = kind;
    Atomics.store(I, STATE, OPEN);
    Atomics.add(I, SEQ, 1);
    Atomics.notify(I, SEQ);
    const mine = mainPart();
    if (Atomics.compareExchange(I, STATE, OPEN, IDLE) === OPEN) return -1;
    for (let s = 0; s < MAIN_SPIN && Atomics.load(I, STATE) === TAKEN; s++);
    while (Atomics.load(I, STATE) === TAKEN) Atomics.wait(I, STATE, TAKEN);
    Atomics.store(I, STATE, IDLE);
    return mine;
  }

  /** Sets how many iterations the helper spins after a job before it sleeps in Atomics.wait. */
  setSpin(iterations: number): void {
    Atomics.store(this.ctl, SPIN_SLOT, Math.max(0, Math.floor(iterations)));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    Atomics.store(this.ctl, SEQ, -1);
    Atomics.notify(this.ctl, SEQ);
    await this.worker.terminate();
  }
}

const live = new Set<GemmHelper>();

/** Ends every helper thread (clean shutdown; later GEMMs run on the main thread only). */
export async function stopGemmHelpers(): Promise<void> {
  await Promise.all([...live].map((h) => h.stop()));
}
