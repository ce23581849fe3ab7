/**
 * The `webgpu` backend under Node: @tensorflow/tfjs-backend-webgpu on Dawn, through the npm package
 * `webgpu` (dawn.node, prebuilt inside the package). Both packages are optional dependencies; nothing
 * requires a GPU.
 *
 * Adapters are tried in order, the first that answers wins:
 *  1. Dawn's default backend (Vulkan / Metal / D3D12), `powerPreference: 'high-performance'` — a real GPU
 *     (on Linux with NVIDIA it needs the Vulkan loader and the driver's ICD);
 *  2. Dawn's OpenGL ES backend at feature level `compatibility` — e.g. Mesa's software renderer
 *     (llvmpipe) on a headless machine, with `EGL_PLATFORM=surfaceless` (set here when unset).
 * `PRUNEKIT_WEBGPU_BACKEND` (e.g. `vulkan`, `opengles`) tries only that Dawn backend.
 *
 * On this backend tensors live in GPU buffers and only asynchronous reads work (`data()`, `array()`;
 * `dataSync` needs a canvas the backend does not have in Node): prunekit's training loop reads that way.
 * When no adapter can be created, `prepareWebGpu` returns the reasons instead of throwing.
 */
import * as tf from '@tensorflow/tfjs';

export interface WebGpuSetup {
  ok: true;
  /** Dawn backend that gave the adapter ('default' = Dawn's own choice). */
  dawnBackend: string;
  /** Adapter description for the start-up line. */
  detail: string;
}
export interface WebGpuUnavailable {
  ok: false;
  reason: string;
}

interface GpuAdapterLike {
  features: Set<string>;
  limits: Record<string, number>;
  info?: Record<string, unknown>;
  requestDevice(desc?: unknown): Promise<unknown>;
}
interface GpuLike {
  requestAdapter(opts?: Record<string, unknown>): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface WebGpuBackendModule {
  WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
}

/** Dawn backends tried when PRUNEKIT_WEBGPU_BACKEND is unset. */
const ATTEMPTS: Array<{ backend: string; request: Record<string, unknown> }> = [
  { backend: 'default', request: { powerPreference: 'high-performance' } },
  { backend: 'opengles', request: { featureLevel: 'compatibility' } },
];

let prepared: Promise<WebGpuSetup | WebGpuUnavailable> | undefined;

async function importOptional<T>(name: string): Promise<T> {
  // a variable, so that bundlers and tsc do not require the optional package
  const spec = name;
  return (await import(spec)) as T;
}

function describeAdapter(adapter: GpuAdapterLike, dawnBackend: string, request: Record<string, unknown>): string {
  const info = adapter.info ?? {};
  const parts = ['vendor', 'architecture', 'device', 'description']
    .map((k) => info[k])
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
  const name = parts.length > 0 ? parts.join(' ') : 'unnamed adapter';
  const level = typeof request.featureLevel === 'string' ? `, feature level ${request.featureLevel}` : '';
  return `WebGPU (Dawn ${dawnBackend === 'default' ? 'default backend' : dawnBackend}${level}): ${name}`;
}

async function findAdapter(dawn: DawnModule): Promise<{ gpu: GpuLike; adapter: GpuAdapterLike; backend: string; request: Record<string, unknown> } | { reasons: string[] }> {
  const forced = process.env.PRUNEKIT_WEBGPU_BACKEND?.trim();
  const attempts = forced ? [{ backend: forced, request: forced === 'opengles' || forced === 'opengl' ? { featureLevel: 'compatibility' } : {} }] : ATTEMPTS;
  const reasons: string[] = [];
  for (const a of attempts) {
    try {
      if ((a.backend === 'opengles' || a.backend === 'opengl') && process.env.EGL_PLATFORM === undefined) {
        // headless Mesa: EGL without a window system (read by libEGL when Dawn opens the display)
        process.env.EGL_PLATFORM = 'surfaceless';
      }
      const gpu = dawn.create(a.backend === 'default' ? [] : [`backend=${a.backend}`]);
      const adapter = await gpu.requestAdapter(a.request);
      if (adapter) return { gpu, adapter, backend: a.backend, request: a.request };
      reasons.push(`${a.backend}: no adapter`);
    } catch (e) {
      reasons.push(`${a.backend}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { reasons };
}

async function setUp(): Promise<WebGpuSetup | WebGpuUnavailable> {
  let dawn: DawnModule;
  try {
    dawn = await importOptional<DawnModule>('webgpu');
  } catch (e) {
    return { ok: false, reason: `the optional npm package 'webgpu' (Dawn for Node) cannot be loaded: ${(e as Error).message.split('\n')[0]}` };
  }
  let tfWebGpu: WebGpuBackendModule;
  try {
    tfWebGpu = await importOptional<WebGpuBackendModule>('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    return { ok: false, reason: `the optional npm package '@tensorflow/tfjs-backend-webgpu' cannot be loaded: ${(e as Error).message.split('\n')[0]}` };
  }
  // WebGPU's global enums (GPUBufferUsage, GPUMapMode, …), which the tfjs backend reads, where Node lacks them
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const found = await findAdapter(dawn);
  if ('reasons' in found) return { ok: false, reason: `no WebGPU adapter (${found.reasons.join('; ')})` };
  const { gpu, adapter, backend, request } = found;
  // WebGPUBackend's constructor checks `navigator.gpu` (Node 20 has no navigator; Node ≥ 21 has one without gpu)
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) g.navigator = { gpu };
  else if (g.navigator.gpu === undefined) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  const detail = describeAdapter(adapter, backend, request);
  // What tfjs-backend-webgpu's own factory requests, with our adapter (its factory only looks at navigator.gpu).
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  const limits = adapter.limits;
  const requiredLimits: Record<string, number> = {};
  for (const k of ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup']) {
    if (typeof limits[k] === 'number') requiredLimits[k] = limits[k];
  }
  let device: unknown;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (e) {
    return { ok: false, reason: `${detail}: requestDevice failed: ${(e as Error).message.split('\n')[0]}` };
  }
  if (tf.engine().registryFactory['webgpu'] !== undefined) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new tfWebGpu.WebGPUBackend(device, adapter.info), 0);
  return { ok: true, dawnBackend: backend, detail };
}

/** Loads Dawn and the tfjs webgpu backend and registers 'webgpu' with a working device (once per process). */
export function prepareWebGpu(): Promise<WebGpuSetup | WebGpuUnavailable> {
  prepared ??= setUp();
  return prepared;
}
