/**
 * Bounded gzip inflation: the output may not grow past what the file declares (gzip's ISIZE trailer,
 * RFC 1952 §2.3.1, or a format's own length field), and that declaration is checked against deflate's
 * best ratio (about 1032:1), so a small crafted file cannot make the process allocate gigabytes.
 */
import { gunzipSync } from 'node:zlib';

/** The most bytes any deflate stream of `n` compressed bytes can inflate to. */
export const inflateBound = (n: number): number => n * 1032 + 1024;

/** Uncompressed size a gzip stream declares in its trailer (mod 2^32; last member only). */
export function gzipDeclaredSize(bytes: Uint8Array): number {
  if (bytes.length < 18) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
}

/**
 * Inflates `bytes`, refusing output past `declared` bytes (default: the ISIZE trailer) or `max`.
 * Errors name `source`.
 */
export function gunzipBounded(bytes: Uint8Array, source: string, opts: { declared?: number; max?: number } = {}): Uint8Array {
  const declared = opts.declared ?? gzipDeclaredSize(bytes);
  const max = opts.max ?? 2 ** 31 - 1;
  if (declared > max) throw new Error(`${source}: gzip stream declares ${declared} bytes, more than the ${max} allowed`);
  if (declared > inflateBound(bytes.length)) throw new Error(`${source}: gzip stream declares ${declared} bytes, impossible from ${bytes.length} compressed bytes (corrupt file)`);
  try {
    return gunzipSync(bytes, { maxOutputLength: Math.max(1, declared) });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`${source}: gzip stream inflates past its declared ${declared} bytes (corrupt or crafted file)`);
    throw new Error(`${source}: corrupt or truncated gzip stream (${(e as Error).message}); re-download the file`);
  }
}
