/**
 * Fuzz suite (issue 9): seeded random mutations of model.json, weight manifests, shards, sparse files,
 * IDX files and CLI argument lists, plus output transactions killed at random points. Every case must
 * end in success or a one-line error naming the file or flag, within a time and memory bound, and an
 * existing output must stay intact. Library functions run in-process; a few cases spawn the real CLI.
 *
 * Replay: test/fuzz/corpus/<target>.json holds fixed cases (regressions, the examples); they run
 * first. A random case that fails is written to test/fuzz/corpus/found-<target>.json so it can be
 * committed and replayed. FUZZ_SEED and FUZZ_SCALE (a multiplier on the case counts) widen a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { Command, CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { beginFolderTransaction, cleanLeftovers } from '../../src/io/atomic.js';
import { loadModel, saveModel } from '../../src/io/model-folder.js';
import { encodeSparsePayload, loadSparse, saveSparse } from '../../src/io/sparse.js';
import { encodeIdx, readIdx } from '../../src/data/idx.js';
import { toyMlp } from '../train/toy.js';
import { sparseFileBytes, sparsePayload, splitPayload } from '../io/craft.js';
import {
  applyBytes,
  applyJson,
  createRng,
  NASTY_ARGS,
  pick,
  randInt,
  randomByteOps,
  randomJsonOps,
  type ByteOp,
  type JsonOp,
  type JsonPath,
} from './mutate.js';

await tf.setBackend('cpu');
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const CORPUS = join('test', 'fuzz', 'corpus');
const TIME_LIMIT_MS = 5000;
const MEMORY_LIMIT = 400e6;

const root = mkdtempSync(join(tmpdir(), 'pk-fuzz-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

interface Tally {
  cases: number;
  successes: number;
  clearErrors: number;
  crashes: number;
  hangs: number;
  damaged: number;
  failures: string[];
}
const tally = (): Tally => ({ cases: 0, successes: 0, clearErrors: 0, crashes: 0, hangs: 0, damaged: 0, failures: [] });
const totals: Record<string, Tally> = {};

/** Raw JS errors that mean a check is missing (the message of a clear error never starts like these). */
const RAW = /^(Cannot read propert|Cannot convert|Invalid typed array length|Invalid array length|Array buffer allocation|Maximum call stack|\S+ is not a function|\S+ is not iterable|Offset is outside|Start offset|out of memory|Unexpected token)/;

/** Runs one case and classifies it; `names` are what a clear error must mention (file path or flag). */
async function runCase(t: Tally, target: string, label: string, names: string[], body: () => Promise<void>, onFail: () => void): Promise<void> {
  t.cases++;
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let outcome: 'ok' | 'clear' | 'crash';
  let detail = '';
  try {
    await body();
    outcome = 'ok';
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const oneLine = !msg.includes('\n');
    const named = names.some((n) => msg.includes(n));
    outcome = e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError) && oneLine && named && !RAW.test(msg) ? 'clear' : 'crash';
    detail = `${e instanceof Error ? e.constructor.name : typeof e}: ${msg.slice(0, 300)}`;
  }
  const ms = performance.now() - t0;
  const grew = process.memoryUsage().rss - rss0;
  if (ms > TIME_LIMIT_MS || grew > MEMORY_LIMIT) {
    t.hangs++;
    t.failures.push(`${target} ${label}: ${ms.toFixed(0)} ms, rss +${(grew / 1e6).toFixed(0)} MB`);
    onFail();
  } else if (outcome === 'crash') {
    t.crashes++;
    t.failures.push(`${target} ${label}: ${detail}`);
    onFail();
  } else if (outcome === 'ok') t.successes++;
  else t.clearErrors++;
}

/** Fixed cases; `expect: 'error'` marks inputs that must be refused (success would be a silent wrong value). */
function corpus<T>(target: string): { name: string; case: T; expect?: 'error' }[] {
  const file = join(CORPUS, `${target}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { name: string; case: T; expect?: 'error' }[]) : [];
}

function saveFound(target: string, name: string, c: unknown): void {
  const file = join(CORPUS, `found-${target}.json`);
  const list = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
  list.push({ name, case: c });
  writeFileSync(file, JSON.stringify(list, null, 1) + '\n');
}

/** Runs the corpus then `n` random cases of one target. */
async function fuzzTarget<T>(target: string, n: number, gen: (rng: () => number, i: number) => T, run: (c: T, dir: string) => Promise<{ names: string[]; body: () => Promise<void> }>): Promise<Tally> {
  const t = tally();
  const rng = createRng(SEED ^ [...target].reduce((a, ch) => (a * 31 + ch.charCodeAt(0)) >>> 0, 7));
  const cases: { name: string; case: T; fixed: boolean; expect?: 'error' }[] = [
    ...corpus<T>(target).map((c) => ({ ...c, fixed: true })),
    ...Array.from({ length: Math.round(n * SCALE) }, (_, i) => ({ name: `seed ${SEED} #${i}`, case: gen(rng, i), fixed: false })),
  ];
  for (const [i, c] of cases.entries()) {
    const dir = join(root, `${target}-${i}`);
    mkdirSync(dir, { recursive: true });
    const { names, body: run1 } = await run(c.case, dir);
    const body =
      c.expect === 'error'
        ? async () => {
            await run1();
            throw new TypeError(`accepted an input that must be refused`);
          }
        : run1;
    await runCase(t, target, c.name, names, body, () => {
      if (!c.fixed) saveFound(target, c.name, c.case);
    });
    rmSync(dir, { recursive: true, force: true });
  }
  totals[target] = t;
  return t;
}

function report(t: Tally, ctx: { diagnostic: (s: string) => void }, target: string): void {
  ctx.diagnostic(`${target}: ${t.cases} cases, ${t.successes} successes, ${t.clearErrors} clear errors, ${t.crashes} crashes, ${t.hangs} hangs, ${t.damaged} damaged outputs`);
  assert.deepEqual(t.failures, [], `${target}: ${t.failures.length} failing cases (random ones written to ${CORPUS}/found-${target}.json)`);
  assert.equal(t.crashes + t.hangs + t.damaged, 0);
}

// ---------------------------------------------------------------- fixtures
const baseModel = toyMlp(3);
const baseDir = join(root, 'base-model');
await saveModel(baseModel, baseDir);
const baseJson = JSON.parse(readFileSync(join(baseDir, 'model.json'), 'utf8')) as Record<string, unknown>;
const baseShard = new Uint8Array(readFileSync(join(baseDir, 'group1-shard1of1.bin')));
const basePayload = encodeSparsePayload(baseModel);
const baseSparse = { gz: sparseFileBytes(basePayload, { gzip: true }), raw: sparseFileBytes(basePayload) };
const { header: sparseHeader, data: sparseData } = splitPayload(basePayload);
const idxImages = { dtype: 'uint8' as const, shape: [10, 4, 4], data: Uint8Array.from({ length: 160 }, (_, i) => (i * 7) & 255) };
const baseIdx = { raw: encodeIdx(idxImages), gz: encodeIdx(idxImages, { gzip: true }) };
const outsideShard = join(root, 'outside.bin');
writeFileSync(outsideShard, baseShard);

/** Manifest paths a mutation most wants to hit. */
const MANIFEST_PATHS: JsonPath[] = [
  ['weightsManifest', 0, 'paths', 0],
  ['weightsManifest', 0, 'paths'],
  ['weightsManifest', 0, 'weights', 0, 'shape'],
  ['weightsManifest', 0, 'weights', 0, 'shape', 0],
  ['weightsManifest', 0, 'weights', 1, 'dtype'],
  ['weightsManifest', 0, 'weights', 2, 'name'],
  ['weightsManifest', 0, 'weights'],
  ['weightsManifest'],
  ['format'],
  ['modelTopology'],
  ['modelTopology', 'config', 'layers', 1, 'config', 'units'],
  ['modelTopology', 'class_name'],
];

// ---------------------------------------------------------------- model folders (model.json, manifest, shards)
interface FolderCase {
  json?: JsonOp[];
  text?: ByteOp[];
  shard?: ByteOp[];
  special?: 'fifo' | 'dir' | 'devzero' | 'outside-link' | 'missing';
}

test('fuzz: model folders (model.json, manifests, shards)', async (ctx) => {
  const t = await fuzzTarget<FolderCase>(
    'model-folder',
    900,
    (rng) => {
      const r = rng();
      if (r < 0.55) return { json: randomJsonOps(rng, baseJson, MANIFEST_PATHS) };
      if (r < 0.7) return { text: randomByteOps(rng, JSON.stringify(baseJson).length) };
      if (r < 0.95) return { shard: randomByteOps(rng, baseShard.length) };
      return { special: pick(rng, ['fifo', 'dir', 'devzero', 'outside-link', 'missing'] as const) };
    },
    async (c, dir) => {
      const json = c.json ? applyJson(baseJson, c.json) : baseJson;
      let text: Uint8Array = new TextEncoder().encode(JSON.stringify(json));
      if (c.text) text = applyBytes(text, c.text);
      writeFileSync(join(dir, 'model.json'), text);
      const shard = join(dir, 'group1-shard1of1.bin');
      if (c.special === 'fifo') spawnSync('mkfifo', [shard]);
      else if (c.special === 'dir') mkdirSync(shard);
      else if (c.special === 'devzero') symlinkSync('/dev/zero', shard);
      else if (c.special === 'outside-link') symlinkSync(outsideShard, shard);
      else if (c.special !== 'missing') writeFileSync(shard, c.shard ? applyBytes(baseShard, c.shard) : baseShard);
      return {
        names: [dir],
        body: async () => {
          const m = await loadModel(dir);
          m.dispose();
        },
      };
    },
  );
  report(t, ctx, 'model-folder');
});

// ---------------------------------------------------------------- sparse files
interface SparseCase {
  gzip: boolean;
  file?: ByteOp[];
  header?: JsonOp[];
  data?: ByteOp[];
  /** A gzip body of this many zero bytes under the good header (a decompression bomb). */
  bombZeros?: number;
}

const SPARSE_HOT = [8, 12, 16, 20, 24, 25, 26, 27, 28];
const SPARSE_HEADER_PATHS: JsonPath[] = [
  ['weights', 0, 'shape'], ['weights', 0, 'shape', 0], ['weights', 0, 'offset'], ['weights', 0, 'nnz'], ['weights', 0, 'encoding'],
  ['weights', 1, 'offset'], ['weights', 1, 'shape'], ['weights', 2, 'name'], ['weights'], ['modelTopology'], ['modelTopology', 'config'],
];

test('fuzz: sparse files (header fields, JSON header, data section, gzip body)', async (ctx) => {
  const t = await fuzzTarget<SparseCase>(
    'sparse',
    900,
    (rng) => {
      const gzip = rng() < 0.5;
      const r = rng();
      if (r < 0.4) return { gzip, file: randomByteOps(rng, (gzip ? baseSparse.gz : baseSparse.raw).length, SPARSE_HOT) };
      if (r < 0.85) return { gzip, header: randomJsonOps(rng, sparseHeader, SPARSE_HEADER_PATHS) };
      return { gzip, data: randomByteOps(rng, sparseData.length) };
    },
    async (c, dir) => {
      let bytes: Uint8Array;
      if (c.header || c.data) {
        const header = c.header ? applyJson(sparseHeader, c.header) : sparseHeader;
        const data = c.data ? applyBytes(sparseData, c.data) : sparseData;
        bytes = sparseFileBytes(sparsePayload(header, data), { gzip: c.gzip }); // valid CRC: reaches the deep checks
      } else if (c.bombZeros) {
        bytes = sparseFileBytes(basePayload, { gzip: true, body: new Uint8Array(gzipSync(new Uint8Array(Math.min(c.bombZeros, 2e8)))) });
      } else bytes = applyBytes(c.gzip ? baseSparse.gz : baseSparse.raw, c.file ?? []);
      const path = join(dir, 'model.sparse');
      writeFileSync(path, bytes);
      return {
        names: [path],
        body: async () => {
          const m = await loadSparse(path);
          m.dispose();
        },
      };
    },
  );
  report(t, ctx, 'sparse');
});

// ---------------------------------------------------------------- IDX files
interface IdxCase {
  gzip: boolean;
  ops: ByteOp[];
}

test('fuzz: IDX files (raw and gzip)', async (ctx) => {
  const t = await fuzzTarget<IdxCase>(
    'idx',
    700,
    (rng) => {
      const gzip = rng() < 0.4;
      return { gzip, ops: randomByteOps(rng, (gzip ? baseIdx.gz : baseIdx.raw).length, gzip ? [] : [0, 1, 2, 3, 4, 8, 12]) };
    },
    async (c, dir) => {
      const path = join(dir, 'train-images-idx3-ubyte' + (c.gzip ? '.gz' : ''));
      writeFileSync(path, applyBytes(c.gzip ? baseIdx.gz : baseIdx.raw, c.ops));
      return { names: [path], body: async () => void (await readIdx(path)) };
    },
  );
  report(t, ctx, 'idx');
});

// ---------------------------------------------------------------- CLI argument lists (parsed in-process, actions stubbed)
const BASE_ARGS: string[][] = [
  ['prune', '--model', 'lenet300', '--method', 'mp', '--sparsity', '0.5', '--levels', '0.5,0.9', '--ratios', '0.5,0.7', '--its', '4-6', '--rounds', '2', '--lr', '1e-3', '--exclude', 'fc1'],
  ['prune-filters', '--model', 'vgg-small', '--out', 'o', '--rates', '[0.5]*3+[0.2]', '--calib', '64', '--latency-batches', '1,64', '--momentum', '0.9', '--weight-decay', '5e-3'],
  ['fourier-prune', '--model', 'm', '--sparsity', '0.9', '--q', '0.2', '--alpha', '0.7', '--tau', '4', '--epochs', '2', '--out', 'o'],
  ['train', '--model', 'lenet300', '--epochs', '2', '--batch-size', '64', '--lr', '0.01', '--momentum', '0.9', '--input-shape', '28,28,1', '--seed', '3'],
  ['analyze', '--model', 'm', '--samples', '100', '--deltas', '0.01,0.1', '--radii', '1,2,3'],
  ['demo', '--its', '4,6', '--pretrain-steps', '10', '--finetune-steps', '5', '--methods', 'mp,lap'],
  ['info', '--model', 'lenet300', '--classes', '10', '--input-shape', '28x28x1'],
  ['eval', '--model', 'm', '--limit-test', '20', '--seed', '1'],
];

interface ArgsCase {
  argv: string[];
}

function mutateArgs(rng: () => number, base: string[]): string[] {
  const a = [...base];
  const n = 1 + randInt(rng, 3);
  for (let k = 0; k < n; k++) {
    const i = 1 + randInt(rng, Math.max(1, a.length - 1));
    const r = rng();
    if (r < 0.6 && a[i] !== undefined && !a[i].startsWith('--')) a[i] = pick(rng, NASTY_ARGS);
    else if (r < 0.6 && a[i + 1] !== undefined) a[i + 1] = pick(rng, NASTY_ARGS);
    else if (r < 0.7) a.splice(i, 1);
    else if (r < 0.8) a.splice(i, 0, pick(rng, ['--unknown', '--sparsity', '--its', '--rates', '--force', '--allow-nonfinite', '--', 'extra']));
    else if (r < 0.9) a.push(a[i] ?? '--x', pick(rng, NASTY_ARGS));
    else a.splice(i, 2);
  }
  return a;
}

/** Every number in parsed flags must be finite (no silent NaN / coerced values). */
function checkParsed(flags: Record<string, unknown>, argv: string[]): void {
  for (const [k, v] of Object.entries(flags)) {
    const nums = typeof v === 'number' ? [v] : Array.isArray(v) && typeof v[0] === 'number' ? (v as number[]) : [];
    if (nums.some((x) => !Number.isFinite(x))) throw new TypeError(`flag ${k} parsed to ${JSON.stringify(v)} from ${JSON.stringify(argv)}`);
    if (Array.isArray(v) && v.length === 0) throw new TypeError(`flag ${k} parsed to an empty list from ${JSON.stringify(argv)}`);
  }
}

test('fuzz: CLI argument lists (strict parsing; actions stubbed)', async (ctx) => {
  const t = await fuzzTarget<ArgsCase>(
    'cli-args',
    1200,
    (rng) => ({ argv: mutateArgs(rng, pick(rng, BASE_ARGS)) }),
    async (c) => {
      const program = buildProgram();
      const sink = { writeOut: () => undefined, writeErr: () => undefined };
      const all: Command[] = [program, ...program.commands];
      for (const cmd of all) {
        cmd.configureOutput(sink);
        cmd.exitOverride();
      }
      for (const cmd of program.commands) cmd.action((flags: Record<string, unknown>) => checkParsed(flags, c.argv));
      const flagNames = c.argv.filter((a) => a.startsWith('-')).concat(['option', 'argument', 'command', c.argv[0] ?? '']);
      return {
        names: flagNames,
        body: async () => {
          try {
            await program.parseAsync(c.argv, { from: 'user' });
          } catch (e) {
            if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version')) return;
            throw e;
          }
        },
      };
    },
  );
  report(t, ctx, 'cli-args');
});

// ---------------------------------------------------------------- output transactions killed at random points
const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const listing = (dir: string) => (existsSync(dir) ? Object.fromEntries(readdirSync(dir).sort().map((n) => [n, readFileSync(join(dir, n), 'utf8')])) : null);

test('fuzz: output transactions killed at random points keep the old or the new folder', async (ctx) => {
  const t = tally();
  const rng = createRng(SEED + 99);
  for (let i = 0; i < Math.round(300 * SCALE); i++) {
    t.cases++;
    const out = join(root, `tx-${i}`, 'out');
    mkdirSync(join(root, `tx-${i}`));
    const old = rng() < 0.7 ? { 'model.json': `old ${i}`, 'model.sparse': 'stale', 'results.json': 'old' } : null;
    if (old) {
      mkdirSync(out);
      for (const [n, v] of Object.entries(old)) writeFileSync(join(out, n), v);
    }
    const fresh = { 'model.json': `new ${i}`, 'results.json': `r ${i}` };
    const tx = await beginFolderTransaction(out);
    const files = Object.entries(fresh);
    const written = randInt(rng, files.length + 1);
    for (const [n, v] of files.slice(0, written)) writeFileSync(join(tx.dir, n), v);
    const fate = pick(rng, ['commit', 'abort', 'kill-before', 'kill-between'] as const);
    const complete = written === files.length;
    let expectNew = false;
    if (fate === 'commit' && complete) {
      await tx.commit();
      expectNew = true;
    } else if (fate === 'abort' || (fate === 'commit' && !complete)) await tx.abort();
    else {
      // simulate kill -9: the temp folder stays, under a dead pid; kill-between: the old folder is already set aside
      renameSync(tx.dir, tx.dir.replace(`-${process.pid}-`, `-${deadPid}-`));
      if (fate === 'kill-between' && old) renameSync(out, join(root, `tx-${i}`, `.out.pk-old-${deadPid}-0000beef`));
      cleanLeftovers(out);
    }
    const got = listing(out);
    const ok = JSON.stringify(got) === JSON.stringify(expectNew ? fresh : old);
    const leftovers = readdirSync(join(root, `tx-${i}`)).filter((n) => n.startsWith('.'));
    if (ok && leftovers.length === 0) t.successes++;
    else {
      t.damaged++;
      t.failures.push(`tx ${i} ${fate} written ${written}: got ${JSON.stringify(got)}, leftovers ${leftovers.join(', ')}`);
    }
    rmSync(join(root, `tx-${i}`), { recursive: true, force: true });
  }
  totals.transactions = t;
  report(t, ctx, 'transactions');
});

// ---------------------------------------------------------------- a few real CLI runs (spawned)
const execFileP = promisify(execFile);

test('fuzz: spawned CLI runs with mutated arguments exit cleanly and leave the previous output intact', async (ctx) => {
  const t = tally();
  const out = join(root, 'cli-out');
  const prev = join(root, 'prev-model');
  const digits = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) })] });
  await saveModel(digits, out);
  writeFileSync(join(out, 'results.json'), '{"previous": true}\n');
  await saveModel(digits, prev);
  digits.dispose();
  const before = listing(out);
  const rng = createRng(SEED + 7);
  const bases = [
    ['prune', '--model', prev, '--method', 'mp', '--sparsity', '0.5', '--finetune-steps', '0', '--limit-train', '60', '--limit-test', '30', '--out', out],
    ['eval', '--model', prev, '--limit-test', '20'],
  ];
  const cases = [
    [...bases[0].slice(0, 6), '', ...bases[0].slice(7)], // --sparsity ""
    [...bases[0].slice(0, -2), '--out', prev], // --out is the input
    mutateArgs(rng, bases[1]),
  ];
  // concurrently: each process needs a few CPU seconds, but its start-up dominates on a loaded machine
  const runs = await Promise.all(
    cases.map(async (argv) => {
      try {
        await execFileP(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--backend', 'cpu', ...argv], { timeout: 150_000, maxBuffer: 1 << 24 });
        return { argv, code: 0, err: '', killed: false };
      } catch (e) {
        const x = e as { code?: number; stderr?: string; killed?: boolean };
        return { argv, code: typeof x.code === 'number' ? x.code : -1, err: x.stderr ?? '', killed: x.killed === true };
      }
    }),
  );
  for (const { argv, code, err, killed } of runs) {
    t.cases++;
    const errLine = err.split('\n').find((l) => /error/.test(l)) ?? '';
    const label = JSON.stringify(argv.map((a) => a.replace(root, '$ROOT')).slice(0, 14));
    if (killed) {
      t.hangs++;
      t.failures.push(`cli ${label}: killed after 150 s`);
    } else if (code === 0) t.successes++;
    else if (code === 1 && !/\n\s+at /.test(err) && (/--|'/.test(errLine) || argv.some((v) => v.trim().length > 0 && errLine.includes(v)))) t.clearErrors++;
    else {
      t.crashes++;
      t.failures.push(`cli ${label}: exit ${code}: ${err.slice(0, 400)}`);
    }
  }
  const after = listing(out);
  if (!runs.some((r) => r.code === 0 && r.argv.includes(out)) && JSON.stringify(after) !== JSON.stringify(before)) {
    t.damaged++;
    t.failures.push('cli: the previous output folder changed');
  }
  assert.deepEqual(listing(prev), listing(prev)); // input folder readable
  totals['cli-spawned'] = t;
  report(t, ctx, 'cli-spawned');
  const sum = Object.values(totals).reduce((a, x) => ({ ...a, cases: a.cases + x.cases, clearErrors: a.clearErrors + x.clearErrors, crashes: a.crashes + x.crashes, hangs: a.hangs + x.hangs, damaged: a.damaged + x.damaged }), tally());
  ctx.diagnostic(`TOTAL: ${sum.cases} cases, ${sum.clearErrors} clear errors, ${sum.crashes} crashes, ${sum.hangs} hangs, ${sum.damaged} damaged outputs`);
});
