import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCropFlip, drawCropFlipParams, randomCropFlip } from '../../src/data/augment.js';
import { createRng } from '../../src/util/random.js';
import { seededValues } from '../helpers/backends.js';

/** Naive reference: build the zero-padded image, cut the window, then mirror it. */
function reference(img: Float32Array, H: number, W: number, C: number, pad: number, dy: number, dx: number, flip: boolean) {
  const PH = H + 2 * pad;
  const PW = W + 2 * pad;
  const padded = new Float32Array(PH * PW * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) padded[((y + pad) * PW + x + pad) * C + c] = img[(y * W + x) * C + c];
  const crop = new Float32Array(H * W * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) crop[(y * W + x) * C + c] = padded[((y + dy) * PW + x + dx) * C + c];
  if (!flip) return crop;
  const out = new Float32Array(H * W * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) out[(y * W + x) * C + c] = crop[(y * W + (W - 1 - x)) * C + c];
  return out;
}

test('crop+flip matches the naive padded-window reference for every offset (32×32×3)', () => {
  const H = 32, W = 32, C = 3, pad = 4;
  const per = H * W * C;
  // One image per (dy, dx, flip) combination, plus the seeded draw below.
  const combos: Array<[number, number, number]> = [];
  for (let dy = 0; dy <= 2 * pad; dy += 2) for (let dx = 0; dx <= 2 * pad; dx += 2) for (const f of [0, 1]) combos.push([dy, dx, f]);
  const src = seededValues(combos.length * per, 11);
  const params = {
    dy: Int32Array.from(combos.map((c) => c[0])),
    dx: Int32Array.from(combos.map((c) => c[1])),
    flip: Uint8Array.from(combos.map((c) => c[2])),
  };
  const dst = new Float32Array(src.length);
  applyCropFlip(src, dst, { height: H, width: W, channels: C }, pad, params);
  combos.forEach(([dy, dx, f], k) => {
    const ref = reference(src.subarray(k * per, (k + 1) * per), H, W, C, pad, dy, dx, f === 1);
    assert.deepEqual(dst.subarray(k * per, (k + 1) * per), ref, `dy=${dy} dx=${dx} flip=${f}`);
  });
});

test('seeded randomCropFlip: reproducible, offsets in range, both flips occur, equals reference', () => {
  const H = 6, W = 5, C = 2, pad = 4, n = 64;
  const per = H * W * C;
  const src = seededValues(n * per, 3);
  const a = randomCropFlip(src, { height: H, width: W, channels: C }, createRng(42), pad);
  const b = randomCropFlip(src, { height: H, width: W, channels: C }, createRng(42), pad);
  assert.deepEqual(a, b);
  const p = drawCropFlipParams(n, pad, createRng(42));
  assert.ok(p.dy.every((v) => v >= 0 && v <= 8) && p.dx.every((v) => v >= 0 && v <= 8));
  assert.ok(p.dy.some((v) => v === 0) && p.dy.some((v) => v === 8), 'extreme offsets reachable');
  assert.ok(p.flip.some((v) => v === 1) && p.flip.some((v) => v === 0));
  for (let k = 0; k < n; k++) {
    const ref = reference(src.subarray(k * per, (k + 1) * per), H, W, C, pad, p.dy[k], p.dx[k], p.flip[k] === 1);
    assert.deepEqual(a.subarray(k * per, (k + 1) * per), ref, `image ${k}`);
  }
  const c = randomCropFlip(src, { height: H, width: W, channels: C }, createRng(43), pad);
  assert.notDeepEqual(a, c);
});

test('applyCropFlip refuses aliasing and size mismatches', () => {
  const s = new Float32Array(12);
  const p = drawCropFlipParams(1, 1, createRng(0));
  assert.throws(() => applyCropFlip(s, s, { height: 2, width: 2, channels: 3 }, 1, p), /alias/);
  assert.throws(() => applyCropFlip(s, new Float32Array(11), { height: 2, width: 2, channels: 3 }, 1, p), /dst length/);
  assert.throws(() => applyCropFlip(new Float32Array(10), new Float32Array(10), { height: 2, width: 2, channels: 3 }, 1, p), /multiple/);
});
