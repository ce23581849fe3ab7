/**
 * Experiment (methods.md §7.2): DCT vs DCT-low vs L1 vs HRank vs random filter pruning on a narrow
 * VGG-BN net ('vgg-small') and ResNet-20 on Fashion-MNIST (60k / 10k, 28×28×1), at two FLOPs
 * (conv+dense MACs) reductions, ≈50% and ≈75% (one uniform rate found by the budget search).
 * One dense net per seed and model (Adam pretraining); every criterion and reduction is pruned from
 * that same net (BN copied), evaluated right after pruning, then fine-tuned with the reference
 * recipe (SGD 0.01, momentum 0.9, wd 5e-3, lr ×0.1 at 1/3 and 2/3), final and best test accuracy.
 * Scores from 5 × 128 training images, hooks after BN + ReLU (pre-pool). Budget cut to ≤ 25 minutes
 * on 2 idle cores: narrow nets (width × 0.5) and step-capped epochs (the whole training set is the
 * sampling pool; the full test set is used for every evaluation).
 *
 *   npm run exp:dct                     # full → results/dct/
 *   npm run exp:dct -- --quick          # smoke run (~1 minute) → results/dct-quick/
 *   options: --seeds N  --pretrain-steps N  --finetune-epochs N  --finetune-steps N (per epoch)
 *            --width X  --dataset SPEC  --out DIR  --backend B  --threads N
 *
 * Also checks Parseval on the run: the full-spectrum DCT score equals the spatial activation energy
 * (mean Σ F²), so both rank the channels alike; the result is stated in results.md.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseBackendChoice, parseThreads } from '../src/backend/index.js';
import { loadDataset } from '../src/data/registry.js';
import type { ImageSet } from '../src/data/types.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { createModel, type ZooModelName } from '../src/models/zoo.js';
import type { ReportDoc, ReportTable, LineChart } from '../src/report/doc.js';
import { writeHtmlReport } from '../src/report/html.js';
import { formatTable } from '../src/report/table.js';
import { buildChannelGraph, prunableGroups, type ChannelGraph } from '../src/structured/graph.js';
import { hookLayers, scoreChannels, type CriterionName } from '../src/structured/criteria/index.js';
import { calibrationIndices, forEachBatch } from '../src/structured/criteria/calibration.js';
import { pruneAndFinetune } from '../src/structured/pipeline.js';
import { selectTop } from '../src/structured/rates.js';
import { uniformRateForBudget } from '../src/structured/budget.js';
import { evaluate } from '../src/train/evaluate.js';
import { trainModel } from '../src/train/loop.js';
import { markdownTable } from '../src/report/markdown.js';
import { numArg } from './args.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    'pretrain-steps': { type: 'string' },
    'finetune-epochs': { type: 'string' },
    'finetune-steps': { type: 'string' },
    width: { type: 'string' },
    dataset: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
  },
});

const quick = args.quick ?? false;
const FULL = { seeds: 2, pretrainSteps: 400, finetuneEpochs: 2, finetuneSteps: 30, calibBatches: 5, limitTrain: undefined as number | undefined, limitTest: undefined as number | undefined };
const QUICK = { seeds: 1, pretrainSteps: 12, finetuneEpochs: 1, finetuneSteps: 2, calibBatches: 1, limitTrain: 2048, limitTest: 300 };
const base = quick ? QUICK : FULL;
const cfg = {
  ...base,
  seeds: numArg('seeds', args.seeds, base.seeds, 1),
  pretrainSteps: numArg('pretrain-steps', args['pretrain-steps'], base.pretrainSteps, 1),
  finetuneEpochs: numArg('finetune-epochs', args['finetune-epochs'], base.finetuneEpochs, 0),
  finetuneSteps: numArg('finetune-steps', args['finetune-steps'], base.finetuneSteps, 1),
  width: numArg('width', args.width, 0.5, 0.01, false),
  dataset: args.dataset ?? 'fashion-mnist',
  out: args.out ?? (quick ? 'results/dct-quick' : 'results/dct'),
  models: ['vgg-small', 'resnet20'] as ZooModelName[],
  criteria: ['dct', 'dct_low', 'l1', 'hrank', 'random'] as CriterionName[],
  reductions: [0.5, 0.75],
  batchSize: 128,
  calibBatchSize: 128,
  pretrainLr: 1e-3,
};

interface DenseRecord {
  model: string;
  seed: number;
  accuracy: number;
  params: number;
  macs: number;
  seconds: number;
  msPerStep: number;
}

interface RunRecord {
  model: string;
  seed: number;
  criterion: CriterionName;
  target: number;
  uniformRate: number;
  widths: number[];
  params: { before: number; after: number };
  macs: { before: number; after: number };
  reduction: { macs: number; params: number };
  accuracy: { dense: number; pruned: number; final: number; best: number; bestEpoch: number };
  seconds: { prune: number; finetune: number; total: number };
}

interface ParsevalRecord {
  model: string;
  seed: number;
  /** max over channels of |dct − energy| / max(energy) within each group, maximised over groups. */
  maxRelDiff: number;
  /** Identical channel order (descending score, ties by index) in every group. */
  sameOrder: boolean;
  /** Identical kept sets at each target's uniform rate. */
  sameKept: Record<string, boolean>;
}

/** Mean Σ F² per channel (spatial activation energy) at the same hooks and calibration images as scoreChannels. */
function energyScores(model: tf.LayersModel, graph: ChannelGraph, calib: ImageSet, batches: number, batchSize: number, seed: number): Map<number, Float64Array> {
  const groups = prunableGroups(graph);
  const hooks = [...new Set(groups.flatMap((g) => hookLayers(g, 'pre-pool')))];
  const extractor = tf.model({ inputs: model.inputs, outputs: hooks.map((n) => model.getLayer(n).output as tf.SymbolicTensor) });
  const idx = calibrationIndices(calib, batches, batchSize, seed);
  const sums = new Map<string, Float64Array>();
  forEachBatch(calib, idx, batchSize, (x) => {
    const outs = tf.tidy(() => {
      const r = extractor.predict(x);
      return (Array.isArray(r) ? r : [r]).map((m) => (m.rank === 4 ? tf.sum(tf.square(m), [0, 1, 2]) : tf.sum(tf.square(m), 0)));
    });
    outs.forEach((t, i) => {
      const v = t.dataSync();
      const acc = sums.get(hooks[i]) ?? new Float64Array(v.length);
      for (let c = 0; c < v.length; c++) acc[c] += v[c];
      sums.set(hooks[i], acc);
    });
    tf.dispose(outs);
  });
  const out = new Map<number, Float64Array>();
  for (const g of groups) {
    const total = new Float64Array(g.channels);
    for (const h of hookLayers(g, 'pre-pool')) sums.get(h)!.forEach((v, c) => (total[c] += v / idx.length));
    out.set(g.id, total);
  }
  return out;
}

const order = (s: Float64Array) => Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b);

function parsevalCheck(model: tf.LayersModel, name: string, seed: number, calib: ImageSet): ParsevalRecord {
  const graph = buildChannelGraph(model);
  const opts = { calibBatches: cfg.calibBatches, calibBatchSize: cfg.calibBatchSize, seed, hook: 'pre-pool' as const };
  const dct = scoreChannels(model, graph, 'dct', calib, opts);
  const energy = energyScores(model, graph, calib, cfg.calibBatches, cfg.calibBatchSize, seed);
  let maxRelDiff = 0;
  let sameOrder = true;
  for (const [id, e] of energy) {
    const d = dct.get(id)!;
    const scale = Math.max(...e);
    for (let c = 0; c < e.length; c++) maxRelDiff = Math.max(maxRelDiff, Math.abs(d[c] - e[c]) / scale);
    if (order(d).join() !== order(e).join()) sameOrder = false;
  }
  const sameKept: Record<string, boolean> = {};
  for (const target of cfg.reductions) {
    const rate = uniformRateForBudget(model, graph, 'macs', target).rate;
    sameKept[String(target)] = [...energy].every(([id, e]) => selectTop(e, rate).join() === selectTop(dct.get(id)!, rate).join());
  }
  return { model: name, seed, maxRelDiff, sameOrder, sameKept };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));
const pm = (v: number[]) => `${(100 * mean(v)).toFixed(2)} ± ${(100 * std(v)).toFixed(2)}`;

function resultTables(dense: DenseRecord[], runs: RunRecord[]): ReportTable[] {
  const tables: ReportTable[] = [];
  for (const model of cfg.models) {
    const d = dense.filter((r) => r.model === model);
    for (const target of cfg.reductions) {
      const rows = cfg.criteria.map((criterion) => {
        const rs = runs.filter((r) => r.model === model && r.target === target && r.criterion === criterion);
        return [
          criterion,
          `${(100 * mean(rs.map((r) => r.reduction.macs))).toFixed(1)}`,
          `${(100 * mean(rs.map((r) => r.reduction.params))).toFixed(1)}`,
          pm(rs.map((r) => r.accuracy.pruned)),
          pm(rs.map((r) => r.accuracy.final)),
          pm(rs.map((r) => r.accuracy.best)),
        ];
      });
      tables.push({
        columns: ['criterion', 'MACs −%', 'params −%', 'right after pruning %', 'fine-tuned final %', 'fine-tuned best %'],
        rows,
        caption: `${model} (width ×${cfg.width}), MACs reduction target ${100 * target}%: dense ${pm(d.map((r) => r.accuracy))}%; mean ± std over ${d.length} seed(s)`,
      });
    }
  }
  return tables;
}

function charts(runs: RunRecord[]): LineChart[] {
  const out: LineChart[] = [];
  for (const model of cfg.models) {
    for (const [key, title] of [['pruned', 'right after pruning'], ['best', 'best after fine-tuning']] as const) {
      out.push({
        kind: 'line',
        id: `${model}-${key}`.replace(/[^a-z0-9-]/gi, '-'),
        title: `${model}: test accuracy ${title}`,
        xLabel: 'conv+dense MACs removed %',
        yLabel: 'test accuracy %',
        series: cfg.criteria.map((criterion) => {
          const pts = cfg.reductions.map((t) => runs.filter((r) => r.model === model && r.target === t && r.criterion === criterion));
          return {
            label: criterion,
            points: pts.map((rs) => [100 * mean(rs.map((r) => r.reduction.macs)), 100 * mean(rs.map((r) => r.accuracy[key]))] as [number, number]),
            yErr: pts.map((rs) => 100 * std(rs.map((r) => r.accuracy[key]))),
          };
        }),
      });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const backend = await initBackend({ backend: parseBackendChoice(args.backend, '--backend'), threads: parseThreads(args.threads, '--threads') });
  const data = await loadDataset(cfg.dataset, { limitTrain: cfg.limitTrain, limitTest: cfg.limitTest, seed: 0 });
  const { train, test } = data;
  const shape: [number, number, number] = [train.height, train.width, train.channels];
  const perRun = cfg.criteria.length * cfg.reductions.length;
  const ftSteps = cfg.finetuneEpochs * Math.min(cfg.finetuneSteps, Math.ceil(train.count / cfg.batchSize));
  process.stdout.write(
    `exp:dct ${quick ? '(quick) ' : ''}on ${data.name}: ${train.count} train / ${test.count} test; models ${cfg.models.join(', ')} (width ×${cfg.width}); ` +
      `${cfg.seeds} seed(s) × ${perRun} (criterion, reduction) runs per model; pretrain ${cfg.pretrainSteps} steps, fine-tune ${cfg.finetuneEpochs} × ${cfg.finetuneSteps} steps, batch ${cfg.batchSize}; backend ${backend.name} (${backend.threads} threads)\n`,
  );
  await mkdir(cfg.out, { recursive: true });
  const dense: DenseRecord[] = [];
  const runs: RunRecord[] = [];
  const parseval: ParsevalRecord[] = [];
  for (const name of cfg.models) {
    for (let seed = 1; seed <= cfg.seeds; seed++) {
      const td = performance.now();
      const model = createModel(name, { inputShape: shape, numClasses: train.numClasses, seed, widthMultiplier: cfg.width });
      const epochs = Math.ceil(cfg.pretrainSteps / Math.ceil(train.count / cfg.batchSize));
      const tt = performance.now();
      const h = await trainModel(model, train, { epochs, batchSize: cfg.batchSize, optimizer: { name: 'adam', lr: cfg.pretrainLr }, seed, maxSteps: cfg.pretrainSteps, progress: false });
      const msPerStep = (performance.now() - tt) / h.steps;
      const te = performance.now();
      const acc = (await evaluate(model, test)).accuracy;
      const evalMs = performance.now() - te;
      const graph = buildChannelGraph(model);
      const cost = uniformRateForBudget(model, graph, 'macs', 0.5).before;
      dense.push({ model: name, seed, accuracy: acc, params: cost.params, macs: cost.macs, seconds: (performance.now() - td) / 1000, msPerStep });
      process.stdout.write(`[${name} seed ${seed}] dense: ${(100 * acc).toFixed(2)}% after ${h.steps} steps (${msPerStep.toFixed(0)} ms/step, test eval ${(evalMs / 1000).toFixed(1)} s)\n`);
      if (seed === 1) {
        // The plan for the full run from the speeds just measured: dense step/eval time for pretraining;
        // fine-tuning and its evaluations run on pruned nets, taken at 0.5× dense (upper bound: 1×).
        const evalFull = evalMs * (10000 / test.count);
        const pre = FULL.seeds * (FULL.pretrainSteps * msPerStep + evalFull);
        const ft = FULL.seeds * perRun * (FULL.finetuneEpochs * FULL.finetuneSteps * msPerStep + (1 + FULL.finetuneEpochs) * evalFull);
        process.stdout.write(
          `  plan (full mode, this model): ${FULL.seeds} × (${FULL.pretrainSteps} pretrain steps + ${perRun} runs × ${FULL.finetuneEpochs * FULL.finetuneSteps} fine-tune steps, ` +
            `${1 + FULL.finetuneEpochs} evaluations of 10k each) ≈ ${((pre + 0.5 * ft) / 60000).toFixed(1)} min (upper bound ${((pre + ft) / 60000).toFixed(1)} min) at the measured speed\n`,
        );
      }
      parseval.push(parsevalCheck(model, name, seed, train));
      for (const target of cfg.reductions) {
        for (const criterion of cfg.criteria) {
          const tr = performance.now();
          const res = await pruneAndFinetune(model, train, test, {
            prune: { criterion, flopsReduction: target, calibBatches: cfg.calibBatches, calibBatchSize: cfg.calibBatchSize, hook: 'pre-pool' },
            finetune: { epochs: cfg.finetuneEpochs, batchSize: cfg.batchSize, stepsPerEpoch: cfg.finetuneSteps },
            seed,
            denseAccuracy: acc,
          });
          res.model.dispose();
          const rec: RunRecord = {
            model: name,
            seed,
            criterion,
            target,
            uniformRate: res.report.uniformRate!,
            widths: res.report.groups.map((g) => g.kept),
            params: { before: res.report.before.params, after: res.report.after.params },
            macs: { before: res.report.before.macs, after: res.report.after.macs },
            reduction: res.report.reduction,
            accuracy: res.accuracy,
            seconds: { ...res.seconds, total: (performance.now() - tr) / 1000 },
          };
          runs.push(rec);
          process.stdout.write(
            `[${name} seed ${seed}] ${criterion.padEnd(7)} −${(100 * rec.reduction.macs).toFixed(1)}% MACs: pruned ${(100 * rec.accuracy.pruned).toFixed(2)}%  ` +
              `final ${(100 * rec.accuracy.final).toFixed(2)}%  best ${(100 * rec.accuracy.best).toFixed(2)}%  (${rec.seconds.total.toFixed(1)} s)\n`,
          );
        }
      }
      model.dispose();
    }
  }
  const wall = (performance.now() - t0) / 1000;
  const tables = resultTables(dense, runs);
  const coincide = parseval.every((p) => p.sameOrder);
  const keptSame = parseval.every((p) => Object.values(p.sameKept).every(Boolean));
  const parsevalText =
    'Full-spectrum DCT ≡ activation energy (Parseval): the orthonormal 2-D DCT preserves Σ F², so the `dct` score ' +
    '(mean over calibration images of Σ_{u,v} C²) equals the mean spatial energy Σ_{h,w} F² of each map; the DCT does not change the ranking. ' +
    `In this run, dct and a directly computed energy ranking ${coincide ? 'coincided in every layer group' : 'did NOT coincide everywhere'} ` +
    `(max relative score difference ${Math.max(...parseval.map((p) => p.maxRelDiff)).toExponential(1)}; kept sets at every reduction ${keptSame ? 'identical' : 'differ somewhere'}). ` +
    'Only `dct_low` (top-left ⌈H/4⌉×⌈W/4⌉ block) changes the criterion.';
  const settings = {
    quick,
    data: data.name,
    train: train.count,
    test: test.count,
    backend: `${backend.name} (${backend.threads} threads)`,
    ...cfg,
    pretrain: { optimizer: 'adam', lr: cfg.pretrainLr, steps: cfg.pretrainSteps },
    finetune: { recipe: 'SGD lr 0.01, momentum 0.9, weight decay 5e-3, lr ×0.1 at round(E/3), round(2E/3)', epochs: cfg.finetuneEpochs, stepsPerEpoch: cfg.finetuneSteps, steps: ftSteps },
  };
  const md = [
    `# DCT filter pruning vs DCT-low, L1, HRank, random — ${data.name}${quick ? ' (quick smoke run)' : ''}`,
    '',
    `Models ${cfg.models.join(', ')} at width ×${cfg.width}, input ${shape.join('×')}; ${cfg.seeds} seed(s); one dense net per model and seed ` +
      `(Adam ${cfg.pretrainLr}, ${cfg.pretrainSteps} steps of ${cfg.batchSize}); one uniform rate per run meeting the MACs target; BN copied; ` +
      `scores from ${cfg.calibBatches} × ${cfg.calibBatchSize} training images at the post-BN-ReLU hooks; fine-tune ${cfg.finetuneEpochs} epochs × ${cfg.finetuneSteps} steps ` +
      `(SGD 0.01, momentum 0.9, wd 5e-3, step schedule). Accuracy on the full test split (${test.count}). Backend ${settings.backend}; wall time ${(wall / 60).toFixed(1)} min.`,
    '',
    ...tables.flatMap((t) => [`### ${t.caption}`, '', markdownTable(t), '']),
    '## Parseval check',
    '',
    parsevalText,
    '',
    markdownTable({
      columns: ['model', 'seed', 'max rel. diff', 'same order', ...cfg.reductions.map((t) => `same kept @${100 * t}%`)],
      rows: parseval.map((p) => [p.model, p.seed, p.maxRelDiff.toExponential(1), p.sameOrder ? 'yes' : 'no', ...cfg.reductions.map((t) => (p.sameKept[String(t)] ? 'yes' : 'no'))]),
    }),
    '',
  ].join('\n');
  await writeFileAtomic(join(cfg.out, 'results.json'), JSON.stringify({ settings, wallSeconds: wall, dense, runs, parseval }, null, 2) + '\n');
  await writeFileAtomic(join(cfg.out, 'results.md'), md);
  const doc: ReportDoc = {
    title: `DCT filter pruning vs DCT-low, L1, HRank, random — ${data.name}${quick ? ' (quick)' : ''}`,
    meta: { date: new Date().toISOString(), backend: settings.backend, command: `exp/dct.ts ${process.argv.slice(2).join(' ')}`, wall: `${(wall / 60).toFixed(1)} min` },
    sections: [
      { heading: 'Results', tables, charts: charts(runs) },
      { heading: 'Parseval', paragraphs: [parsevalText] },
    ],
  };
  await writeHtmlReport(join(cfg.out, 'report.html'), doc);
  for (const t of tables) process.stdout.write(formatTable(t) + '\n\n');
  process.stdout.write(`${parsevalText}\nwrote ${cfg.out}/results.{json,md} and report.html in ${(wall / 60).toFixed(1)} min\n`);
}


main().catch((err: unknown) => {
  process.stderr.write(`exp:dct: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.PRUNEKIT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
