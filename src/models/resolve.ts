/**
 * `--model` spec → tf.LayersModel: a folder holding a TF.js model.json, or a zoo model name.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadModel, type LoadModelOptions } from '../io/model-folder.js';
import { createModel, isZooModelName, listModels } from './zoo.js';

export interface ResolveModelOptions {
  inputShape?: [number, number, number];
  numClasses?: number;
  seed?: number;
  widthMultiplier?: number;
  /** For model folders: NaN/Inf weights (see loadModel). */
  load?: LoadModelOptions;
}

export interface ResolvedModel {
  model: tf.LayersModel;
  /** 'folder' when loaded from disk, 'zoo' when freshly built (untrained). */
  source: 'folder' | 'zoo';
}

export async function resolveModel(spec: string, opts: ResolveModelOptions = {}): Promise<ResolvedModel> {
  if (existsSync(spec) && statSync(spec).isDirectory()) {
    if (!existsSync(join(spec, 'model.json'))) {
      throw new Error(`--model '${spec}': folder has no model.json (expected a TF.js layers-model folder)`);
    }
    return { model: await loadModel(spec, opts.load), source: 'folder' };
  }
  if (isZooModelName(spec)) {
    return { model: createModel(spec, opts), source: 'zoo' };
  }
  const names = listModels().map((m) => m.name).join(', ');
  throw new Error(`--model '${spec}': not a model folder and not a zoo model; zoo models: ${names}`);
}
