/**
 * Test helpers for the native kernel provider: whether the addon is built, turning it on over the wasm
 * backend, and counting calls into it (so a test can show the native path really ran).
 */
import { ensureWasm } from './backends.js';
import { enableNativeKernels, loadNativeAddon, type NativeAddon } from '../../src/backend/native/index.js';

const load = loadNativeAddon();

/** A skip message when the addon is not built (tests then skip; CI builds it through scripts/setup.sh). */
export const nativeSkip: string | false = load.addon ? false : `native addon unavailable: ${load.reason}`;

const calls = new Map<string, number>();
let wrapped = false;

/** Registers the wasm training kernels, then the native ones (1 thread), and counts addon calls. */
export async function ensureNative(): Promise<void> {
  await ensureWasm();
  const setup = enableNativeKernels(1);
  if (!setup.ok) throw new Error(setup.reason);
  if (wrapped || !load.addon) return;
  wrapped = true;
  const addon = load.addon as unknown as Record<string, unknown>;
  for (const name of Object.keys(addon)) {
    const fn = addon[name];
    if (typeof fn !== 'function') continue;
    addon[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return (fn as (...a: unknown[]) => unknown).apply(load.addon, args);
    };
  }
}

/** Calls into the addon function `name` so far. */
export function nativeCalls(name: keyof NativeAddon): number {
  return calls.get(name) ?? 0;
}
