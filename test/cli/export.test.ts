/** `prunekit export` and `--quantize` end to end: child processes, exit codes, files written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, readModelJson, saveModel } from '../../src/io/model-folder.js';

await tf.setBackend('cpu');

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PRUNEKIT_THREADS: '1' },
    timeout: 180_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('export --format onnx --verify; --format tfjs --quantize uint8 with the accuracy change; info shows quantized sizes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-export-'));
  try {
    const onnx = join(dir, 'lenet5.onnx');
    const r = cli('export', '--model', 'lenet5', '--format', 'onnx', '--out', onnx, '--verify', '--input-layout', 'nchw');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /verified in onnxruntime-node: max relative error \d\.\d\de-\d+/);
    assert.match(r.out, /ONNX opset 17, NCHW input/);
    assert.ok(statSync(onnx).size > 4 * 60000, 'the file holds the float32 weights');
    const onnxQ = join(dir, 'lenet5-u8.onnx');
    const rq = cli('export', '--model', 'lenet5', '--format', 'onnx', '--quantize', 'uint8', '--out', onnxQ, '--verify', '--fold-bn', '--fuse-activations');
    assert.match(rq.out, /fused \d+ activation layers into the layer before them/);
    assert.equal(rq.code, 0, rq.err);
    assert.match(rq.out, /verified in onnxruntime-node: max relative error \d\.\d\de-\d+ \(batch 4, against the uint8 TF\.js model\)/);
    assert.match(rq.out, /NHWC input, uint8 weights/);
    assert.ok(statSync(onnxQ).size < 0.35 * statSync(onnx).size, `uint8 ONNX ${statSync(onnxQ).size} bytes vs float32 ${statSync(onnx).size}`);

    const q = join(dir, 'q8');
    const t = cli('export', '--model', 'lenet300', '--format', 'tfjs', '--quantize', 'uint8', '--dataset', 'digits', '--limit-test', '300', '--out', q);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /uint8 weights on digits test \(300\): accuracy [\d.]+% → [\d.]+% \([+-][\d.]+ pp; [\d.]+% of predictions changed\)/);
    assert.match(t.out, /266\.6 kB|260\.4 KiB|of weights/);
    const info = cli('info', '--model', q);
    assert.equal(info.code, 0, info.err);
    assert.match(info.out, /quantized \(--quantize\): uint8 [\d.]+ \w+, uint8\+gzip [\d.]+ \w+, uint16 [\d.]+ \w+, float16 [\d.]+ \w+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prune --quantize uint8: pruned zeros stay exactly zero in the saved folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-export-'));
  try {
    const out = join(dir, 'p');
    const r = cli('prune', '--model', 'lenet300', '--method', 'mp', '--sparsity', '0.9', '--finetune-steps', '0', '--limit-train', '200', '--limit-test', '200', '--out', out, '--quantize', 'uint8');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /uint8 weights: test accuracy/);
    const json = await readModelJson(out);
    assert.ok(json.weightsManifest[0].weights.every((w) => w.quantization?.dtype === 'uint8'));
    const m = await loadModel(out);
    const k = m.getLayer('fc1').getWeights()[0].dataSync();
    const zeros = k.filter((v) => v === 0).length / k.length;
    assert.ok(zeros >= 0.89, `fc1 sparsity after uint8 round trip ${zeros}`);
    m.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export bad input: one-line errors before anything is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-export-'));
  try {
    const out = join(dir, 'x.onnx');
    const b = cli('export', '--model', 'lenet5', '--format', 'pb', '--out', out);
    assert.notEqual(b.code, 0);
    assert.match(b.err, /--format must be one of onnx, tfjs, got 'pb'/);
    mkdirSync(join(dir, 'folder'));
    const c = cli('export', '--model', 'lenet5', '--format', 'onnx', '--out', join(dir, 'folder'));
    assert.match(c.err, /--out '.*folder' is a folder; give a file name such as model\.onnx/);
    const d = cli('export', '--model', 'lenet5', '--format', 'tfjs', '--quantize', 'int8', '--out', join(dir, 'q'));
    assert.match(d.err, /--quantize must be one of uint8, uint16, float16, got 'int8'/);
    // a model folder with a layer the exporter does not know
    const x = tf.input({ shape: [8, 2] });
    const y = tf.layers.flatten({ name: 'f' }).apply(tf.layers.conv1d({ name: 'temporal', filters: 2, kernelSize: 3 }).apply(x)) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: y });
    await saveModel(m, join(dir, 'c1d'));
    m.dispose();
    const e = cli('export', '--model', join(dir, 'c1d'), '--format', 'onnx', '--out', out);
    assert.equal(e.code, 1);
    assert.match(e.err, /prunekit: error: export: no ONNX exporter for layer 'temporal' \(Conv1D\)/);
    assert.equal(e.err.split('\n').filter((l) => l.includes('error')).length, 1, e.err);
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(dir).sort(), ['c1d', 'folder']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
