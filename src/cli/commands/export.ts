import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../data/registry.js';
import { resolveModel } from '../../models/resolve.js';
import { saveModel } from '../../io/model-folder.js';
import { exportOnnx, checkOnnxExportable, type OnnxInputLayout } from '../../io/onnx/export.js';
import { verifyOnnx } from '../../io/onnx/runtime.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { WEIGHT_QUANTIZATIONS, type WeightQuantization } from '../../io/quantize.js';
import { quantizationEffect, quantizedCopy, type QuantizationEffect } from '../../io/quantize-model.js';
import { formatBytes } from '../../report/bytes.js';
import { foldBatchNorm } from '../../structured/fold-bn.js';
import { fuseActivations } from '../../structured/fuse-activations.js';
import { backendFromFlags } from '../context.js';
import { parseChoice, parseIntOption, parseShape } from '../options.js';

interface ExportFlags {
  model: string;
  format: 'onnx' | 'tfjs';
  out: string;
  inputLayout: OnnxInputLayout;
  foldBn?: boolean;
  fuseActivations?: boolean;
  quantize?: WeightQuantization;
  dataset?: string;
  limitTest?: number;
  seed: number;
  verify?: boolean;
  inputShape?: [number, number, number];
  classes?: number;
}

/** Every check on flags and paths that needs no model, before anything is loaded or written. */
function checkFlags(f: ExportFlags): void {
  if (resolve(f.out) === resolve(f.model)) throw new Error(`--out '${f.out}' is the input model; write to another path`);
  if (f.format === 'onnx') {
    if (existsSync(f.out) && statSync(f.out).isDirectory()) throw new Error(`--out '${f.out}' is a folder; give a file name such as model.onnx`);
  } else {
    if (f.inputLayout !== 'nhwc') throw new Error('--input-layout applies to --format onnx (TF.js models are NHWC)');
    if (f.verify) throw new Error('--verify checks an ONNX file in onnxruntime: use it with --format onnx');
    if (existsSync(f.out) && !statSync(f.out).isDirectory()) throw new Error(`--out '${f.out}' exists and is not a folder`);
  }
  if (f.dataset && !f.quantize) throw new Error('--dataset measures the accuracy change of --quantize; give --quantize too');
}

async function quantizationEffectOf(model: tf.LayersModel, flags: ExportFlags): Promise<{ effect: QuantizationEffect; name: string; count: number }> {
  const data = await loadDataset(flags.dataset!, { limitTest: flags.limitTest, seed: flags.seed });
  return { effect: await quantizationEffect(model, data.test, flags.quantize!), name: data.name, count: data.test.count };
}

function effectText(e: QuantizationEffect, dataset: string, count: number): string {
  return (
    `${e.dtype} weights on ${dataset} test (${count}): accuracy ${(100 * e.floatAccuracy).toFixed(2)}% → ${(100 * e.quantizedAccuracy).toFixed(2)}% ` +
    `(${e.accuracyChange >= 0 ? '+' : ''}${(100 * e.accuracyChange).toFixed(2)} pp; ${(100 * e.flippedPredictions).toFixed(2)}% of predictions changed)`
  );
}

async function effectLine(model: tf.LayersModel, flags: ExportFlags): Promise<string> {
  const e = await quantizationEffectOf(model, flags);
  return effectText(e.effect, e.name, e.count);
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a model for deployment: ONNX (opset 17, for onnxruntime) or a TF.js folder, optionally BN-folded and weight-quantized')
    .requiredOption('-m, --model <spec>', 'model folder (or a zoo model name: exports its untrained weights)')
    .requiredOption('-f, --format <fmt>', 'onnx | tfjs', parseChoice('--format', ['onnx', 'tfjs'] as const))
    .requiredOption('-o, --out <path>', 'output file (onnx) or folder (tfjs); written atomically')
    .option('--input-layout <layout>', 'onnx: layout of image inputs/outputs, nhwc (as TF.js) | nchw', parseChoice('--input-layout', ['nhwc', 'nchw'] as const), 'nhwc')
    .option('--fold-bn', 'fold BatchNormalization into the conv/depthwise/dense before it first (inference form)')
    .option('--fuse-activations', 'merge activation layers into the conv/dense before them (after --fold-bn; stock TF.js layers)')
    .option('--quantize <dtype>', `store weights as ${WEIGHT_QUANTIZATIONS.join(' | ')} (pruned zeros stay exactly 0; onnx: decoded to float32 in the graph)`, parseChoice('--quantize', WEIGHT_QUANTIZATIONS))
    .option('-d, --dataset <spec>', 'with --quantize: report the test-accuracy change on this dataset')
    .option('--limit-test <n>', 'use a seeded subset of this many test examples', parseIntOption('--limit-test', 1))
    .option('--seed <n>', 'seed for --limit-test and the --verify batch', parseIntOption('--seed'), 0)
    .option('--verify', 'onnx: run the file in onnxruntime-node against TF.js on a seeded batch (fails above 1e-4 relative)')
    .option('--input-shape <h,w,c>', 'input shape for zoo models', parseShape)
    .option('--classes <n>', 'classes for zoo models', parseIntOption('--classes', 1))
    .action(async (flags: ExportFlags, cmd: Command) => {
      checkFlags(flags);
      await backendFromFlags(cmd);
      const { model: loaded, source } = await resolveModel(flags.model, { inputShape: flags.inputShape, numClasses: flags.classes, seed: flags.seed });
      if (source === 'zoo') process.stderr.write(`warning: '${flags.model}' is an untrained zoo model\n`);
      const say = (s: string) => process.stdout.write(`${s}\n`);
      let model: tf.LayersModel = loaded;
      try {
        if (flags.format === 'onnx') checkOnnxExportable(model);
        if (flags.foldBn) {
          model = await foldBatchNorm(loaded);
          say(`folded ${loaded.layers.length - model.layers.length} BatchNormalization layers`);
        }
        if (flags.fuseActivations) {
          const before = model;
          model = await fuseActivations(before);
          say(`fused ${before.layers.length - model.layers.length} activation layers into the layer before them`);
          if (before !== loaded) before.dispose();
        }
        if (flags.format === 'onnx') {
          if (flags.quantize && flags.dataset) say(await effectLine(model, flags));
          const bytes = exportOnnx(model, { inputLayout: flags.inputLayout, ...(flags.quantize ? { quantize: flags.quantize } : {}) });
          if (flags.verify) {
            // a quantized file is checked against the quantized TF.js model (TF.js's own dequantization)
            const ref = flags.quantize ? await quantizedCopy(model, flags.quantize) : model;
            try {
              const err = await verifyOnnx(ref, bytes, { inputLayout: flags.inputLayout, seed: flags.seed, batch: 4 });
              if (!(err <= 1e-4)) throw new Error(`--verify: onnxruntime output differs from TF.js by ${err.toExponential(2)} relative (> 1e-4); nothing written`);
              say(`verified in onnxruntime-node: max relative error ${err.toExponential(2)} (batch 4${flags.quantize ? `, against the ${flags.quantize} TF.js model` : ''})`);
            } finally {
              if (ref !== model) ref.dispose();
            }
          }
          await writeFileAtomic(flags.out, bytes);
          say(`wrote ${flags.out} (ONNX opset 17, ${flags.inputLayout.toUpperCase()} input${flags.quantize ? `, ${flags.quantize} weights` : ''}, ${formatBytes(bytes.byteLength)})`);
        } else {
          let metadata: Record<string, unknown> | undefined;
          if (flags.quantize && flags.dataset) {
            const e = await quantizationEffectOf(model, flags);
            say(effectText(e.effect, e.name, e.count));
            metadata = { quantization: { ...e.effect, dataset: e.name, testCount: e.count } };
          }
          const res = await saveModel(model, flags.out, { quantize: flags.quantize, ...(metadata ? { metadata } : {}) });
          say(`wrote ${flags.out} (TF.js layers model${flags.quantize ? `, ${flags.quantize} weights` : ''}, ${formatBytes(res.weightBytes)} of weights)`);
        }
      } finally {
        if (model !== loaded) model.dispose();
        loaded.dispose();
      }
    });
}
