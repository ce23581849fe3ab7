import type { Command } from 'commander';
import { listModels } from '../../models/zoo.js';
import { resolveModel } from '../../models/resolve.js';
import { countModel, formatCountTable } from '../../report/count.js';
import { sizeReport } from '../../io/sparse-size.js';
import { formatBytes } from '../../report/bytes.js';
import { backendFromFlags } from '../context.js';
import { parseIntOption, parseShape } from '../options.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print a model\'s layers, output shapes, params and FLOPs (multiply-adds); --list shows the zoo')
    .option('-m, --model <spec>', 'model folder or zoo model name')
    .option('--input-shape <h,w,c>', 'input shape for zoo models', parseShape)
    .option('--classes <n>', 'classes for zoo models', parseIntOption('--classes', 1))
    .option('--list', 'list the zoo models')
    .action(async (flags: { model?: string; inputShape?: [number, number, number]; classes?: number; list?: boolean }, cmd: Command) => {
      if (flags.list || !flags.model) {
        for (const m of listModels()) process.stdout.write(`${m.name.padEnd(14)} ${m.defaultInputShape.join('×').padEnd(9)} ${m.description}\n`);
        if (!flags.list) process.stdout.write('\n(pass --model <zoo name | folder> for a model\'s table)\n');
        return;
      }
      await backendFromFlags(cmd);
      const { model } = await resolveModel(flags.model, { inputShape: flags.inputShape, numClasses: flags.classes });
      process.stdout.write(formatCountTable(countModel(model)) + '\n');
      const s = sizeReport(model);
      process.stdout.write(
        `weights: dense ${formatBytes(s.denseBytes)}, dense+gzip ${formatBytes(s.denseGzipBytes)}, ` +
          `sparse ${formatBytes(s.sparseBytes)}, sparse+gzip ${formatBytes(s.sparseGzipBytes)}\n` +
          `quantized (--quantize): uint8 ${formatBytes(s.quantized.uint8)}, uint8+gzip ${formatBytes(s.quantized.uint8Gzip)}, ` +
          `uint16 ${formatBytes(s.quantized.uint16)}, float16 ${formatBytes(s.quantized.float16)}\n`,
      );
      model.dispose();
    });
}
