/**
 * Multi-threaded wasm under Node. (Stub: single thread until implemented.)
 * Must be called before the wasm backend is first initialised.
 */
export interface ThreadSetup {
  threads: number;
  detail: string;
}

export async function prepareWasmThreads(requested: number | undefined): Promise<ThreadSetup> {
  void requested;
  return { threads: 1, detail: 'XNNPACK SIMD, single thread' };
}
