import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel, listModels, type ZooModelName } from '../../src/models/index.js';
import { countModel } from '../../src/report/count.js';

await tf.setBackend('cpu');

const ALL: ZooModelName[] = [
  'fcn', 'lenet300', 'lenet5', 'small-cnn', 'conv6', 'vgg11', 'vgg16', 'vgg19',
  'vgg11-hrank', 'vgg16-hrank', 'vgg19-hrank', 'resnet20', 'resnet56', 'vgg-small', 'mobilenet',
];
/** Models cheap enough to run a forward pass on the cpu backend in a unit test. */
const RUNNABLE = new Set<ZooModelName>(['fcn', 'lenet300', 'lenet5', 'small-cnn', 'vgg-small', 'resnet20']);
/** Big nets are shrunk for the seed tests (the seeding path is the same at any width). */
const THIN = new Set<ZooModelName>(['conv6', 'vgg11', 'vgg16', 'vgg19', 'vgg11-hrank', 'vgg16-hrank', 'vgg19-hrank', 'resnet56', 'mobilenet']);

function weightsOf(m: tf.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const l of m.layers) for (const w of l.weights) out.set(w.originalName, w.read().dataSync() as Float32Array);
  return out;
}

function std(a: Float32Array): number {
  let s = 0;
  let s2 = 0;
  for (const v of a) {
    s += v;
    s2 += v * v;
  }
  const mean = s / a.length;
  return Math.sqrt(s2 / a.length - mean * mean);
}

function kernelOf(m: tf.LayersModel, layer: string): tf.Tensor {
  return m.getLayer(layer).getWeights()[0];
}

test('listModels describes every model; unknown names fail listing the names', () => {
  const list = listModels();
  assert.deepEqual(list.map((m) => m.name).sort(), [...ALL].sort());
  for (const m of list) assert.ok(m.description.length > 10, m.name);
  assert.deepEqual(list.find((m) => m.name === 'fcn')?.defaultInputShape, [28, 28, 1]);
  assert.deepEqual(list.find((m) => m.name === 'resnet20')?.defaultInputShape, [32, 32, 3]);
  assert.throws(() => createModel('vgg13' as ZooModelName), /unknown model 'vgg13'.*available: fcn, lenet300/);
  assert.throws(() => createModel('fcn', { numClasses: 0 }), /createModel\('fcn'\): numClasses must be a positive integer/);
  assert.throws(() => createModel('conv6', { widthMultiplier: -1 }), /widthMultiplier must be a positive number/);
  assert.throws(() => createModel('lenet5', { inputShape: [28, 28] as unknown as [number, number, number] }), /inputShape must be/);
});

for (const name of ALL) {
  test(`${name}: builds for its default input, unique layer names, output [N, classes], no leaks`, () => {
    const before = tf.memory().numTensors;
    const info = listModels().find((m) => m.name === name)!;
    const m = createModel(name, { seed: 1 });
    assert.deepEqual(m.inputs[0].shape, [null, ...info.defaultInputShape]);
    assert.deepEqual(m.outputs[0].shape, [null, 10]);
    const names = m.layers.map((l) => l.name);
    assert.equal(new Set(names).size, names.length, 'layer names unique');
    assert.equal(m.name, name);
    if (RUNNABLE.has(name)) {
      const y = tf.tidy(() => m.predict(tf.randomNormal([2, ...info.defaultInputShape], 0, 1, 'float32', 5)) as tf.Tensor);
      assert.deepEqual(y.shape, [2, 10]);
      assert.ok(Array.from(y.dataSync()).every(Number.isFinite));
      y.dispose();
    }
    m.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  test(`${name}: same seed → identical weights, different seed → different`, () => {
    const opts = THIN.has(name) ? { widthMultiplier: 0.125 } : {};
    const a = createModel(name, { ...opts, seed: 7 });
    const b = createModel(name, { ...opts, seed: 7 });
    const c = createModel(name, { ...opts, seed: 8 });
    const wa = weightsOf(a);
    const wb = weightsOf(b);
    const wc = weightsOf(c);
    assert.deepEqual([...wa.keys()], [...wb.keys()]);
    for (const [k, v] of wa) assert.deepEqual(wb.get(k), v, `${name} ${k} differs for the same seed`);
    let differing = 0;
    for (const [k, v] of wa) {
      if (!k.endsWith('kernel')) continue;
      assert.notDeepEqual(wc.get(k), v, `${name} ${k} equal for different seeds`);
      differing++;
    }
    assert.ok(differing >= 2);
    // weights of different layers are not copies of each other (per-layer seeds)
    const kernels = [...wa.entries()].filter(([k]) => k.endsWith('kernel'));
    const k0 = kernels[0][1];
    const same = kernels.slice(1).filter(([, v]) => v.length === k0.length && v.every((x, i) => x === k0[i]));
    assert.equal(same.length, 0);
    [a, b, c].forEach((m) => m.dispose());
  });
}

test('parameter counts: FCN, LeNet-300-100, LeNet-5, Conv-6 and LAP VGG masked weights', () => {
  const cases: [ZooModelName, number][] = [
    ['fcn', 784 * 500 + 500 + 3 * (500 * 500 + 500) + 500 * 10 + 10],
    ['lenet300', 266_610],
    ['lenet5', (25 * 6 + 6) + (25 * 6 * 16 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)],
  ];
  for (const [name, expected] of cases) {
    const m = createModel(name);
    assert.equal(m.countParams(), expected, name);
    m.dispose();
  }
  assert.equal(cases[0][1], 1_149_010);
  // LAP's masked-weight counts (conv + dense kernels): Conv-6 2,261,184; VGG-11/16/19 ≈ 9.22M/14.72M/20.02M.
  const kernelsOf = (name: ZooModelName) => {
    const m = createModel(name);
    const n = m.layers.flatMap((l) => l.weights).filter((w) => w.originalName.endsWith('/kernel'))
      .reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
    m.dispose();
    return n;
  };
  assert.equal(kernelsOf('conv6'), 2_261_184);
  assert.equal(kernelsOf('vgg11'), 9_222_848);
  assert.equal(Math.round(kernelsOf('vgg16') / 1e4) / 100, 14.72);
});

test('ResNet-20/56 with 1×1 projection shortcuts (option B): exact counts', () => {
  // Reference option-A ResNet-20 has 269,722 (PyTorch) parameters; option B adds the two projection
  // convs (16·32 + 32·64 = 2,560) and their BN γ/β (2·(32+64) = 192): 272,474 trainable.
  // TF.js also stores BN moving mean/variance: 2·(16 + 6·16 + 6·32 + 6·64 + 32 + 64) = 1,568 more.
  const r20 = createModel('resnet20');
  const c20 = countModel(r20);
  assert.equal(c20.trainableParams, 269_722 + 2_560 + 192);
  assert.equal(c20.params, 272_474 + 1_568);
  // conv+dense MACs: the option-A reference's 40,551,040 plus 2 × 131,072 for the projections
  assert.equal(c20.convDenseMacs, 40_551_040 + 2 * 131_072);
  assert.ok(r20.getLayer('layer2_0_shortcut_conv'));
  assert.ok(r20.getLayer('layer3_0_shortcut_bn'));
  assert.throws(() => r20.getLayer('layer1_0_shortcut_conv'));
  r20.dispose();
  const r56 = createModel('resnet56');
  const c56 = countModel(r56);
  assert.equal(c56.trainableParams, 853_018 + 2_560 + 192);
  assert.equal(c56.layers.filter((l) => l.className === 'Conv2D').length, 55 + 2);
  r56.dispose();
});

test('28×28 inputs work where reasonable; too-small inputs fail clearly', () => {
  const cases: [ZooModelName, [number, number, number]][] = [
    ['vgg-small', [28, 28, 1]],
    ['small-cnn', [28, 28, 1]],
    ['conv6', [28, 28, 1]],
    ['resnet20', [28, 28, 1]],
    ['lenet5', [32, 32, 3]],
    ['fcn', [32, 32, 3]],
  ];
  for (const [name, shape] of cases) {
    const m = createModel(name, { inputShape: shape, numClasses: 7, widthMultiplier: name === 'conv6' ? 0.25 : 1 });
    const y = tf.tidy(() => m.predict(tf.zeros([1, ...shape])) as tf.Tensor);
    assert.deepEqual(y.shape, [1, 7], name);
    y.dispose();
    m.dispose();
  }
  assert.throws(() => createModel('vgg16', { inputShape: [28, 28, 1] }), /createModel\('vgg16'\): input too small: 1×1 cannot pass layer 'pool5'/);
  assert.throws(() => createModel('vgg16-hrank', { inputShape: [28, 28, 1] }), /input too small.*'avgpool'/);
});

test('widthMultiplier scales hidden widths, never the classes; HRank keeps the 512-wide classifier', () => {
  const m = createModel('vgg-small', { widthMultiplier: 0.5, numClasses: 3 });
  assert.deepEqual(kernelOf(m, 'conv1').shape, [3, 3, 3, 16]);
  assert.deepEqual(kernelOf(m, 'conv6').shape, [3, 3, 64, 64]);
  assert.deepEqual(kernelOf(m, 'fc1').shape, [4 * 4 * 64, 3]);
  m.dispose();
  const h = createModel('vgg16-hrank', { widthMultiplier: 0.125 });
  assert.deepEqual(kernelOf(h, 'conv13').shape, [3, 3, 64, 64]);
  assert.deepEqual(kernelOf(h, 'fc1').shape, [64, 512]);
  h.dispose();
});

test('initialisation follows the reference code (untruncated normals, zero biases, PyTorch Linear bounds)', () => {
  // LAP: Xavier normal, std √(2/(fanIn+fanOut)) — TF.js's truncated glorotNormal would give ≈0.88 of that.
  const fcn = createModel('fcn', { seed: 11 });
  const w = kernelOf(fcn, 'fc1').dataSync() as Float32Array;
  const expected = Math.sqrt(2 / (784 + 500));
  assert.ok(Math.abs(std(w) / expected - 1) < 0.01, `fc1 std ${std(w)} vs ${expected}`);
  assert.ok(w.some((v) => Math.abs(v) > 3 * expected), 'untruncated tails present');
  assert.ok((fcn.getLayer('fc1').getWeights()[1].dataSync() as Float32Array).every((v) => v === 0));
  fcn.dispose();
  // ResNet: He normal fan_out for convs, std √(2/(3·3·64)); fc U(±1/√64) weights and bias.
  const r = createModel('resnet20', { seed: 12 });
  const convW = kernelOf(r, 'layer3_1_conv1').dataSync() as Float32Array;
  assert.ok(Math.abs(std(convW) / Math.sqrt(2 / (9 * 64)) - 1) < 0.02);
  const [fcW, fcB] = r.getLayer('fc').getWeights().map((t) => t.dataSync() as Float32Array);
  const bound = 1 / 8;
  for (const a of [fcW, fcB]) assert.ok(a.every((v) => Math.abs(v) <= bound));
  assert.ok(fcW.some((v) => Math.abs(v) > 0.9 * bound));
  assert.ok(fcB.some((v) => v !== 0));
  // BN starts at identity: γ = 1, β = 0, μ = 0, σ² = 1
  const bn = r.getLayer('bn1').getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(bn.map((a) => [...new Set(a)]), [[1], [0], [0], [1]]);
  r.dispose();
});

test('zoo models serialise with stock classes only (topology JSON round trip)', async () => {
  for (const name of ['resnet20', 'vgg-small', 'lenet5'] as ZooModelName[]) {
    const m = createModel(name, { seed: 2 });
    const json = m.toJSON(null, false) as unknown as Record<string, unknown>;
    const copy = await tf.models.modelFromJSON({ modelTopology: json } as tf.io.ModelJSON);
    assert.deepEqual(copy.layers.map((l) => l.name), m.layers.map((l) => l.name));
    assert.equal(copy.countParams(), m.countParams());
    copy.dispose();
    m.dispose();
  }
});
