/**
 * Loads prunekit's optional native addon (native/ → native/build/Release/prunekit_native.node, built from
 * source by scripts/build-native.sh against Debian's libtorch-dev). Never throws: when the addon is
 * absent or does not load, `loadNativeAddon` says why, and prunekit keeps the wasm kernels.
 *
 * The thread environment (./threads.ts) must be in place before the first load: OpenMP and OpenBLAS read
 * it once, when libtorch is loaded into the process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions; tensors are byte offsets into the wasm heap (a Uint8Array), shapes are arrays. */
export interface NativeAddon {
  setThreads(n: number): void;
  info(): { torchVersion: string; threads: number; parallel: string; config: string; openblas: boolean };
  conv2d(heap: Uint8Array, x: number, xShape: number[], w: number, wShape: number[], y: number, yShape: number[],
    geometry: number[], depthwise: boolean, bias: number, biasLen: number, activation: number, alpha: number): void;
  conv2dBackpropInput(heap: Uint8Array, dy: number, dyShape: number[], w: number, wShape: number[], dx: number, dxShape: number[],
    geometry: number[], depthwise: boolean): void;
  conv2dBackpropFilter(heap: Uint8Array, x: number, xShape: number[], dy: number, dyShape: number[], dw: number, dwShape: number[],
    geometry: number[], depthwise: boolean): void;
  matMul(heap: Uint8Array, a: number, aShape: number[], b: number, bShape: number[], out: number, outShape: number[],
    transposeA: boolean, transposeB: boolean, bias: number, biasShape: number[], activation: number, alpha: number): void;
  batchNormTrain(heap: Uint8Array, x: number, xShape: number[], gamma: number, beta: number, y: number, mean: number, variance: number,
    epsilon: number): void;
  batchNormTrainGrad(heap: Uint8Array, x: number, xShape: number[], gamma: number, mean: number, variance: number, dy: number,
    dmean: number, dvariance: number, dx: number, dgamma: number, dbeta: number, epsilon: number): void;
  maxPool(heap: Uint8Array, x: number, xShape: number[], y: number, yShape: number[], geometry: number[]): void;
  maxPoolGrad(heap: Uint8Array, dy: number, dyShape: number[], x: number, xShape: number[], dx: number, geometry: number[]): void;
  avgPool(heap: Uint8Array, x: number, xShape: number[], y: number, yShape: number[], geometry: number[]): void;
  avgPoolGrad(heap: Uint8Array, dy: number, dyShape: number[], dx: number, dxShape: number[], geometry: number[]): void;
  adam(heap: Uint8Array, w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number,
    lr: number, beta1: number, beta2: number, epsilon: number, oneMinusAccBeta1: number, oneMinusAccBeta2: number): void;
}

export type AddonLoad = { addon: NativeAddon; path: string } | { addon?: undefined; reason: string };

const ADDON_RELATIVE = join('native', 'build', 'Release', 'prunekit_native.node');

/** The package root (the folder with package.json and native/), from src/… or dist/src/…. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Where the addon is looked for: $PRUNEKIT_NATIVE_ADDON, else native/build/Release under the package root. */
export function nativeAddonPath(): string {
  return process.env.PRUNEKIT_NATIVE_ADDON || join(packageRoot(), ADDON_RELATIVE);
}

let cached: AddonLoad | undefined;

/** Loads the addon once per process; the result (or the reason it is unavailable) is cached. */
export function loadNativeAddon(): AddonLoad {
  if (cached) return cached;
  const path = nativeAddonPath();
  if (process.platform !== 'linux') {
    cached = { reason: `the native provider is built for Linux only (this is ${process.platform})` };
  } else if (!existsSync(path)) {
    cached = { reason: `the native addon is not built (${path} missing; run 'bash scripts/setup.sh' or 'npm run build:native' on Debian with libtorch-dev)` };
  } else {
    try {
      const addon = createRequire(import.meta.url)(path) as NativeAddon;
      addon.info();
      cached = { addon, path };
    } catch (e) {
      cached = { reason: `the native addon does not load: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return cached;
}
