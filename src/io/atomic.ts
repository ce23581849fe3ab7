/**
 * Atomic file writes: data goes to a temporary file in the same directory, is fsynced, and is then
 * renamed over the target, so a reader sees either the old file or the complete new one.
 */
import { mkdirSync, promises as fsp, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

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
  await fsp.mkdir(dirname(target), { recursive: true });
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
  mkdirSync(dirname(target), { recursive: true });
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
