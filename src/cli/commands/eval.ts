import type { Command } from 'commander';
import { loadDataset } from '../../data/registry.js';
import { loadModel } from '../../io/model-folder.js';
import { evaluate } from '../../train/evaluate.js';
import { backendFromFlags } from '../context.js';
import { ALLOW_NONFINITE_HELP, loadOptions } from '../outputs.js';
import { parseIntOption } from '../options.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a saved model folder on a dataset\'s test split (accuracy, loss)')
    .requiredOption('-m, --model <dir>', 'model folder (model.json + weight shards)')
    .option('-d, --dataset <spec>', 'digits | fashion-mnist[:DIR] | mnist-idx:DIR | cifar10:DIR | cifar100:DIR', 'digits')
    .option('--limit-test <n>', 'use a seeded subset of this many test examples', parseIntOption('--limit-test', 1))
    .option('--seed <n>', 'seed for --limit-test', parseIntOption('--seed'), 0)
    .option('--allow-nonfinite', ALLOW_NONFINITE_HELP)
    .action(async (flags: { model: string; dataset: string; limitTest?: number; seed: number; allowNonfinite?: boolean }, cmd: Command) => {
      await backendFromFlags(cmd);
      const model = await loadModel(flags.model, loadOptions(flags));
      const data = await loadDataset(flags.dataset, { limitTest: flags.limitTest, seed: flags.seed });
      const ev = await evaluate(model, data.test);
      process.stdout.write(`${flags.model} on ${data.name} test (${data.test.count}): accuracy ${(100 * ev.accuracy).toFixed(2)}%  loss ${ev.loss.toFixed(4)}\n`);
      model.dispose();
    });
}
