import type { Command } from 'commander';
import { join } from 'node:path';
import { loadDataset } from '../../data/registry.js';
import { take } from '../../data/batches.js';
import { loadModel } from '../../io/model-folder.js';
import { datasetInput } from '../../io/output-paths.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { FrequencyAnalyzer } from '../../spectral/analysis.js';
import { analysisReport, analysisTable } from '../../distill/report.js';
import { formatTable } from '../../report/table.js';
import { writeHtmlReport } from '../../report/html.js';
import { backendFromFlags } from '../context.js';
import { ALLOW_NONFINITE_HELP, FORCE_HELP, loadOptions, openOutput } from '../outputs.js';
import { parseFloatList, parseIntOption } from '../options.js';

interface AnalyzeFlags {
  model: string;
  teacher?: string;
  dataset: string;
  samples: number;
  deltas?: number[];
  radii?: number[];
  out?: string;
  force?: boolean;
  allowNonfinite?: boolean;
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('frequency analysis of a network: band errors vs a target (filtering method) and accuracy on low-passed inputs')
    .requiredOption('-m, --model <dir>', 'model folder to analyse')
    .option('-t, --teacher <dir>', 'reference model folder (targets = its probabilities; default: the labels)')
    .option('-d, --dataset <spec>', 'digits | fashion-mnist[:DIR] | mnist-idx:DIR | cifar10:DIR | cifar100:DIR', 'digits')
    .option('-n, --samples <n>', 'analysis set: the first N test images', parseIntOption('--samples', 2), 1000)
    .option('--deltas <list>', 'Gaussian widths δ as multiples of the median pairwise squared distance (default 0.01,0.03,0.1,0.3,1,3)', parseFloatList('--deltas', 0))
    .option('--radii <list>', 'low-pass radii (default 1…max)', parseFloatList('--radii', 0))
    .option('-o, --out <dir>', 'write analysis.json and report.html here')
    .option('--force', FORCE_HELP)
    .option('--allow-nonfinite', ALLOW_NONFINITE_HELP)
    .action(async (flags: AnalyzeFlags, cmd: Command) => {
      const inputs = { 'model folder': flags.model, 'teacher folder': flags.teacher, 'dataset folder': datasetInput(flags.dataset) };
      const outTx = flags.out ? await openOutput(flags.out, { flag: '--out', inputs, force: flags.force }) : undefined;
      await backendFromFlags(cmd);
      const data = await loadDataset(flags.dataset);
      const set = take(data.test, flags.samples);
      const model = await loadModel(flags.model, loadOptions(flags));
      const teacher = flags.teacher ? await loadModel(flags.teacher, loadOptions(flags)) : undefined;
      const analyzer = new FrequencyAnalyzer(set, { teacher, deltaFactors: flags.deltas, radii: flags.radii });
      try {
        const result = analyzer.analyze(model, flags.model);
        const analyses = teacher ? [analyzer.analyze(teacher, `${flags.teacher} (teacher)`), result] : [result];
        process.stdout.write(formatTable(analysisTable(analyses)) + '\n');
        const acc = result.spectrum.map((p) => `r=${p.radius}: ${(100 * p.accuracy).toFixed(1)}%`).join('  ');
        process.stdout.write(`accuracy on low-passed inputs: ${acc}\n`);
        if (outTx) {
          const meta = { model: flags.model, teacher: flags.teacher ?? '(labels)', dataset: data.name, samples: String(set.count), date: new Date().toISOString() };
          await writeFileAtomic(join(outTx.dir, 'analysis.json'), JSON.stringify({ meta, medianDistance: analyzer.medianDistance, analyses }, null, 2));
          await writeHtmlReport(join(outTx.dir, 'report.html'), analysisReport(analyses, meta));
          await outTx.commit();
          process.stdout.write(`wrote ${join(flags.out!, 'analysis.json')} and report.html\n`);
        }
      } finally {
        analyzer.dispose();
        model.dispose();
        teacher?.dispose();
      }
    });
}
