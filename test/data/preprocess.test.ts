import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPixelTransform, parseNormalize, pixelTransform } from '../../src/data/preprocess.js';

const px = Uint8Array.from([10, 128, 250, 0, 255, 64]); // two RGB pixels

function run(mode: string, channels = 3, src: Uint8Array = px): number[] {
  const t = pixelTransform(parseNormalize(mode), channels, () => ({ mean: [0.5, 0.25, 0.125], std: [0.5, 0.25, 0.125] }));
  const out = new Float32Array(src.length);
  applyPixelTransform(t, src, out, 0, channels);
  return Array.from(out);
}

const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-5, `${i}: ${v} vs ${b[i]}`));

test('Keras normalisations against their closed forms', () => {
  const p = Array.from(px);
  close(run('0-1'), p.map((v) => v / 255));
  close(run('-1-1'), p.map((v) => v / 127.5 - 1));
  close(run('tf'), p.map((v) => v / 127.5 - 1));
  close(run('raw'), p);
  // caffe: RGB → BGR, then minus the BGR ImageNet means, 0-255 scale
  const caffeMean = [103.939, 116.779, 123.68];
  close(run('caffe'), [p[2], p[1], p[0], p[5], p[4], p[3]].map((v, i) => v - caffeMean[i % 3]));
  const tm = [0.485, 0.456, 0.406];
  const ts = [0.229, 0.224, 0.225];
  close(run('torch'), p.map((v, i) => (v / 255 - tm[i % 3]) / ts[i % 3]));
  close(run('stats'), p.map((v, i) => (v / 255 - [0.5, 0.25, 0.125][i % 3]) / [0.5, 0.25, 0.125][i % 3]));
  close(run('0.5/0.25'), p.map((v) => (v / 255 - 0.5) / 0.25));
  close(run('0.1,0.2,0.3/1,2,4'), p.map((v, i) => (v / 255 - [0.1, 0.2, 0.3][i % 3]) / [1, 2, 4][i % 3]));
  // float sources are on the [0, 1] scale; in place is allowed (BGR swap included)
  const f = Float32Array.from(p.map((v) => v / 255));
  applyPixelTransform(pixelTransform({ mode: 'caffe' }, 3), f, f, 0, 3);
  close(Array.from(f), run('caffe'));
});

test('bad --normalize values and modes that do not fit the channels fail clearly', () => {
  assert.throws(() => parseNormalize('imagenet'), /--normalize must be one of stats .*got 'imagenet'/);
  assert.throws(() => parseNormalize('0.5/0'), /--normalize must be/);
  assert.throws(() => run('caffe', 1, Uint8Array.from([1, 2])), /--normalize caffe is defined for RGB .*1 channel/);
  assert.throws(() => run('torch', 1, Uint8Array.from([1, 2])), /--normalize torch/);
  assert.throws(() => run('0.1,0.2/1', 3), /gives 2 mean values but the images have 3 channels/);
});
