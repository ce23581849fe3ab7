import type { Command } from 'commander';
import { loadDataset } from '../../data/registry.js';
import { resolveModel } from '../../models/resolve.js';
import { trainModel } from '../../train/loop.js';
import { evaluate } from '../../train/evaluate.js';
import { saveModel } from '../../io/model-folder.js';
import { checkWritableFolder, datasetInput, realPathOf } from '../../io/output-paths.js';
import { findLatestCheckpoint } from '../../train/checkpoint.js';
import { ALLOW_NONFINITE_HELP, FORCE_HELP, loadOptions, openOutput } from '../outputs.js';
import { backendFromFlags } from '../context.js';
import { parseChoice, parseFloatOption, parseIntOption, parseShape } from '../options.js';

interface TrainFlags {
  model: string;
  dataset: string;
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: 'constant' | 'step' | 'cosine';
  augment: 'none' | 'crop-flip';
  seed: number;
  out?: string;
  checkpoint?: string;
  resume?: boolean;
  limitTrain?: number;
  limitTest?: number;
  inputShape?: [number, number, number];
  force?: boolean;
  allowNonfinite?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a zoo model or a saved model folder; evaluates on the test split and saves the result')
    .requiredOption('-m, --model <spec>', 'zoo model name (see `prunekit info --list`) or a model folder')
    .option('-d, --dataset <spec>', 'digits | fashion-mnist[:DIR] | mnist-idx:DIR | cifar10:DIR | cifar100:DIR', 'digits')
    .option('-e, --epochs <n>', 'epochs', parseIntOption('--epochs', 1), 2)
    .option('-b, --batch-size <n>', 'batch size', parseIntOption('--batch-size', 1), 64)
    .option('--optimizer <name>', 'adam | sgd', parseChoice('--optimizer', ['adam', 'sgd'] as const), 'adam')
    .option('--lr <x>', 'learning rate', parseFloatOption('--lr', 0), 1e-3)
    .option('--momentum <x>', 'SGD momentum', parseFloatOption('--momentum', 0, 1), 0.9)
    .option('--weight-decay <x>', 'SGD weight decay (L2 on the gradients)', parseFloatOption('--weight-decay', 0), 0)
    .option('--schedule <kind>', 'constant | step | cosine', parseChoice('--schedule', ['constant', 'step', 'cosine'] as const), 'constant')
    .option('--augment <kind>', 'none | crop-flip (32×32 images)', parseChoice('--augment', ['none', 'crop-flip'] as const), 'none')
    .option('--seed <n>', 'seed for initialisation, shuffling and augmentation', parseIntOption('--seed'), 0)
    .option('-o, --out <dir>', 'write the trained model folder here')
    .option('--checkpoint <dir>', 'write a checkpoint here at the end of every epoch')
    .option('--resume', 'continue from the newest checkpoint in --checkpoint')
    .option('--limit-train <n>', 'use a seeded subset of this many training examples', parseIntOption('--limit-train', 1))
    .option('--limit-test <n>', 'use a seeded subset of this many test examples', parseIntOption('--limit-test', 1))
    .option('--input-shape <h,w,c>', 'input shape for zoo models (default: the dataset\'s)', parseShape)
    .option('--force', FORCE_HELP)
    .option('--allow-nonfinite', ALLOW_NONFINITE_HELP)
    .action(async (flags: TrainFlags, cmd: Command) => {
      if (flags.resume && !flags.checkpoint) throw new Error('--resume needs --checkpoint <dir>');
      const inputs = { 'model folder': flags.model, 'dataset folder': datasetInput(flags.dataset) };
      if (flags.checkpoint) {
        checkWritableFolder(flags.checkpoint, { flag: '--checkpoint', inputs, force: flags.force });
        if (flags.out && realPathOf(flags.checkpoint).startsWith(realPathOf(flags.out) + '/')) {
          throw new Error(`--checkpoint '${flags.checkpoint}' is inside --out '${flags.out}', which is replaced as a whole at the end; put checkpoints elsewhere`);
        }
        if (flags.resume && !(await findLatestCheckpoint(flags.checkpoint))) {
          throw new Error(`--resume: no checkpoint in '${flags.checkpoint}' (expected ${flags.checkpoint}/epoch-NNNN/ written by an earlier run with this --checkpoint); check the path, or drop --resume to start fresh`);
        }
      }
      const out = flags.out ? await openOutput(flags.out, { flag: '--out', inputs, force: flags.force }) : undefined;
      await backendFromFlags(cmd);
      const data = await loadDataset(flags.dataset, { limitTrain: flags.limitTrain, limitTest: flags.limitTest, seed: flags.seed });
      const { train, test } = data;
      const { model } = await resolveModel(flags.model, {
        inputShape: flags.inputShape ?? [train.height, train.width, train.channels],
        numClasses: train.numClasses,
        seed: flags.seed,
        load: loadOptions(flags),
      });
      const milestones = [Math.floor(flags.epochs / 2), Math.floor((3 * flags.epochs) / 4)].filter((e) => e > 0);
      const t0 = Date.now();
      await trainModel(model, train, {
        epochs: flags.epochs,
        batchSize: flags.batchSize,
        optimizer: { name: flags.optimizer, lr: flags.lr, momentum: flags.momentum, weightDecay: flags.weightDecay },
        schedule:
          flags.schedule === 'step'
            ? { kind: 'step', milestones, gamma: 0.1, unit: 'epoch' }
            : flags.schedule === 'cosine'
              ? { kind: 'cosine' }
              : { kind: 'constant' },
        seed: flags.seed,
        validation: test,
        augment: flags.augment,
        checkpointDir: flags.checkpoint,
        resume: flags.resume,
      });
      const seconds = (Date.now() - t0) / 1000;
      const ev = await evaluate(model, test);
      process.stdout.write(
        `test accuracy ${(100 * ev.accuracy).toFixed(2)}%  loss ${ev.loss.toFixed(4)}  (${test.count} examples, ${data.name}); trained in ${seconds.toFixed(1)} s\n`,
      );
      if (out) {
        await saveModel(model, out.dir, { metadata: { trainedOn: data.name, testAccuracy: ev.accuracy, seed: flags.seed } });
        await out.commit();
        process.stdout.write(`saved ${flags.out}\n`);
      }
      model.dispose();
    });
}
