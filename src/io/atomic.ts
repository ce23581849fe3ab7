/**
 * Atomic writes.
 * - Files: data goes to a temporary file in the same directory, is fsynced, and is then renamed over
 *   the target, so a reader sees either the old file or the complete new one.
 * - Folders (every command's output folder, every checkpoint): `beginFolderTransaction` makes a temp
 *   sibling `.<name>.pk-tmp-<pid>-<hex>`; the command writes the whole folder there; `commit` renames
 *   the old target aside (`.<name>.pk-old-<pid>-<hex>`), renames the temp folder into place and removes
 *   the old one. The target is the complete old folder or the complete new one — nothing of an earlier
 *   run survives beside the new files. A kill between the two renames leaves no target but the old
 *   folder aside: the next transaction on that target puts it back (old state); temp folders of dead
 *   runs are removed and reported (`cleanLeftovers`).
 */
import { mkdirSync, promises as fsp, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Creates `dir` and its missing parents one level at a time. (Node's `mkdir(…, { recursive: true })`
 * spins forever where mkdir fails with ENOENT under an existing parent, e.g. under /proc.)
 */
export function ensureDirSync(dir: string): void {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    try {
      if (statSync(cur).isDirectory()) break;
      throw new Error(`'${cur}' exists and is not a folder`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new Error(`a parent of '${dir}' is not a folder`);
    }
    missing.push(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** A temp-file name next to `target` (same directory, so the rename cannot cross file systems). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `data` to a temp file and fsyncs it; returns the temp path (caller renames or removes it). */
export async function writeTemp(target: string, data: Uint8Array | string): Promise<string> {
  const tmp = tempPathFor(target);
  const fh = await fsp.open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  return tmp;
}

/**
 * Writes one file atomically (temp file, fsync, rename), creating its directory if needed.
 * On failure the temp file is removed and the target is untouched.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  ensureDirSync(dirname(target));
  const tmp = await writeTemp(target, data);
  try {
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** Synchronous variant of writeFileAtomic (no fsync), for callers that cannot await. */
export function writeFileAtomicSync(target: string, data: Uint8Array | string): void {
  ensureDirSync(dirname(target));
  const tmp = tempPathFor(target);
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`could not write '${target}': ${(e as Error).message}`);
  }
}

/** Best-effort fsync of a directory (makes renames durable); ignored where unsupported. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported on this platform/file system */
  }
}

/** Views a Uint8Array over the bytes of any array buffer view or ArrayBuffer without copying. */
export function asBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The prefix of the transaction siblings of `target`: `.<name>.pk-`. */
function siblingPrefix(target: string): string {
  return `.${basename(target)}.pk-`;
}

const SIBLING = /^(tmp|old)-(\d+)-[0-9a-f]+$/;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cleans what killed runs left beside `target`: an old folder set aside by an interrupted swap is put
 * back when the target is missing (else removed); temp folders of dead processes are removed. Folders
 * of live processes are left alone. Returns one line per action (for the user's log).
 */
export function cleanLeftovers(target: string): string[] {
  const parent = dirname(target);
  const prefix = siblingPrefix(target);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const lines: string[] = [];
  const found = names
    .filter((n) => n.startsWith(prefix))
    .map((n) => ({ name: n, m: SIBLING.exec(n.slice(prefix.length)) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => (a.m[1] === b.m[1] ? 0 : a.m[1] === 'old' ? -1 : 1)); // restore before removing temps
  for (const { name, m } of found) {
    const pid = Number(m[2]);
    const path = join(parent, name);
    if (processAlive(pid)) {
      if (pid !== process.pid) lines.push(`note: ${path} belongs to a running prunekit (pid ${pid}); left alone`);
      continue;
    }
    let targetExists = true;
    try {
      readdirSync(target);
    } catch {
      targetExists = false;
    }
    if (m[1] === 'old' && !targetExists) {
      renameSync(path, target);
      lines.push(`restored ${target} from ${path}, set aside by a run killed while replacing it (pid ${pid})`);
    } else {
      rmSync(path, { recursive: true, force: true });
      lines.push(`removed ${path}, left by a killed run (pid ${pid})`);
    }
  }
  return lines;
}

/** A folder being written: write everything under `dir`, then `commit` (or `abort`). */
export interface FolderTransaction {
  /** The folder that appears on commit. */
  readonly target: string;
  /** The temp sibling to write into. */
  readonly dir: string;
  /** Swaps `dir` in as `target` (the old target, if any, is removed). */
  commit(): Promise<void>;
  /** Removes `dir`; the target is untouched. Safe to call after commit (does nothing). */
  abort(): Promise<void>;
}

export interface FolderTransactionOptions {
  /** Hears of leftovers cleaned (see cleanLeftovers). */
  log?: (line: string) => void;
  /** What the target is called in errors (e.g. "--out 'runs/a'"). */
  label?: string;
}

/** Starts writing `target` as a whole; the temp folder is created now (so an unwritable place fails here, before any work). */
export async function beginFolderTransaction(target: string, opts: FolderTransactionOptions = {}): Promise<FolderTransaction> {
  const label = opts.label ?? target;
  for (const line of cleanLeftovers(target)) opts.log?.(line);
  const parent = dirname(target);
  const tag = () => `${process.pid}-${randomBytes(4).toString('hex')}`;
  const dir = join(parent, `${siblingPrefix(target)}tmp-${tag()}`);
  try {
    ensureDirSync(parent);
    await fsp.mkdir(dir);
  } catch (e) {
    throw new Error(`${label}: cannot create a folder in ${parent}: ${(e as Error).message}`);
  }
  let done = false;
  return {
    target,
    dir,
    async commit() {
      if (done) throw new Error(`${label}: transaction already finished`);
      done = true;
      await syncDir(dir);
      const old = join(parent, `${siblingPrefix(target)}old-${tag()}`);
      let setAside = false;
      try {
        await fsp.rename(target, old);
        setAside = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          await fsp.rm(dir, { recursive: true, force: true });
          throw new Error(`${label}: cannot replace ${target}: ${(e as Error).message}`);
        }
      }
      try {
        await fsp.rename(dir, target);
      } catch (e) {
        if (setAside) await fsp.rename(old, target).catch(() => undefined);
        await fsp.rm(dir, { recursive: true, force: true });
        throw new Error(`${label}: cannot move the new folder into place: ${(e as Error).message}`);
      }
      await syncDir(parent);
      if (setAside) await fsp.rm(old, { recursive: true, force: true });
    },
    async abort() {
      if (done) return;
      done = true;
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
