/**
 * The `prunekit` command line: parse, call the library, print. No logic lives here that the library lacks.
 */
import { Command, CommanderError } from 'commander';
import { registerTrain } from './commands/train.js';
import { registerEval } from './commands/eval.js';
import { registerInfo } from './commands/info.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerFourierPrune } from './commands/fourier-prune.js';
import { registerPrune } from './commands/prune.js';
import { registerDemo } from './commands/demo.js';
import { registerPruneFilters } from './commands/prune-filters.js';
import { registerExport } from './commands/export.js';
import { registerSweep } from './commands/sweep.js';
import { abortOpenOutputs } from './outputs.js';
import { registerSensitivity } from './commands/sensitivity.js';

export function buildProgram(): Command {
  const program = new Command('prunekit')
    .description('Prune TensorFlow.js models: magnitude, lookahead (LAP), DCT filter pruning, Fourier-guided two-stage pruning')
    .version('0.1.0')
    .option('--backend <name>', 'compute backend: auto | tensorflow | native | wasm | cpu | webgpu (env PRUNEKIT_BACKEND)')
    .option('--threads <n>', 'compute threads: wasm pool, or libtorch + OpenMP + OpenBLAS with native (env PRUNEKIT_THREADS; default: all cores)')
    .option('--wasm-pool <who>', "wasm: who gets the second core, xnnpack (default) | helper (prunekit's GEMM thread only; for Dense-only models) (env PRUNEKIT_WASM_POOL)")
    .showHelpAfterError()
    .exitOverride();
  registerTrain(program);
  registerEval(program);
  registerInfo(program);
  registerAnalyze(program);
  registerFourierPrune(program);
  registerPrune(program);
  registerDemo(program);
  registerPruneFilters(program);
  registerExport(program);
  registerSweep(program);
  registerSensitivity(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    await abortOpenOutputs();
    if (err instanceof CommanderError) {
      // help and version exit with code 0; parse errors were already printed by commander
      return err.exitCode;
    }
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`prunekit: error: ${msg}\n`);
    if (process.env.PRUNEKIT_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return 1;
  }
}
