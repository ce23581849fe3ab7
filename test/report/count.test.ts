import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { countModel, formatCountTable, formatMagnitude, type ModelCount } from '../../src/report/count.js';
import { createModel } from '../../src/models/index.js';

await tf.setBackend('cpu');

function seq(inputShape: number[], layers: tf.layers.Layer[]): tf.Sequential {
  const m = tf.sequential();
  layers.forEach((l, i) => {
    if (i === 0) {
      m.add(tf.layers.inputLayer({ inputShape }));
    }
    m.add(l);
  });
  return m;
}

function row(c: ModelCount, name: string) {
  const r = c.layers.find((l) => l.name === name);
  assert.ok(r, `row ${name} missing`);
  return r;
}

test('Dense: in·out MACs, weights + bias params; rank-3 input counts every position', () => {
  const m = seq([3], [tf.layers.dense({ name: 'd', units: 4 })]);
  const c = countModel(m);
  assert.equal(c.layers.length, 1);
  assert.deepEqual(row(c, 'd'), {
    name: 'd', className: 'Dense', outputShape: [null, 4], params: 3 * 4 + 4, trainableParams: 16, macs: 12, convDense: true,
  });
  assert.equal(c.convDenseMacs, 12);
  m.dispose();
  const m3 = seq([5, 3], [tf.layers.dense({ name: 'd3', units: 4 })]);
  assert.equal(countModel(m3).macs, 5 * 3 * 4);
  m3.dispose();
});

test('Conv2D with stride 2 and valid / same padding: Hout·Wout·kh·kw·cin·cout', () => {
  const m = seq([9, 9, 2], [
    tf.layers.conv2d({ name: 'cv', filters: 4, kernelSize: 3, strides: 2, padding: 'valid' }),
    tf.layers.conv2d({ name: 'cs', filters: 5, kernelSize: [3, 2], strides: 2, padding: 'same', useBias: false }),
  ]);
  const c = countModel(m);
  // valid: floor((9-3)/2)+1 = 4
  assert.deepEqual(row(c, 'cv').outputShape, [null, 4, 4, 4]);
  assert.equal(row(c, 'cv').macs, 4 * 4 * 3 * 3 * 2 * 4);
  assert.equal(row(c, 'cv').params, 3 * 3 * 2 * 4 + 4);
  // same: ceil(4/2) = 2; kernel 3×2, cin 4, cout 5, no bias
  assert.deepEqual(row(c, 'cs').outputShape, [null, 2, 2, 5]);
  assert.equal(row(c, 'cs').macs, 2 * 2 * 3 * 2 * 4 * 5);
  assert.equal(row(c, 'cs').params, 3 * 2 * 4 * 5);
  assert.equal(c.convDenseMacs, 1152 + 480);
  assert.equal(c.macs, c.convDenseMacs);
  m.dispose();
});

test('DepthwiseConv2D: Hout·Wout·kh·kw·cin·multiplier', () => {
  const m = seq([6, 6, 3], [tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'valid' })]);
  const c = countModel(m);
  assert.deepEqual(row(c, 'dw').outputShape, [null, 4, 4, 6]);
  assert.equal(row(c, 'dw').macs, 4 * 4 * 3 * 3 * 3 * 2);
  assert.equal(row(c, 'dw').params, 3 * 3 * 3 * 2 + 6);
  assert.equal(c.convDenseMacs, 864);
  m.dispose();
});

test('BatchNorm: 4 params per channel (2 trainable), 1 MAC per element, not conv/dense', () => {
  const m = seq([4, 4, 5], [tf.layers.batchNormalization({ name: 'bn' })]);
  const c = countModel(m);
  assert.equal(row(c, 'bn').params, 20);
  assert.equal(row(c, 'bn').trainableParams, 10);
  assert.equal(row(c, 'bn').macs, 4 * 4 * 5);
  assert.equal(c.convDenseMacs, 0);
  assert.equal(c.nonTrainableParams, 10);
  m.dispose();
});

test('pooling: window ops per output element; global pooling reads every input once', () => {
  const m = seq([5, 5, 2], [
    tf.layers.averagePooling2d({ name: 'ap', poolSize: 3, strides: 1, padding: 'valid' }),
    tf.layers.maxPooling2d({ name: 'mp', poolSize: 2, strides: 1 }),
    tf.layers.globalAveragePooling2d({ name: 'gap' }),
  ]);
  const c = countModel(m);
  assert.equal(row(c, 'ap').macs, 3 * 3 * 2 * 9);
  assert.equal(row(c, 'mp').macs, 2 * 2 * 2 * 4);
  assert.equal(row(c, 'gap').macs, 2 * 2 * 2);
  assert.deepEqual(row(c, 'gap').outputShape, [null, 2]);
  assert.equal(c.convDenseMacs, 0);
  assert.equal(c.macs, 162 + 32 + 8);
  m.dispose();
});

test('classes without a handler: params from weights, 0 MACs and a note; LayerNormalization counted; nested models expanded', () => {
  const inner = seq([6], [tf.layers.dense({ name: 'inner_fc', units: 3 })]);
  const outer = seq([6], [tf.layers.layerNormalization({ name: 'ln' }), inner]);
  const c = countModel(outer);
  assert.equal(row(c, 'ln').params, 12);
  assert.equal(row(c, 'ln').macs, 6); // one per element, like BatchNormalization
  assert.equal(row(c, 'ln').note, undefined);
  const nestedName = `${inner.name}/inner_fc`;
  assert.equal(row(c, nestedName).macs, 18);
  assert.equal(c.params, 12 + 21);
  assert.equal(c.params, outer.countParams());
  outer.dispose();
  const rnn = seq([3, 6], [tf.layers.simpleRNN({ name: 'rnn', units: 2 })]);
  const r = countModel(rnn);
  assert.equal(row(r, 'rnn').params, 6 * 2 + 2 * 2 + 2);
  assert.equal(row(r, 'rnn').macs, 0);
  assert.match(row(r, 'rnn').note ?? '', /no layer handler for 'SimpleRNN'/);
  assert.match(formatCountTable(r), /\* rnn: no layer handler/);
  rnn.dispose();
});

test('HRank VGG-16 (32×32×3, 10 classes): 14,991,946 trainable params, 313,463,808 conv+dense MACs', () => {
  const before = tf.memory().numTensors;
  const m = createModel('vgg16-hrank', { seed: 3 });
  const c = countModel(m);
  // Closed form: 13 convs (bias) + BN(γ,β) per conv, Linear 512→512, BN1d(γ,β), Linear 512→10.
  const cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512] as const;
  let cin = 3;
  let hw = 32;
  let params = 0;
  let bnChannels = 0;
  let macs = 0;
  for (const v of cfg) {
    if (v === 'M') {
      hw /= 2;
      continue;
    }
    params += 9 * cin * v + v + 2 * v;
    bnChannels += v;
    macs += hw * hw * 9 * cin * v;
    cin = v;
  }
  params += 512 * 512 + 512 + 2 * 512 + 512 * 10 + 10;
  bnChannels += 512;
  macs += 512 * 512 + 512 * 10;
  assert.equal(params, 14_991_946);
  assert.equal(macs, 313_463_808);
  assert.equal(c.trainableParams, 14_991_946);
  assert.equal(c.params, 14_991_946 + 2 * bnChannels); // + moving mean/variance
  assert.equal(c.params, m.countParams());
  assert.equal(c.convDenseMacs, 313_463_808);
  // BN (1 per element) and pooling add on top of conv+dense
  assert.ok(c.macs > c.convDenseMacs);
  m.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('formatCountTable: aligned columns and totals', () => {
  const m = createModel('lenet5');
  const c = countModel(m);
  const text = formatCountTable(c);
  const lines = text.split('\n');
  const body = lines.slice(2, 2 + c.layers.length);
  assert.equal(body.length, 8);
  const width = lines[0].length;
  // every row ends in the right-aligned MAC column at the same place, and the rule spans the table
  for (const l of body) assert.equal(l.length, lines[1].length, l);
  assert.ok(width <= lines[1].length);
  assert.match(body[0], /^conv1\s+Conv2D\s+\[N,28,28,6\]\s+156\s+117,600$/);
  assert.match(text, /params: 61,706 \(61\.71K; trainable 61,706, non-trainable 0\)/);
  assert.match(text, /conv\+dense: 416,520/);
  assert.equal(formatMagnitude(313_463_808), '313.46M');
  assert.equal(formatMagnitude(1_500_000_000), '1.50G');
  m.dispose();
});
