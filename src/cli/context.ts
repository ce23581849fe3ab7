/** Per-command set-up shared by CLI commands: backend choice from the global flags. */
import type { Command } from 'commander';
import { initBackend, parseBackendChoice, parseThreads, type BackendInfo } from '../backend/index.js';
import { parseWasmPool } from '../backend/threads.js';

export async function backendFromFlags(cmd: Command): Promise<BackendInfo> {
  const g = cmd.optsWithGlobals() as { backend?: string; threads?: string; wasmPool?: string };
  return initBackend({
    backend: parseBackendChoice(g.backend, '--backend'),
    threads: parseThreads(g.threads, '--threads'),
    wasmPool: parseWasmPool(g.wasmPool, '--wasm-pool'),
  });
}
