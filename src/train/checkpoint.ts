/**
 * Training checkpoints. Layout of a checkpoint folder `<checkpointDir>/epoch-NNNN/`:
 *   model.json, group1-shard*.bin  the model (a normal TF.js model folder, see io/model-folder.ts)
 *   optimizer.json, optimizer.bin  optimiser slots (tf `getWeights()` + Adam's β-power accumulators)
 *   state.json                     epochs done, step, seed, learning rate, history, run options
 * Each checkpoint is one folder transaction (io/atomic.ts: temp sibling, renamed into place), so
 * `epoch-NNNN/` is complete or absent; a killed run loses at most the epoch in progress. Older checkpoints beyond `keep` are removed.
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { asBytes, beginFolderTransaction, ensureDirSync, writeFileAtomic } from '../io/atomic.js';
import { readModelArtifacts, saveModel, weightEntryBytes } from '../io/model-folder.js';
import type { OptimizerSpec, TrainOptimizer } from './optimizers.js';
import type { EpochLogs } from './types.js';

export const CHECKPOINT_VERSION = 1;
const EPOCH_DIR = /^epoch-(\d+)$/;

export interface CheckpointState {
  version: number;
  /** Epochs completed (the next epoch to run, 0-based). */
  epoch: number;
  /** Optimiser steps completed. */
  step: number;
  seed: number;
  batchSize: number;
  stepsPerEpoch: number;
  dataCount: number;
  optimizer: OptimizerSpec;
  /** Learning rate of the last step. */
  lr: number;
  history: EpochLogs[];
  savedAt: string;
}

export interface FoundCheckpoint {
  path: string;
  state: CheckpointState;
}

export function checkpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** Writes a complete checkpoint for `state.epoch` epochs done; returns its folder. */
export async function writeCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: TrainOptimizer,
  state: CheckpointState,
  keep = 1,
): Promise<string> {
  ensureDirSync(dir);
  const final = join(dir, checkpointName(state.epoch));
  const tx = await beginFolderTransaction(final, { label: `checkpoint ${final}` });
  try {
    await saveModel(model, tx.dir);
    const named = await optimizer.getState();
    try {
      const { data, specs } = await tf.io.encodeWeights(named);
      await writeFileAtomic(join(tx.dir, 'optimizer.bin'), new Uint8Array(data));
      await writeFileAtomic(join(tx.dir, 'optimizer.json'), JSON.stringify({ spec: optimizer.spec, weightSpecs: specs }));
    } finally {
      tf.dispose(named.map((n) => n.tensor));
    }
    await writeFileAtomic(join(tx.dir, 'state.json'), JSON.stringify(state));
    await tx.commit();
  } catch (err) {
    await tx.abort();
    throw new Error(`writing checkpoint ${final} failed: ${(err as Error).message}`);
  }
  const all = await listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - Math.max(1, keep)))) {
    await fsp.rm(join(dir, checkpointName(old)), { recursive: true, force: true });
  }
  return final;
}

/** Epoch numbers of the complete checkpoints in `dir`, ascending. */
export async function listCheckpoints(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => EPOCH_DIR.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The newest complete checkpoint in `dir` (null when there is none). */
export async function findLatestCheckpoint(dir: string): Promise<FoundCheckpoint | null> {
  const epochs = await listCheckpoints(dir);
  for (let i = epochs.length - 1; i >= 0; i--) {
    const path = join(dir, checkpointName(epochs[i]));
    const file = join(path, 'state.json');
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch {
      continue; // not complete (should not happen with renamed folders); try an older one
    }
    let state: CheckpointState;
    try {
      state = JSON.parse(text) as CheckpointState;
    } catch (err) {
      throw new Error(`${file} is not valid JSON: ${(err as Error).message}; delete ${path} to resume from an older checkpoint`);
    }
    if (state.version !== CHECKPOINT_VERSION) {
      throw new Error(`${file} has checkpoint version ${state.version}; this prunekit reads version ${CHECKPOINT_VERSION}`);
    }
    return { path, state };
  }
  return null;
}

/** Loads a checkpoint's weights into `model` (matched by order; shapes checked) and its optimiser state. */
export async function restoreCheckpoint(path: string, model: tf.LayersModel, optimizer: TrainOptimizer): Promise<void> {
  const artifacts = await readModelArtifacts(path);
  const specs = artifacts.weightSpecs ?? [];
  const weights = model.weights;
  if (specs.length !== weights.length) {
    throw new Error(
      `checkpoint ${path} holds ${specs.length} weights but model '${model.name}' has ${weights.length}; it was written for a different model`,
    );
  }
  specs.forEach((s, i) => {
    const w = weights[i];
    if (s.shape.length !== w.shape.length || s.shape.some((d, k) => d !== w.shape[k])) {
      throw new Error(
        `checkpoint ${path}: weight '${s.name}' has shape [${s.shape}] but model weight '${w.originalName}' is [${w.shape}]`,
      );
    }
  });
  const decoded = tf.io.decodeWeights(artifacts.weightData!, specs);
  try {
    model.setWeights(specs.map((s) => decoded[s.name]));
  } finally {
    tf.dispose(Object.values(decoded));
  }

  const optFile = join(path, 'optimizer.json');
  let meta: { spec: OptimizerSpec; weightSpecs: tf.io.WeightsManifestEntry[] };
  try {
    meta = JSON.parse(await fsp.readFile(optFile, 'utf8'));
  } catch (err) {
    throw new Error(`${optFile} is missing or not valid JSON: ${(err as Error).message}`);
  }
  const s = optimizer.spec;
  if (meta.spec.name !== s.name || ((meta.spec.momentum ?? 0) > 0) !== ((s.momentum ?? 0) > 0)) {
    throw new Error(
      `checkpoint ${path} was trained with optimizer ${JSON.stringify(meta.spec)}, this run uses ${JSON.stringify(s)}; use the same optimizer or resume: false`,
    );
  }
  const nVars = model.trainableWeights.length;
  const slots = s.name === 'adam' ? 2 * nVars : (s.momentum ?? 0) > 0 ? nVars : 0;
  const core = meta.weightSpecs.filter((w) => !w.name.startsWith('prunekit/')).length;
  if (core !== 1 + slots) {
    throw new Error(`${optFile} holds ${core - 1} optimizer slots; model '${model.name}' needs ${slots} for ${s.name}`);
  }
  const bin = asBytes(await fsp.readFile(join(path, 'optimizer.bin')).catch(() => {
    throw new Error(`${join(path, 'optimizer.bin')} is missing`);
  }));
  const need = meta.weightSpecs.reduce((sum, w) => sum + weightEntryBytes(w, optFile), 0);
  if (bin.byteLength !== need) {
    throw new Error(`${join(path, 'optimizer.bin')} has ${bin.byteLength} bytes but ${optFile} needs ${need}; the checkpoint is damaged`);
  }
  const buf = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  const map = tf.io.decodeWeights(buf, meta.weightSpecs);
  const named = meta.weightSpecs.map((w) => ({ name: w.name, tensor: map[w.name] }));
  try {
    await optimizer.setState(named);
  } finally {
    tf.dispose(Object.values(map));
  }
}
