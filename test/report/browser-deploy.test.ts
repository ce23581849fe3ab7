/**
 * The browser deploy path: a filter-pruned, BN-folded model exported as a TF.js folder (float32 and
 * uint8) and as ONNX (float32 and uint8 weights), loaded in headless Chromium with TF.js and with onnxruntime-web; outputs checked
 * against Node, latency reported (test diagnostics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/io/model-folder.js';
import { writeOnnx } from '../../src/io/onnx/export.js';
import { createModel } from '../../src/models/zoo.js';
import { findChromium } from '../../src/report/chromium.js';
import { runInChromium } from '../../src/report/browser-latency.js';
import { foldBatchNorm } from '../../src/structured/fold-bn.js';
import { pruneFilters } from '../../src/structured/prune-filters.js';
import { maxRelError } from '../../src/util/rel-error.js';
import { randomizeBatchNorm } from '../io/onnx/fixtures.js';

await tf.setBackend('cpu');

test('pruned model in headless Chromium: TF.js (float32 and uint8 folders) and onnxruntime-web match Node; latency reported', { skip: findChromium() ? false : 'no Chromium' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-browser-'));
  const dense = createModel('vgg-small', { seed: 2, widthMultiplier: 0.5 });
  randomizeBatchNorm(dense, 4);
  const { model: pruned } = await pruneFilters(dense, { criterion: 'l1', rates: 0.5 });
  const folded = await foldBatchNorm(pruned);
  try {
    await saveModel(folded, join(dir, 'f32'));
    await saveModel(folded, join(dir, 'u8'), { quantize: 'uint8' });
    await writeOnnx(folded, join(dir, 'model.onnx'));
    await writeOnnx(folded, join(dir, 'model-u8.onnx'), { quantize: 'uint8' });
    const shape = [4, 32, 32, 3];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
    const input = Float32Array.from(x.dataSync() as Float32Array);
    const want = tf.tidy(() => (folded.predict(x) as tf.Tensor).dataSync() as Float32Array);
    const u8 = await loadModel(join(dir, 'u8'));
    const wantU8 = tf.tidy(() => (u8.predict(x) as tf.Tensor).dataSync() as Float32Array);
    u8.dispose();
    const r = await runInChromium({
      models: [
        { label: 'tfjs float32', tfjsDir: join(dir, 'f32') },
        { label: 'tfjs uint8', tfjsDir: join(dir, 'u8') },
        { label: 'onnx nhwc', onnxFile: join(dir, 'model.onnx') },
        { label: 'onnx uint8', onnxFile: join(dir, 'model-u8.onnx') },
      ],
      input,
      inputShape: shape,
      runs: 5,
      warmup: 1,
    });
    x.dispose();
    assert.match(r.userAgent, /Chrom/);
    const all = r.results;
    assert.deepEqual(all.map((m) => m.label), ['tfjs float32', 'tfjs uint8', 'onnx nhwc', 'onnx uint8']);
    for (const m of all) {
      assert.deepEqual(m.outputShape, [4, 10], m.label);
      const ref = m.label.endsWith('uint8') ? wantU8 : want;
      const err = maxRelError(m.output, ref);
      assert.ok(err <= 1e-4, `${m.label} (${m.engine}/${m.backend}) vs Node: relative error ${err}`);
      t.diagnostic(`${m.label}: ${m.engine} (${m.backend}) in Chromium, batch 4: median ${m.latency.medianMs.toFixed(2)} ms (p10 ${m.latency.p10.toFixed(2)}, p90 ${m.latency.p90.toFixed(2)}); rel. error vs Node ${err.toExponential(1)}`);
    }
    // the uint8 model really is a different (quantized) model, and the browser agrees with Node on it
    assert.ok(maxRelError(wantU8, want) > 1e-6, 'uint8 weights change the outputs a little');
  } finally {
    for (const m of [dense, pruned, folded]) m.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
