/**
 * Decoded pixels, one fixed-size byte record per image (H·W·C uint8): in memory, or in a file on
 * disk read per example with positional reads, so a folder larger than memory streams with bounded
 * memory. A file store is written to a temporary name and renamed when complete (a cache is never
 * half-written); an anonymous store (no cache folder) lives in the OS temp folder and is unlinked
 * as soon as it is open.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface PixelStore {
  readonly count: number;
  /** Bytes per image. */
  readonly per: number;
  /** Where the pixels live, for messages. */
  readonly describe: string;
  /** Image i's bytes into dst (length ≥ per). */
  read(i: number, dst: Uint8Array): void;
}

export interface WritablePixelStore extends PixelStore {
  write(i: number, pixels: Uint8Array): void;
  /** Makes the store readable (renames a cache file into place). */
  commit(): PixelStore;
  /** Drops a store whose writing failed (removes its temporary file). */
  abort(): void;
}

export class MemoryPixelStore implements WritablePixelStore {
  readonly data: Uint8Array;
  readonly describe = 'memory';
  constructor(
    readonly count: number,
    readonly per: number,
  ) {
    this.data = new Uint8Array(count * per);
  }
  read(i: number, dst: Uint8Array): void {
    dst.set(this.data.subarray(i * this.per, (i + 1) * this.per));
  }
  write(i: number, pixels: Uint8Array): void {
    this.data.set(pixels, i * this.per);
  }
  commit(): PixelStore {
    return this;
  }
  abort(): void {}
}

/** A pixel file opened for reading (e.g. an existing cache). */
export class FilePixelStore implements PixelStore {
  private fd: number;
  constructor(
    readonly path: string,
    readonly count: number,
    readonly per: number,
    fd?: number,
  ) {
    this.fd = fd ?? openSync(path, 'r');
  }
  get describe(): string {
    return `decoded-pixel file ${this.path}`;
  }
  read(i: number, dst: Uint8Array): void {
    const n = readSync(this.fd, dst, 0, this.per, i * this.per);
    if (n !== this.per) throw new Error(`${this.path}: short read at image ${i} (${n} of ${this.per} bytes); delete the cache and run again`);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Writes a pixel file: to `path` via a temporary name, or anonymously in the OS temp folder (path undefined). */
export class PixelFileWriter implements WritablePixelStore {
  private readonly fd: number;
  private readonly tmp: string;
  readonly describe: string;
  constructor(
    readonly path: string | undefined,
    readonly count: number,
    readonly per: number,
  ) {
    if (path) mkdirSync(dirname(path), { recursive: true });
    this.tmp = path ? `${path}.tmp-${process.pid}` : join(tmpdir(), `prunekit-pixels-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.u8`);
    this.fd = openSync(this.tmp, 'w+');
    if (!path) unlinkSync(this.tmp); // anonymous: the data lives while the file is open
    this.describe = path ? `decoded-pixel cache ${path}` : 'decoded-pixel temp file';
  }
  read(i: number, dst: Uint8Array): void {
    readSync(this.fd, dst, 0, this.per, i * this.per);
  }
  write(i: number, pixels: Uint8Array): void {
    writeSync(this.fd, pixels, 0, this.per, i * this.per);
  }
  commit(): PixelStore {
    if (!this.path) return new FilePixelStore(`(temp, ${this.count} images)`, this.count, this.per, this.fd);
    fsyncSync(this.fd);
    renameSync(this.tmp, this.path);
    return new FilePixelStore(this.path, this.count, this.per, this.fd);
  }
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    if (this.path) {
      try {
        unlinkSync(this.tmp);
      } catch {
        /* nothing written */
      }
    }
  }
}
