/**
 * Where a command may write, checked before any work (issue 9): an output folder or file must not
 * resolve (real paths, symlinks followed) to an input, inside one, or around one; an existing output
 * folder is replaced only when it is empty or holds what prunekit writes (else --force); the place
 * must be writable (probed now, so a run under /proc or over a file fails in a second, not after
 * training). Output folders are then written as one transaction (atomic.ts).
 */
import { existsSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { beginFolderTransaction, ensureDirSync, tempPathFor, type FolderTransaction } from './atomic.js';

/** The marker every output folder written through `openOutputFolder` carries. */
export const OUTPUT_MARKER = '.prunekit-output';

/** Names prunekit writes into output folders (folders from before the marker are recognised by these). */
const KNOWN_OUTPUT = /^(model\.json|group\d+-shard\d+of\d+\.bin|results\.json|pruning-record\.json|structured-pruning-record\.json|model\.sparse|report\.html|analysis\.json|fourier-prune\.json|demo-report\.html|model|\.prunekit-output)$/;

export interface OutputCheck {
  /** The flag named in errors, e.g. '--out'. */
  flag: string;
  /** Inputs by description, e.g. { 'model folder': 'runs/m' }; values that are not existing paths (zoo names) are ignored. */
  inputs?: Record<string, string | undefined>;
  /** Skip the input-overlap and foreign-content refusals. */
  force?: boolean;
}

/** Real path of `p` even when it does not exist yet (nearest existing ancestor resolved, the rest appended). */
export function realPathOf(p: string): string {
  const abs = resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch {
      const up = dirname(cur);
      if (up === cur) return abs;
      rest.push(basename(cur));
      cur = up;
    }
  }
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Refuses an output that is, lies inside, or contains one of the inputs (unless force). */
function checkOverlap(path: string, c: OutputCheck): void {
  if (c.force) return;
  const out = realPathOf(path);
  for (const [what, input] of Object.entries(c.inputs ?? {})) {
    if (input === undefined || input === '' || !existsSync(input)) continue;
    const inp = realpathSync(input);
    const how = out === inp ? 'is' : inside(inp, out) ? 'is inside' : inside(out, inp) ? 'contains' : null;
    if (how) {
      const real = out !== resolve(path) || inp !== resolve(input) ? ` (real paths: ${out} and ${inp})` : '';
      throw new Error(`${c.flag} '${path}' ${how} the input ${what} '${input}'${real}; writing there would damage your input — choose another ${c.flag} (or pass --force)`);
    }
  }
}

/** Removes nothing; throws when `dir` exists and holds files prunekit did not write (unless force). */
function checkReplaceable(dir: string, c: OutputCheck): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`${c.flag} '${dir}' exists and is not a folder; give a folder path`);
  if (c.force) return;
  const names = readdirSync(dir);
  if (names.includes(OUTPUT_MARKER)) return;
  const foreign = names.filter((n) => !KNOWN_OUTPUT.test(n));
  if (foreign.length > 0) {
    throw new Error(
      `${c.flag} '${dir}' already holds files prunekit did not write (${foreign.slice(0, 3).map((n) => `'${n}'`).join(', ')}${foreign.length > 3 ? ', …' : ''}); the output folder is replaced as a whole — choose an empty or new folder, or pass --force`,
    );
  }
}

/** Probes that a file can be created in `dir` (created if missing); throws naming the flag. */
function probeWritable(dir: string, flag: string, shown: string): void {
  try {
    ensureDirSync(dir);
    const probe = tempPathFor(join(dir, 'probe'));
    writeFileSync(probe, '', { flag: 'wx' });
    rmSync(probe, { force: true });
  } catch (e) {
    throw new Error(`${flag} '${shown}': cannot write in ${dir}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** All checks for an output folder (no side effects except creating its parent for the probe). */
export function checkOutputFolder(path: string, c: OutputCheck): void {
  if (path.trim() === '') throw new Error(`${c.flag}: empty path`);
  checkOverlap(path, c);
  const real = realPathOf(path);
  checkReplaceable(real, c);
  probeWritable(dirname(real), c.flag, path);
}

/** All checks for an output file (a report): not a folder, not inside/over an input, its folder writable. */
export function checkOutputFile(path: string, c: OutputCheck): void {
  if (path.trim() === '') throw new Error(`${c.flag}: empty path`);
  const real = realPathOf(path);
  if (existsSync(real) && statSync(real).isDirectory()) throw new Error(`${c.flag} '${path}' is a folder; give a file name such as report.html`);
  if (existsSync(real) && !statSync(real).isFile()) throw new Error(`${c.flag} '${path}' exists and is not a regular file`);
  checkOverlap(path, c);
  probeWritable(dirname(real), c.flag, path);
}

/** A folder of files written over time (checkpoints): not over an input, and writable. */
export function checkWritableFolder(path: string, c: OutputCheck): void {
  if (path.trim() === '') throw new Error(`${c.flag}: empty path`);
  const real = realPathOf(path);
  if (existsSync(real) && !statSync(real).isDirectory()) throw new Error(`${c.flag} '${path}' exists and is not a folder`);
  checkOverlap(path, c);
  probeWritable(real, c.flag, path);
}

/** The folder part of a dataset spec such as "mnist-idx:DIR" (for the overlap check), if any. */
export function datasetInput(spec: string | undefined): string | undefined {
  if (!spec) return undefined;
  const i = spec.indexOf(':');
  return i >= 0 ? spec.slice(i + 1) : undefined;
}

export interface OpenOutputOptions extends OutputCheck {
  log?: (line: string) => void;
  /** Stored in the marker file (what wrote the folder). */
  command?: string;
}

/**
 * Checks `path` as an output folder and starts its transaction: write under `.dir`, then `commit()`.
 * Call before the work starts; `abort()` on failure (the previous folder stays as it was).
 */
export async function openOutputFolder(path: string, o: OpenOutputOptions): Promise<FolderTransaction> {
  checkOutputFolder(path, o);
  const tx = await beginFolderTransaction(realPathOf(path), { log: o.log, label: `${o.flag} '${path}'` });
  writeFileSync(join(tx.dir, OUTPUT_MARKER), JSON.stringify({ writtenBy: 'prunekit', command: o.command, date: new Date().toISOString() }) + '\n');
  return tx;
}
