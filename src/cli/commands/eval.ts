import type { Command } from 'commander';
import { evaluate } from '../../train/evaluate.js';
import { backendFromFlags } from '../context.js';
import { addDatasetOptions, resolveModelAndData, type DatasetFlags } from '../dataset.js';
import { ALLOW_NONFINITE_HELP, loadOptions } from '../outputs.js';
import { parseIntOption } from '../options.js';

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('evaluate a saved model folder on a dataset\'s test split (accuracy, loss)')
    .requiredOption('-m, --model <dir>', 'model folder (model.json + weight shards)')
    .option('--limit-test <n>', 'use a seeded subset of this many test examples', parseIntOption('--limit-test', 1))
    .option('--seed <n>', 'seed for --limit-test and the images: test split', parseIntOption('--seed'), 0)
    .option('--allow-nonfinite', ALLOW_NONFINITE_HELP);
  addDatasetOptions(cmd).action(async (flags: DatasetFlags & { model: string; allowNonfinite?: boolean }, cmd: Command) => {
      await backendFromFlags(cmd);
      const { model, data } = await resolveModelAndData(flags.model, flags, { needsData: 'eval measures accuracy on a test split', load: loadOptions(flags) });
      if (!data) throw new Error('eval needs a dataset'); // unreachable: resolveModelAndData throws first
      const ev = await evaluate(model, data.test);
      process.stdout.write(`${flags.model} on ${data.name} test (${data.test.count}): accuracy ${(100 * ev.accuracy).toFixed(2)}%  loss ${ev.loss.toFixed(4)}\n`);
      model.dispose();
    });
}
