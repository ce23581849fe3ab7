/**
 * The dataset flags every data-using command shares (--dataset, --normalize, --resize, --test-split,
 * --cache, --max-memory) and the one place that decides, for a model and those flags, which data a
 * command gets:
 *
 * - `--dataset SPEC`: that dataset; images are fitted to the model's input shape.
 * - `--dataset none`: no data (data-free commands only).
 * - no `--dataset`: a zoo model, or a model folder whose input is the built-in digits' 28×28×1 with at
 *   least 10 outputs, gets `digits` (the demo default, as before); any other model runs data-free
 *   when the command can, else the command says that it needs data and how to give it.
 *
 * A model / dataset mismatch (input shape, class count) is an error naming both and the flag that
 * fixes it, raised before any pruning or training.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, type Command } from 'commander';
import { IMAGE_FITS, type ImageFit } from '../data/image-decode.js';
import { NORMALIZE_HELP, parseNormalize, type NormalizeSpec } from '../data/preprocess.js';
import { datasetKind, loadDataset } from '../data/registry.js';
import type { DatasetSplits } from '../data/types.js';
import { loadModel, type LoadModelOptions } from '../io/model-folder.js';
import { resolveModel } from '../models/resolve.js';
import { parseChoice, parseFloatOption, parseIntOption } from './options.js';

export const DATASET_FLAG_HELP =
  'digits | fashion-mnist[:DIR] | mnist-idx:DIR | cifar10:DIR | cifar100:DIR | images:DIR | npy:DIR | none (default: digits for zoo models and 28×28×1 models, else none)';

export interface DatasetFlags {
  dataset?: string;
  normalize?: NormalizeSpec;
  resize: ImageFit;
  testSplit?: number;
  cache?: string;
  maxMemory?: number;
  limitTrain?: number;
  limitTest?: number;
  seed: number;
  inputShape?: [number, number, number];
}

/** Adds the shared dataset flags (not --limit-*, --seed, --input-shape, which commands declare themselves). */
export function addDatasetOptions(cmd: Command): Command {
  return cmd
    .option('-d, --dataset <spec>', DATASET_FLAG_HELP)
    .option('--normalize <mode>', `input normalisation: ${NORMALIZE_HELP} (default stats)`, (v: string) => {
      try {
        return parseNormalize(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    })
    .option('--resize <fit>', 'images: crop (scale, centre-crop; aspect kept) | stretch | none (an image of another size is an error)', parseChoice('--resize', IMAGE_FITS), 'crop')
    .option('--test-split <f>', 'images: fraction of each class held out for test when DIR has no train/ and test/ folders (default 0.2)', parseFloatOption('--test-split', 0.01, 0.99))
    .option('--cache <dir>', 'images: keep decoded pixels in this folder (reused by later runs with the same files and shape)')
    .option('--max-memory <mb>', 'images: keep decoded pixels in memory up to this many MiB, else stream them from disk (default 1024)', parseIntOption('--max-memory', 0));
}

export interface ModelAndData {
  model: tf.LayersModel;
  source: 'folder' | 'zoo';
  /** Absent when running data-free. */
  data?: DatasetSplits;
}

export interface ResolveOptions {
  /** Why this command cannot run without data, e.g. "method 'obd' scores weights with training data"; undefined: it can. */
  needsData?: string;
  /** Build zoo models with this many classes when there is no data (default 10). */
  defaultClasses?: number;
  /** How a model folder is loaded (e.g. --allow-nonfinite). */
  load?: LoadModelOptions;
}

const DIGITS_SHAPE = [28, 28, 1];
const shapeText = (s: readonly (number | null)[]) => s.map((d) => (d === null ? '?' : String(d))).join('×');

function isModelFolder(spec: string): boolean {
  return existsSync(spec) && statSync(spec).isDirectory() && existsSync(join(spec, 'model.json'));
}

/** [H, W, C] of a model's single image input (null for a free dimension). */
export function modelInputShape(model: tf.LayersModel): (number | null)[] {
  const s = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || !s || s.length !== 4) {
    throw new Error(`model '${model.name}' has input shape [${(s ?? []).join(', ')}]; prunekit's datasets feed one NHWC image input [N, H, W, C]`);
  }
  return s.slice(1);
}

function modelOutputs(model: tf.LayersModel): number | null {
  const s = model.outputs[0]?.shape;
  return s ? (s[s.length - 1] ?? null) : null;
}

/** Throws when the data does not fit the model, naming both shapes and the flag that fixes it. */
export function checkModelFitsData(model: tf.LayersModel, data: DatasetSplits, spec: string): void {
  const want = modelInputShape(model);
  const have = [data.train.height, data.train.width, data.train.channels];
  if (want.some((d, i) => d !== null && d !== have[i])) {
    const kind = datasetKind(spec);
    const fix =
      kind === 'images'
        ? 'drop --resize none so images are fitted to the model'
        : kind === 'npy'
          ? `save arrays of ${shapeText(want)} images (npy data is not resized), or use --dataset images:DIR (resized to the model's input)`
          : `give --dataset images:DIR or npy:DIR with ${shapeText(want)} images (images are resized to the model's input), or --dataset none to prune without data`;
    throw new Error(`the model takes ${shapeText(want)} inputs but --dataset ${spec} has ${shapeText(have)} images; ${fix}`);
  }
  const units = modelOutputs(model);
  const classes = data.train.numClasses;
  if (units !== null && units !== 1 && classes > units) {
    const names = data.classNames ? ` (${data.classNames.slice(0, 12).join(', ')}${data.classNames.length > 12 ? ', …' : ''})` : '';
    throw new Error(`--dataset ${spec} has ${classes} classes${names} but the model has ${units} outputs; give a dataset with at most ${units} classes`);
  }
}

function loadOpts(f: DatasetFlags, shape?: [number, number, number]) {
  return {
    limitTrain: f.limitTrain,
    limitTest: f.limitTest,
    seed: f.seed,
    normalize: f.normalize,
    shape,
    fit: f.resize,
    testFraction: f.testSplit,
    cacheDir: f.cache,
    memoryBudgetBytes: f.maxMemory === undefined ? undefined : f.maxMemory * 1024 * 1024,
    progress: 'auto' as const,
  };
}

function needsDataError(why: string, spec: string | undefined, model?: tf.LayersModel): Error {
  const fit = model ? ` (the model takes ${shapeText(modelInputShape(model))} inputs; the built-in digits are 28×28×1)` : '';
  const given = spec === 'none' ? '--dataset none was given' : 'no --dataset was given';
  return new Error(`${why}, but ${given}${fit}; give --dataset images:DIR (a folder of PNG/JPEG images, one sub-folder per class), npy:DIR, or a built-in dataset`);
}

/** Loads the model and the data this command gets (see the file header); all checks before any work. */
export async function resolveModelAndData(modelSpec: string, f: DatasetFlags, o: ResolveOptions = {}): Promise<ModelAndData> {
  const spec = f.dataset?.trim();
  if (spec === 'none' && o.needsData) throw needsDataError(o.needsData, spec);
  if (isModelFolder(modelSpec)) {
    const model = await loadModel(modelSpec, o.load);
    try {
      const want = modelInputShape(model);
      let use = spec;
      if (use === undefined) {
        const digitsFit = want.every((d, i) => d === null || d === DIGITS_SHAPE[i]) && (modelOutputs(model) ?? 10) >= 10;
        if (digitsFit) {
          use = 'digits';
          process.stderr.write('note: no --dataset given: using the built-in digits (the model takes 28×28×1 inputs); --dataset none prunes without data\n');
        } else if (o.needsData) {
          throw needsDataError(o.needsData, spec, model);
        } else {
          process.stderr.write(`note: no --dataset given and the model's ${shapeText(want)} input does not fit the built-in digits: pruning data-free (no fine-tuning, no accuracy)\n`);
          return { model, source: 'folder' };
        }
      }
      if (use === 'none') return { model, source: 'folder' };
      const channels = want[2];
      if (datasetKind(use) === 'images' && (want[0] === null || want[1] === null || channels === null)) {
        throw new Error(`the model's input ${shapeText(want)} has free dimensions; images need a fixed H×W×C to be fitted to`);
      }
      const shape = datasetKind(use) === 'images' ? (want as [number, number, number]) : undefined;
      const data = await loadDataset(use, loadOpts(f, shape));
      checkModelFitsData(model, data, use);
      return { model, source: 'folder', data };
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  // a zoo model (or an unknown spec: resolveModel names the choices): built at the data's shape
  if (spec === 'none') {
    const { model, source } = await resolveModel(modelSpec, { inputShape: f.inputShape ?? [28, 28, 1], numClasses: o.defaultClasses ?? 10, seed: f.seed, load: o.load });
    return { model, source };
  }
  const use = spec ?? 'digits';
  const data = await loadDataset(use, loadOpts(f, f.inputShape));
  const { model, source } = await resolveModel(modelSpec, {
    inputShape: f.inputShape ?? [data.train.height, data.train.width, data.train.channels],
    numClasses: data.train.numClasses,
    seed: f.seed,
    load: o.load,
  });
  try {
    checkModelFitsData(model, data, use);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, source, data };
}
