/** Helpers that build (possibly hostile) model folders and sparse files for the input-safety tests and the fuzz suite. */
import { gzipSync } from 'node:zlib';
import { crc32 } from '../../src/util/crc32.js';

/** A prunekit sparse file around `payload` (header fields overridable, to craft bad files). */
export function sparseFileBytes(payload: Uint8Array, o: { gzip?: boolean; length?: number; crc?: number; body?: Uint8Array } = {}): Uint8Array {
  const body = o.body ?? (o.gzip ? new Uint8Array(gzipSync(payload)) : payload);
  const out = new Uint8Array(24 + body.length);
  out.set(new TextEncoder().encode('PKSPARSE'), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, o.gzip ? 1 : 0, true);
  dv.setUint32(16, o.crc ?? crc32(payload), true);
  dv.setUint32(20, o.length ?? payload.length, true);
  out.set(body, 24);
  return out;
}

/** A sparse payload from a header object and a data section. */
export function sparsePayload(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = (4 + json.length + 3) & ~3;
  const out = new Uint8Array(start + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(data, start);
  return out;
}

/** Splits a sparse payload back into its header object and data section. */
export function splitPayload(payload: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const hlen = new DataView(payload.buffer, payload.byteOffset).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + hlen))) as Record<string, unknown>;
  return { header, data: payload.slice((4 + hlen + 3) & ~3) };
}
