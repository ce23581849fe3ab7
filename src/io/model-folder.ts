/**
 * Model folders: the standard TF.js layers-model layout (`model.json` + `groupN-shardKofM.bin`), read
 * and written with plain `node:fs` (no tfjs-node). Folders written here load with
 * `tf.loadLayersModel('file://…')` under tfjs-node and with the http loader in a browser; folders
 * written by the tfjs converter or tfjs-node load here.
 *
 * Writes are atomic per file: shards first, then `model.json` (temp file, fsync, rename), so a reader
 * never sees a half-written `model.json`. Overwriting a folder that already holds a model is not atomic
 * as a whole (a crash between the shard renames and the `model.json` rename leaves new shards beside
 * the old `model.json`); write to a fresh folder and rename it when that matters (checkpoints do).
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { asBytes, syncDir, writeFileAtomic, writeTemp } from './atomic.js';
import { checkQuantization, quantizeWeightData, type WeightQuantization } from './quantize.js';

export const MODEL_JSON = 'model.json';
/** Shard size used by the tfjs converter (4 MiB). */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;
/** Key under `userDefinedMetadata` where prunekit keeps its own metadata. */
export const PRUNEKIT_METADATA_KEY = 'prunekit';

/** The contents of a layers-model `model.json`. */
export interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: tf.io.WeightsManifestConfig;
  trainingConfig?: tf.io.TrainingConfig;
  userDefinedMetadata?: Record<string, unknown>;
}

export interface SaveModelOptions {
  /** Maximum bytes per shard file (default 4 MiB, like the tfjs converter). */
  shardBytes?: number;
  /** Stored as `userDefinedMetadata.prunekit` in model.json (must be JSON-serialisable). */
  metadata?: Record<string, unknown>;
  /** Store float32 weights quantized (uint8/uint16 affine with 0 exact, or float16); see quantize.ts. */
  quantize?: WeightQuantization;
}

export interface SaveModelResult {
  /** File names written, relative to the folder (shards, then model.json). */
  files: string[];
  weightBytes: number;
}

function joinBuffers(data: tf.io.WeightData): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  if (parts.length === 1) return new Uint8Array(parts[0]);
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

const SHARD_NAME = /^group\d+-shard\d+of\d+\.bin$/;

/** Saves `model` as a TF.js layers-model folder at `dir` (created if missing). */
export async function saveModel(model: tf.LayersModel, dir: string, opts: SaveModelOptions = {}): Promise<SaveModelResult> {
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isInteger(shardBytes) || shardBytes < 4) {
    throw new Error(`saveModel(${dir}): shardBytes must be an integer ≥ 4, got ${shardBytes}`);
  }
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts || !artifacts.modelTopology) throw new Error(`saveModel(${dir}): model.save produced no topology`);
  let weights = artifacts.weightData ? joinBuffers(artifacts.weightData) : new Uint8Array(0);
  if (opts.quantize) {
    const q = quantizeWeightData(artifacts.weightSpecs ?? [], weights, opts.quantize);
    weights = q.data;
    artifacts.weightSpecs = q.specs;
  }
  const nShards = Math.max(1, Math.ceil(weights.byteLength / shardBytes));
  const shardNames = Array.from({ length: nShards }, (_, i) => `group1-shard${i + 1}of${nShards}.bin`);

  let userDefinedMetadata = artifacts.userDefinedMetadata as Record<string, unknown> | undefined;
  if (opts.metadata) userDefinedMetadata = { ...(userDefinedMetadata ?? {}), [PRUNEKIT_METADATA_KEY]: opts.metadata };
  const json: ModelJson = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: shardNames, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
  if (userDefinedMetadata) json.userDefinedMetadata = userDefinedMetadata;
  const jsonText = JSON.stringify(json);

  await fsp.mkdir(dir, { recursive: true });
  const temps: string[] = [];
  try {
    for (let i = 0; i < nShards; i++) {
      const chunk = weights.subarray(i * shardBytes, Math.min(weights.byteLength, (i + 1) * shardBytes));
      temps.push(await writeTemp(join(dir, shardNames[i]), chunk));
    }
    for (let i = 0; i < nShards; i++) await fsp.rename(temps[i], join(dir, shardNames[i]));
    temps.length = 0;
    await writeFileAtomic(join(dir, MODEL_JSON), jsonText);
  } catch (err) {
    await Promise.all(temps.map((t) => fsp.rm(t, { force: true })));
    throw new Error(`saveModel: writing the model folder ${dir} failed: ${(err as Error).message}`);
  }
  // Remove shards of an earlier, larger save that the new model.json no longer references.
  const keep = new Set(shardNames);
  for (const name of await fsp.readdir(dir)) {
    if (SHARD_NAME.test(name) && !keep.has(name)) await fsp.rm(join(dir, name), { force: true });
  }
  await syncDir(dir);
  return { files: [...shardNames, MODEL_JSON], weightBytes: weights.byteLength };
}

async function assertDir(dir: string): Promise<void> {
  let st;
  try {
    st = await fsp.stat(dir);
  } catch {
    throw new Error(`model folder ${dir} does not exist (expected a folder with ${MODEL_JSON} and weight shards)`);
  }
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder; pass the folder that holds ${MODEL_JSON}`);
}

/** Reads and checks `dir/model.json` (shape of the JSON only; shards are not read). */
export async function readModelJson(dir: string): Promise<ModelJson> {
  await assertDir(dir);
  const file = join(dir, MODEL_JSON);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: ${dir} is not a TF.js model folder`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${file}: expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  }
  const j = parsed as Partial<ModelJson>;
  if (j.modelTopology == null || typeof j.modelTopology !== 'object') {
    throw new Error(`${file} has no modelTopology; is it a graph model or not a TF.js layers model at all?`);
  }
  if (!Array.isArray(j.weightsManifest)) throw new Error(`${file} has no weightsManifest array`);
  j.weightsManifest.forEach((g, gi) => {
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new Error(`${file}: weightsManifest[${gi}] needs 'paths' and 'weights' arrays`);
    }
  });
  return j as ModelJson;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** Bytes a weight entry occupies in the shard data. */
export function weightEntryBytes(spec: tf.io.WeightsManifestEntry, where: string): number {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  const per = DTYPE_BYTES[dtype];
  if (per === undefined) throw new Error(`${where}: weight '${spec.name}' has unsupported dtype '${dtype}'`);
  return size * per;
}

/** Reads model.json and all shards; checks that the shard bytes match what the manifest needs. */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const json = await readModelJson(dir);
  const file = join(dir, MODEL_JSON);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const [gi, group] of json.weightsManifest.entries()) {
    let got = 0;
    for (const p of group.paths) {
      const shard = join(dir, p);
      let buf: Buffer;
      try {
        buf = await fsp.readFile(shard);
      } catch {
        throw new Error(`weight shard ${shard} (listed in ${file}) is missing`);
      }
      buffers.push(asBytes(buf));
      got += buf.byteLength;
    }
    for (const w of group.weights) checkQuantization(w, file);
    const need = group.weights.reduce((s, w) => s + weightEntryBytes(w, file), 0);
    if (got !== need) {
      throw new Error(
        `${file}: weight group ${gi} (${group.paths.join(', ')}) has ${got} bytes but its ${group.weights.length} weights need ${need}; the shards are truncated or belong to another model`,
      );
    }
    specs.push(...group.weights);
  }
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const data = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    data.set(b, off);
    off += b.byteLength;
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata as {} | undefined,
    weightSpecs: specs,
    weightData: data.buffer,
  };
}

/** Finds the first weight whose manifest shape differs from what the topology builds; null if none. */
async function diagnoseWeights(artifacts: tf.io.ModelArtifacts): Promise<string | null> {
  let bare: tf.LayersModel | undefined;
  try {
    bare = await tf.models.modelFromJSON({ modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'] });
  } catch {
    return null;
  }
  try {
    const specs = new Map((artifacts.weightSpecs ?? []).map((s) => [s.name, s]));
    for (const layer of bare.layers) {
      for (const w of layer.weights) {
        const s = specs.get(w.originalName);
        if (!s) return `layer '${layer.name}': weight '${w.originalName}' (shape [${w.shape}]) is not in the weights manifest`;
        if (s.shape.length !== w.shape.length || s.shape.some((d, i) => d !== w.shape[i])) {
          return `layer '${layer.name}': weight '${w.originalName}' has shape [${s.shape}] in the manifest but the topology needs [${w.shape}]`;
        }
      }
    }
    return null;
  } finally {
    bare.dispose();
  }
}

/** Loads a layers-model folder written by `saveModel`, tfjs-node or the tfjs converter. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    const detail = await diagnoseWeights(artifacts);
    const file = join(dir, MODEL_JSON);
    if (detail) throw new Error(`${file}: ${detail}`);
    throw new Error(`${file}: could not build the model: ${(err as Error).message}`);
  }
}

/** The `userDefinedMetadata.prunekit` object of a folder, if any. */
export async function readPrunekitMetadata(dir: string): Promise<Record<string, unknown> | undefined> {
  const json = await readModelJson(dir);
  const m = json.userDefinedMetadata?.[PRUNEKIT_METADATA_KEY];
  return m && typeof m === 'object' ? (m as Record<string, unknown>) : undefined;
}
