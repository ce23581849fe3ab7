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
import { isAbsolute, join, relative, resolve } from 'node:path';
import { asBytes, ensureDirSync, syncDir, writeFileAtomic, writeTemp } from './atomic.js';
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

  ensureDirSync(dir);
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

/** Largest model.json read (its topology + manifest; weights live in shards). */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
/** Largest total weight data loaded (2 GiB): larger declared sizes are refused before allocation. */
export const MAX_WEIGHT_BYTES = 2 ** 31;

/** A graph model (GraphDef topology) rather than a layers model. */
function isGraphModel(j: Partial<ModelJson>): boolean {
  const topo = j.modelTopology as { node?: unknown; class_name?: unknown } | undefined;
  return j.format === 'graph-model' || (topo != null && Array.isArray(topo.node) && topo.class_name === undefined);
}

/** Reads a small regular file (stat first: a FIFO or device is refused, never opened for reading). */
async function readRegularFile(path: string, what: string, maxBytes: number): Promise<Buffer> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch {
    throw new Error(`${what} ${path} is missing`);
  }
  if (st.isDirectory()) throw new Error(`${what} ${path} is a folder, not a file`);
  if (!st.isFile()) throw new Error(`${what} ${path} is not a regular file (a FIFO, socket or device); refusing to read it`);
  if (st.size > maxBytes) throw new Error(`${what} ${path} is ${st.size} bytes, more than the ${maxBytes} allowed`);
  return fsp.readFile(path);
}

/** Reads and checks `dir/model.json` (shape of the JSON only; shards are not read). */
export async function readModelJson(dir: string): Promise<ModelJson> {
  await assertDir(dir);
  const file = join(dir, MODEL_JSON);
  const text = (await readRegularFile(file, `${dir} is not a TF.js model folder:`, MAX_MODEL_JSON_BYTES)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${file}: expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
  }
  const j = parsed as Partial<ModelJson>;
  if (isGraphModel(j)) {
    throw new Error(`${file}: this is a graph model; prunekit needs a layers model — convert with the TF.js converter's layers format (tensorflowjs_converter --output_format tfjs_layers_model)`);
  }
  if (j.modelTopology == null || typeof j.modelTopology !== 'object' || Array.isArray(j.modelTopology)) {
    throw new Error(`${file} has no modelTopology object; it is not a TF.js layers model`);
  }
  if (!Array.isArray(j.weightsManifest)) throw new Error(`${file} has no weightsManifest array`);
  const names = new Set<string>();
  j.weightsManifest.forEach((g, gi) => {
    if (!g || typeof g !== 'object' || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw new Error(`${file}: weightsManifest[${gi}] needs 'paths' and 'weights' arrays`);
    }
    g.paths.forEach((p, pi) => {
      if (typeof p !== 'string' || p === '') throw new Error(`${file}: weightsManifest[${gi}].paths[${pi}] must be a non-empty file name, got ${JSON.stringify(p)}`);
    });
    g.weights.forEach((w, wi) => {
      if (!w || typeof w !== 'object' || typeof w.name !== 'string' || typeof w.dtype !== 'string' || !Array.isArray(w.shape)) {
        throw new Error(`${file}: weightsManifest[${gi}].weights[${wi}] needs a string 'name', a string 'dtype' and a 'shape' array`);
      }
      if (names.has(w.name)) throw new Error(`${file}: weight '${w.name}' is listed twice in the weights manifest; each weight name must be unique`);
      names.add(w.name);
    });
  });
  return j as ModelJson;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** Elements of a manifest shape; every dimension a non-negative integer, the product bounded. */
export function shapeSize(shape: unknown, name: string, where: string): number {
  if (!Array.isArray(shape) || shape.length > 8 || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
    throw new Error(`${where}: weight '${name}' has an invalid shape ${JSON.stringify(shape)} (expected up to 8 non-negative integers)`);
  }
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (size * 4 > MAX_WEIGHT_BYTES) throw new Error(`${where}: weight '${name}' has shape [${shape}] (${size} values), more than prunekit loads (${MAX_WEIGHT_BYTES} bytes)`);
  return size;
}

/** Bytes a weight entry occupies in the shard data. */
export function weightEntryBytes(spec: tf.io.WeightsManifestEntry, where: string): number {
  const size = shapeSize(spec.shape, spec.name, where);
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  const per = DTYPE_BYTES[dtype];
  if (per === undefined) throw new Error(`${where}: weight '${spec.name}' has unsupported dtype '${dtype}'`);
  return size * per;
}

/** True when `child` (a real path) is `parent` or lies inside it. */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Checks one shard path of the manifest: relative, resolving (symlinks followed) inside the model
 * folder, a regular file (never a FIFO, device or folder). Returns its real path and size.
 */
async function shardFile(root: string, dir: string, p: string, file: string): Promise<{ path: string; size: number }> {
  const shown = join(dir, p);
  if (isAbsolute(p)) throw new Error(`${file}: weight shard path '${p}' is absolute; shard paths must be relative to the model folder`);
  let real: string;
  try {
    real = await fsp.realpath(resolve(root, p));
  } catch {
    throw new Error(`weight shard ${shown} (listed in ${file}) is missing`);
  }
  if (!isInside(root, real)) throw new Error(`${file}: weight shard path '${p}' resolves outside the model folder (to ${real}); shards must live inside ${dir}`);
  const st = await fsp.stat(real);
  if (st.isDirectory()) throw new Error(`weight shard ${shown} (listed in ${file}) is a folder, not a weight file`);
  if (!st.isFile()) throw new Error(`weight shard ${shown} (listed in ${file}) is not a regular file (a FIFO, socket or device); refusing to read it`);
  return { path: real, size: st.size };
}

/** Reads exactly `size` bytes of a regular file into `into` at `offset`. */
async function readExactly(path: string, into: Uint8Array, offset: number, size: number): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(into, offset + done, size - done, done);
      if (bytesRead === 0) throw new Error(`weight shard ${path} shrank while being read`);
      done += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Reads model.json and all shards. Before anything is allocated: every weight is float32 with a
 * valid shape, names are unique, each group's shard files (inside the folder, regular files) add up
 * to exactly the bytes its weights need, and the total is bounded.
 */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const json = await readModelJson(dir);
  const file = join(dir, MODEL_JSON);
  const root = await fsp.realpath(dir);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: { path: string; size: number }[] = [];
  let total = 0;
  for (const [gi, group] of json.weightsManifest.entries()) {
    for (const w of group.weights) {
      if (w.dtype !== 'float32') {
        throw new Error(`${file}: weight '${w.name}' has dtype ${w.dtype}; prunekit loads float32 weights only (convert or drop that ${w.dtype} weight)`);
      }
    }
    for (const w of group.weights) checkQuantization(w, file);
    const need = group.weights.reduce((s, w) => s + weightEntryBytes(w, file), 0);
    let got = 0;
    for (const p of group.paths) {
      const f = await shardFile(root, dir, p, file);
      shards.push(f);
      got += f.size;
    }
    if (got !== need) {
      throw new Error(
        `${file}: weight group ${gi} (${group.paths.join(', ')}) has ${got} bytes but its ${group.weights.length} weights need ${need}; the shards are truncated or belong to another model`,
      );
    }
    total += need;
    if (total > MAX_WEIGHT_BYTES) throw new Error(`${file}: the weights need ${total} bytes, more than prunekit loads (${MAX_WEIGHT_BYTES})`);
    specs.push(...group.weights);
  }
  const data = new Uint8Array(total);
  let off = 0;
  for (const s of shards) {
    await readExactly(s.path, data, off, s.size);
    off += s.size;
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

/** One line per float32 weight holding NaN or ±Inf values (quantized weights are skipped). */
export function nonFiniteWeights(artifacts: tf.io.ModelArtifacts): string[] {
  const found: string[] = [];
  const buf = artifacts.weightData as ArrayBuffer | undefined;
  if (!buf) return found;
  const dv = new DataView(buf);
  let off = 0;
  for (const s of artifacts.weightSpecs ?? []) {
    const bytes = weightEntryBytes(s, 'weights');
    if (s.dtype === 'float32' && !s.quantization) {
      let count = 0;
      let first = -1;
      for (let i = 0; i < bytes / 4; i++) {
        if (!Number.isFinite(dv.getFloat32(off + 4 * i, true))) {
          if (first < 0) first = i;
          count++;
        }
      }
      if (count > 0) found.push(`weight '${s.name}' has ${count} NaN/Inf value${count > 1 ? 's' : ''} (first at flat index ${first})`);
    }
    off += bytes;
  }
  return found;
}

export interface LoadModelOptions {
  /** Load weights holding NaN/±Inf instead of refusing (CLI: --allow-nonfinite); `warn` still hears of them. */
  allowNonFinite?: boolean;
  warn?: (message: string) => void;
}

/** The error (or warning) for non-finite weights in the model of `where`. */
export function checkFinite(found: string[], where: string, opts: LoadModelOptions): void {
  if (found.length === 0) return;
  const more = found.length > 1 ? ` and ${found.length - 1} more weight(s)` : '';
  if (!opts.allowNonFinite) {
    throw new Error(`${where}: ${found[0]}${more}; the model is damaged (diverged training?) — pass --allow-nonfinite to load it anyway`);
  }
  opts.warn?.(`warning: ${where}: ${found[0]}${more}; continuing (--allow-nonfinite)`);
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
export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  checkFinite(nonFiniteWeights(artifacts), join(dir, MODEL_JSON), opts);
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
