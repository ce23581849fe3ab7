import type { Command } from 'commander';
import { join } from 'node:path';
import { loadDataset } from '../../data/registry.js';
import { take } from '../../data/batches.js';
import { loadModel, saveModel } from '../../io/model-folder.js';
import { datasetInput } from '../../io/output-paths.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { FrequencyAnalyzer } from '../../spectral/analysis.js';
import { fourierPrune } from '../../distill/fourier-prune.js';
import { KD_MODES, type KdMode } from '../../distill/curriculum.js';
import { analysisReport, retrainingChart } from '../../distill/report.js';
import { writeHtmlReport } from '../../report/html.js';
import { backendFromFlags } from '../context.js';
import { ALLOW_NONFINITE_HELP, FORCE_HELP, loadOptions, openOutput } from '../outputs.js';
import { parseChoice, parseFloatOption, parseIntOption } from '../options.js';

interface FourierFlags {
  model: string;
  sparsity: number;
  stage1: 'oneshot' | 'iterative';
  method: 'mp' | 'mp_global_normalize';
  q: number;
  roundEpochs: number;
  kd: KdMode;
  epochs: number;
  stepsPerEpoch?: number;
  batchSize: number;
  lr: number;
  alpha: number;
  tau: number;
  kMax: number;
  anchors: number;
  perRow?: boolean;
  dataset: string;
  limitTrain?: number;
  limitTest?: number;
  analyze: number;
  seed: number;
  out: string;
  force?: boolean;
  allowNonfinite?: boolean;
}

export function registerFourierPrune(program: Command): void {
  program
    .command('fourier-prune')
    .description('two-stage pruning: masks by magnitude pruning, then masked retraining distilled from the dense model (CE, KD, or a low→high frequency curriculum)')
    .requiredOption('-m, --model <dir>', 'trained dense model folder (the teacher)')
    .requiredOption('-s, --sparsity <x>', 'target fraction of pruned weights, e.g. 0.95', parseFloatOption('--sparsity', 0, 0.9999))
    .option('--stage1 <kind>', 'oneshot | iterative', parseChoice('--stage1', ['oneshot', 'iterative'] as const), 'iterative')
    .option('--method <name>', 'mp | mp_global_normalize', parseChoice('--method', ['mp', 'mp_global_normalize'] as const), 'mp')
    .option('--q <x>', 'iterative: fraction of survivors pruned per round', parseFloatOption('--q', 0.01, 0.99), 0.2)
    .option('--round-epochs <n>', 'iterative: CE retraining epochs between rounds', parseIntOption('--round-epochs', 0), 1)
    .option('--kd <mode>', KD_MODES.join(' | '), parseChoice('--kd', KD_MODES), 'freq-a')
    .option('-e, --epochs <n>', 'stage-2 epochs', parseIntOption('--epochs', 1), 10)
    .option('--steps-per-epoch <n>', 'cap on steps per epoch (stage 1 rounds and stage 2)', parseIntOption('--steps-per-epoch', 1))
    .option('-b, --batch-size <n>', 'batch size (≥ 128 recommended for freq-a)', parseIntOption('--batch-size', 1), 128)
    .option('--lr <x>', 'Adam learning rate', parseFloatOption('--lr', 0), 1e-3)
    .option('--alpha <x>', 'KD weight α', parseFloatOption('--alpha', 0, 1), 0.7)
    .option('--tau <x>', 'KD temperature τ', parseFloatOption('--tau', 1e-6), 4)
    .option('--k-max <k>', 'freq-a: initial effective-neighbour count k_max (decays to 1 over the first 70% of steps)', parseFloatOption('--k-max', 1), 16)
    .option('--anchors <n>', 'freq-a: anchor-set size (0 = in-batch kernel)', parseIntOption('--anchors', 0), 2048)
    .option('--per-row', 'freq-a: calibrate δ per row (t-SNE style) instead of per batch')
    .option('-d, --dataset <spec>', 'digits | fashion-mnist[:DIR] | mnist-idx:DIR | cifar10:DIR | cifar100:DIR', 'digits')
    .option('--limit-train <n>', 'seeded subset of the training set', parseIntOption('--limit-train', 1))
    .option('--limit-test <n>', 'seeded subset of the test set', parseIntOption('--limit-test', 1))
    .option('--analyze <n>', 'record the frequency analysis on N test images after every stage-2 epoch (0 = off)', parseIntOption('--analyze', 0), 0)
    .option('--seed <n>', 'seed', parseIntOption('--seed'), 0)
    .requiredOption('-o, --out <dir>', 'write the pruned model folder and fourier-prune.json here')
    .option('--force', FORCE_HELP)
    .option('--allow-nonfinite', ALLOW_NONFINITE_HELP)
    .action(async (flags: FourierFlags, cmd: Command) => {
      const outTx = await openOutput(flags.out, { flag: '--out', inputs: { 'model folder': flags.model, 'dataset folder': datasetInput(flags.dataset) }, force: flags.force });
      await backendFromFlags(cmd);
      const data = await loadDataset(flags.dataset, { limitTrain: flags.limitTrain, limitTest: flags.limitTest, seed: flags.seed });
      const teacher = await loadModel(flags.model, loadOptions(flags));
      const analyzer = flags.analyze > 0 ? new FrequencyAnalyzer(take(data.test, flags.analyze), { teacher }) : undefined;
      try {
        const res = await fourierPrune(teacher, {
          sparsity: flags.sparsity,
          stage1: flags.stage1,
          method: flags.method,
          q: flags.q,
          roundEpochs: flags.roundEpochs,
          roundStepsPerEpoch: flags.stepsPerEpoch,
          kd: flags.kd,
          train: data.train,
          test: data.test,
          epochs: flags.epochs,
          stepsPerEpoch: flags.stepsPerEpoch,
          batchSize: flags.batchSize,
          optimizer: { name: 'adam', lr: flags.lr },
          alpha: flags.alpha,
          tau: flags.tau,
          kMax: flags.kMax,
          anchorCount: flags.anchors,
          perRow: flags.perRow,
          seed: flags.seed,
          analyzer,
          progress: 'auto',
        });
        const f = (v?: number) => (v === undefined ? 'n/a' : `${(100 * v).toFixed(2)}%`);
        process.stdout.write(
          `stage 1 (${flags.stage1} ${flags.method}, ${res.stage1.rounds} round(s), ${res.stage1.seconds.toFixed(1)} s): sparsity ${(100 * res.stage1.sparsity).toFixed(2)}%, ` +
            `test accuracy dense ${f(res.teacherAccuracy)} → pruned ${f(res.stage1.accuracyAfterPrune)}\n` +
            `stage 2 (${flags.kd}, ${res.stage2.history.steps} steps, ${res.stage2.seconds.toFixed(1)} s): test accuracy ${f(res.testAccuracy)}\n`,
        );
        await saveModel(res.student, outTx.dir, {
          metadata: { fourierPrune: { sparsity: res.stage1.sparsity, stage1: flags.stage1, kd: flags.kd, testAccuracy: res.testAccuracy, seed: flags.seed } },
        });
        const summary = {
          options: { ...flags },
          dataset: data.name,
          stage1: res.stage1,
          teacherAccuracy: res.teacherAccuracy,
          testAccuracy: res.testAccuracy,
          stage2: { seconds: res.stage2.seconds, steps: res.stage2.history.steps, anchorCount: res.stage2.anchorCount, epochs: res.stage2.history.epochs },
          analysis: res.stage2.analysis,
        };
        await writeFileAtomic(join(outTx.dir, 'fourier-prune.json'), JSON.stringify(summary, null, 2));
        if (res.stage2.analysis.length > 0) {
          const doc = analysisReport(res.stage2.analysis, { model: flags.model, kd: flags.kd, sparsity: String(flags.sparsity), dataset: data.name });
          doc.sections.push({ heading: 'Band errors during retraining', charts: [retrainingChart(res.stage2.analysis, 'retrain', 'e_low / e_high vs epoch')] });
          await writeHtmlReport(join(outTx.dir, 'report.html'), doc);
        }
        await outTx.commit();
        process.stdout.write(`saved ${flags.out}\n`);
        res.student.dispose();
      } finally {
        analyzer?.dispose();
        teacher.dispose();
      }
    });
}
