/**
 * The CLI side of safe outputs (issue 9): the shared --force / --allow-nonfinite flags, and opening a
 * command's output folder as a transaction (io/output-paths.ts + io/atomic.ts) before any work.
 */
import type { FolderTransaction } from '../io/atomic.js';
import type { LoadModelOptions } from '../io/model-folder.js';
import { openOutputFolder, type OutputCheck } from '../io/output-paths.js';

export const FORCE_HELP = 'write outputs even where they overlap an input or replace a folder holding other files';
export const ALLOW_NONFINITE_HELP = 'load models whose weights hold NaN/Inf (reported as a warning) instead of refusing';

const stderrLine = (line: string): void => {
  process.stderr.write(line + '\n');
};

/** Model loading options from the --allow-nonfinite flag (warnings to stderr). */
export function loadOptions(flags: { allowNonfinite?: boolean }): LoadModelOptions {
  return { allowNonFinite: flags.allowNonfinite === true, warn: stderrLine };
}

/** Output transactions opened by the running command and not yet committed. */
const open = new Set<FolderTransaction>();

/**
 * Checks and opens an output folder transaction (leftovers of killed runs reported on stderr). A
 * command that fails before `commit()` needs no cleanup code: main() calls abortOpenOutputs().
 */
export async function openOutput(path: string, check: OutputCheck): Promise<FolderTransaction> {
  const tx = await openOutputFolder(path, { ...check, log: stderrLine, command: `prunekit ${process.argv.slice(2).join(' ')}` });
  open.add(tx);
  return {
    target: tx.target,
    dir: tx.dir,
    async commit() {
      open.delete(tx);
      await tx.commit();
    },
    async abort() {
      open.delete(tx);
      await tx.abort();
    },
  };
}

/** Removes the temp folders of every uncommitted output (the previous outputs stay as they were). */
export async function abortOpenOutputs(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((tx) => tx.abort().catch(() => undefined)));
}
