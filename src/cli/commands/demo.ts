import { InvalidArgumentError, type Command } from 'commander';
import { runDemo, DEMO_DEFAULTS, type DemoModel } from '../../demo/index.js';
import { METHOD_NAMES } from '../../prune/methods.js';
import { backendFromFlags } from '../context.js';
import { FORCE_HELP } from '../outputs.js';
import { parseChoice, parseIntList, parseIntOption } from '../options.js';

interface DemoFlags {
  out: string;
  model: DemoModel;
  pretrainSteps: number;
  finetuneSteps: number;
  its: number[];
  methods: string[];
  seed: number;
  limitTrain?: number;
  limitTest?: number;
  force?: boolean;
}

function parseMethods(v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = list.filter((m) => !METHOD_NAMES.includes(m));
  if (list.length === 0 || bad.length > 0) throw new InvalidArgumentError(`--methods: unknown ${bad.join(', ') || '(empty)'}; known: ${METHOD_NAMES.join(', ')}`);
  return list;
}

export function registerDemo(program: Command): void {
  const d = DEMO_DEFAULTS;
  program
    .command('demo')
    .description('the main job: train the FCN on the embedded digits, prune with MP and LAP at a few levels, fine-tune, print the table, write an HTML report (< 5 min on 2 cores)')
    .option('-o, --out <dir>', 'output folder (demo-report.html, results.json, model/ of the best level)', d.out)
    .option('-m, --model <name>', 'fcn | lenet300', parseChoice('--model', ['fcn', 'lenet300'] as const), d.model)
    .option('--pretrain-steps <n>', 'training steps of the dense model (batch 60)', parseIntOption('--pretrain-steps', 1), d.pretrainSteps)
    .option('--finetune-steps <n>', 'fine-tuning steps per pruned level', parseIntOption('--finetune-steps', 0), d.finetuneSteps)
    .option('--its <list>', 'one-shot levels it (layer l keeps (1 − p_l)^it)', parseIntList('--its', 0), d.its)
    .option('--methods <list>', 'pruning methods to compare', parseMethods, d.methods)
    .option('--seed <n>', 'seed', parseIntOption('--seed'), d.seed)
    .option('--limit-train <n>', 'use a seeded subset of this many training examples', parseIntOption('--limit-train', 1))
    .option('--limit-test <n>', 'use a seeded subset of this many test examples', parseIntOption('--limit-test', 1))
    .option('--force', FORCE_HELP)
    .action(async (flags: DemoFlags, cmd: Command) => {
      await backendFromFlags(cmd);
      const r = await runDemo({ ...flags, log: (line) => process.stderr.write(line + '\n') });
      process.stdout.write(
        [
          `dense test accuracy ${(100 * r.dense.accuracy).toFixed(2)}%`,
          '',
          r.table,
          '',
          `saved model: ${r.files.modelDir} (${r.best.method} ${r.best.label}, ${(100 * r.best.remaining).toFixed(2)}% of weights left, accuracy ${(100 * (r.best.after ?? r.best.before)!.accuracy).toFixed(2)}%)`,
          `report: ${r.files.report}   results: ${r.files.results}`,
          `wall time ${r.seconds.total.toFixed(1)} s (pretraining ${r.seconds.pretrain.toFixed(1)} s)`,
        ].join('\n') + '\n',
      );
    });
}
