/**
 * Architecture coverage suite (issue 8 item 7): tiny Keras-style families built in TypeScript
 * (archs.ts). For each: unstructured masks (MP) applied; LAP (graph neighbours) equal to a naive
 * per-weight loop over the layer graph (naive.ts); structured pruning at ≥ 50% conv+dense MACs whose
 * output equals the model with the removed channels zeroed (≤ 1e-5); params / MACs against an
 * independent count; save / load round trip. The last test renders the coverage table and checks
 * it is the one in the README (PRUNEKIT_UPDATE_COVERAGE=1 rewrites it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES } from './archs.js';
import { NaiveTrace, naiveCount, naiveLapScores } from './naive.js';
import { computeMasks, computeScores } from '../../src/prune/compute.js';
import { applyMasks } from '../../src/prune/masks.js';
import { buildChannelGraph, prunableGroups } from '../../src/structured/graph.js';
import { pruneFilters } from '../../src/structured/prune-filters.js';
import { countModel } from '../../src/report/count.js';
import { markdownTable } from '../../src/report/markdown.js';
import { relError } from '../helpers/backends.js';
import { createRng, randNormal } from '../../src/util/random.js';

await tf.setBackend('cpu');

interface Row { label: string; classes: string; unstructured: string; lap: string; lapChain: string; structured: string; macsCut: string; groups: string }
const rows: Row[] = [];

function input(model: tf.LayersModel, n: number, seed: number): tf.Tensor {
  const shape = [n, ...(model.inputs[0].shape.slice(1) as number[])];
  const rng = createRng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => randNormal(rng)), shape);
}

function predict(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  const y = model.predict(x) as tf.Tensor;
  const v = y.dataSync() as Float32Array;
  y.dispose();
  return Float32Array.from(v);
}

/** Zeroes, in `model`, every kernel input that reads a removed channel (traced without src/graph). */
function zeroRemovedInputs(model: tf.LayersModel, removed: Set<string>): void {
  const trace = new NaiveTrace({ gates: true, throughDepthwise: true });
  for (const r of model.layers) {
    const cls = r.getClassName();
    if (!['Conv1D', 'Conv2D', 'Dense', 'SeparableConv2D', 'Conv2DTranspose'].includes(cls)) continue;
    const src = r.inboundNodes[0].inboundLayers[0] as tf.layers.Layer;
    const shape = src.outputShape as number[];
    const dead: number[] = [];
    for (let k = 0; k < shape[shape.length - 1]; k++) if (trace.units(src, k).some((u) => removed.has(`${u.layer}:${u.unit}`))) dead.push(k);
    if (dead.length === 0) continue;
    const role = cls === 'SeparableConv2D' ? 'depthwise_kernel' : 'kernel';
    const vals = r.weights.map((w) => {
      const t = w.read();
      const v = Float32Array.from(t.dataSync() as Float32Array);
      if (w.originalName.endsWith(`/${role}`)) {
        const s = t.shape;
        // index of input channel along its axis: Conv2DTranspose [kh,kw,O,I] → last; depthwise [kh,kw,C,M] → axis 2; others → axis −2
        const axis = cls === 'Conv2DTranspose' ? s.length - 1 : cls === 'SeparableConv2D' ? 2 : s.length - 2;
        const inner = s.slice(axis + 1).reduce((a, b) => a * b, 1);
        for (let i = 0; i < v.length; i++) if (dead.includes(Math.floor(i / inner) % s[axis])) v[i] = 0;
      }
      return tf.tensor(v, t.shape);
    });
    r.setWeights(vals);
    tf.dispose(vals);
  }
}

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

for (const arch of ARCHITECTURES) {
  test(`coverage: ${arch.label}`, async () => {
    const tensorsBefore = tf.memory().numTensors;
    const model = arch.build();
    const classes = [...new Set(model.layers.map((l) => l.getClassName()))].filter((c) => c !== 'InputLayer').sort();

    // Counting: library vs independent count vs the weights themselves.
    const c0 = countModel(model);
    const n0 = naiveCount(model);
    assert.equal(c0.params, model.countParams(), 'params = Σ weights');
    assert.equal(c0.params, n0.params, 'params vs independent count');
    assert.equal(c0.trainableParams, n0.trainable, 'trainable params vs independent count');
    assert.equal(c0.convDenseMacs, n0.macs, 'conv+dense MACs vs independent count');

    // LAP, graph neighbours: equal to the naive per-weight loop for every scored layer.
    const lap = computeScores(model, { method: 'lap', graphAware: true });
    assert.ok(lap.size > 0);
    for (const [name, s] of lap) {
      const ref = naiveLapScores(model, name);
      const err = relError(s, ref);
      assert.ok(err < 1e-5, `${name}: LAP differs from the naive loop (rel err ${err})`);
    }
    // LAP, reference chain: exact where the chain is a real path, else an error naming both layers.
    let lapChain = '✓';
    try {
      computeScores(model, { method: 'lap' });
    } catch (e) {
      assert.match((e as Error).message, /cannot relate layer '[^']+' \(\d+ inputs\) to its predecessor '[^']+' \(\d+ outputs\)/);
      lapChain = 'error naming the layers';
    }

    // Unstructured: MP masks at 50% applied.
    const masks = computeMasks(model, { method: 'mp', sparsity: 0.5 });
    const alive = masks.names().reduce((s, n) => s + masks.alive(n), 0);
    const total = masks.names().reduce((s, n) => s + masks.size(n), 0);
    assert.ok(Math.abs(alive / total - 0.5) < 0.02, `MP sparsity ${1 - alive / total}`);
    const masked = arch.build();
    applyMasks(masked, masks);
    const xm = input(masked, 2, 3);
    assert.ok(predict(masked, xm).every(Number.isFinite));
    xm.dispose();
    masked.dispose();

    // Structured: ≥ 50% conv+dense MACs removed; outputs equal the model with those channels zeroed.
    const graph = buildChannelGraph(model);
    const { model: pruned, keep, report } = await pruneFilters(model, { criterion: 'l1', flopsReduction: 0.5 });
    assert.ok(report.reduction.macs >= 0.5, `MACs cut ${report.reduction.macs}`);
    assert.ok(keep.size > 0);
    const removed = new Set<string>();
    for (const [gid, k] of keep) {
      const kept = new Set(k);
      for (const p of graph.groups[gid].producers) for (let c = 0; c < graph.groups[gid].channels; c++) if (!kept.has(c)) removed.add(`${p}:${c}`);
    }
    const x = input(model, 3, 11);
    const yDense = predict(model, x);
    const zeroed = arch.build();
    zeroRemovedInputs(zeroed, removed);
    const yZeroed = predict(zeroed, x);
    assert.ok(relError(yZeroed, yDense) > 1e-3, 'zeroing the removed channels should change the output');
    const yPruned = predict(pruned, x);
    const err = relError(yPruned, yZeroed);
    assert.ok(err <= 1e-5, `pruned output differs from the zeroed model: rel err ${err}`);
    // Counts of the pruned model: library = independent = analytic structure cost.
    const c1 = countModel(pruned);
    const n1 = naiveCount(pruned);
    assert.equal(c1.params, pruned.countParams());
    assert.equal(c1.params, n1.params);
    assert.equal(c1.convDenseMacs, n1.macs);
    assert.equal(report.after.macs, n1.macs, 'structureCost MACs = count of the pruned model');
    assert.equal(report.after.params, n1.trainable, 'structureCost params = trainable params of the pruned model');
    // Save / load round trip of the pruned model (stock layers only).
    const loaded = await roundTrip(pruned);
    assert.ok(relError(predict(loaded, x), yPruned) < 1e-6);

    rows.push({
      label: arch.label,
      classes: classes.join(', '),
      unstructured: '✓',
      lap: '✓',
      lapChain,
      structured: '✓',
      macsCut: `${(100 * report.reduction.macs).toFixed(1)}%`,
      groups: `${prunableGroups(graph).length} / ${graph.groups.length}`,
    });
    x.dispose();
    for (const m of [model, pruned, zeroed, loaded]) m.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leaked');
  });
}

const START = '<!-- coverage-table:start (generated by test/coverage/coverage.test.ts) -->';
const END = '<!-- coverage-table:end -->';

test('coverage table in the README is the one this suite produces', () => {
  assert.equal(rows.length, ARCHITECTURES.length, 'every architecture passed');
  const table = markdownTable({
    columns: ['architecture', 'unstructured (MP)', 'LAP (graph, = naive loop)', 'LAP (reference chain)', 'structured (= zeroed, counts, save/load)', 'MACs cut (L1, uniform rate)', 'prunable / all groups', 'layer classes'],
    rows: rows.map((r) => [r.label, r.unstructured, r.lap, r.lapChain, r.structured, r.macsCut, r.groups, r.classes]),
  });
  const block = `${START}\n${table.trim()}\n${END}`;
  const readmePath = new URL('../../README.md', import.meta.url);
  const readme = readFileSync(readmePath, 'utf8');
  const i = readme.indexOf(START);
  const j = readme.indexOf(END);
  if (process.env.PRUNEKIT_UPDATE_COVERAGE === '1') {
    assert.ok(i >= 0 && j > i, 'README has no coverage-table markers');
    writeFileSync(readmePath, readme.slice(0, i) + block + readme.slice(j + END.length));
    return;
  }
  assert.ok(i >= 0 && j > i, 'README has no coverage-table markers');
  assert.equal(readme.slice(i, j + END.length), block, 'README coverage table is stale: run PRUNEKIT_UPDATE_COVERAGE=1 node scripts/run-tests.mjs coverage');
});
