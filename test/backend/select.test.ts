/**
 * Backend selection: flag / env parsing, precedence, cpu and wasm choice, reported thread count, the
 * start-up line on stderr. (Runs in its own process under `node --test`; wasm initialises once in it.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { currentBackend, initBackend, parseBackendChoice, parseThreads } from '../../src/backend/index.js';
import { defaultThreadCount } from '../../src/backend/threads.js';

/** Runs `fn` with the given environment variables set (undefined = unset), restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>): void => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** Captures what `fn` writes to stderr. */
async function captureStderr(fn: () => Promise<unknown>): Promise<string> {
  const original = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return text;
}

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

test('parseBackendChoice: names, case, node alias, empty', () => {
  assert.equal(parseBackendChoice('wasm', 'X'), 'wasm');
  assert.equal(parseBackendChoice(' CPU ', 'X'), 'cpu');
  assert.equal(parseBackendChoice('Auto', 'X'), 'auto');
  assert.equal(parseBackendChoice('node', 'X'), 'tensorflow');
  assert.equal(parseBackendChoice('tensorflow', 'X'), 'tensorflow');
  assert.equal(parseBackendChoice(undefined, 'X'), undefined);
  assert.equal(parseBackendChoice('', 'X'), undefined);
});

test('parseBackendChoice: unknown name errors name the source and the valid choices', () => {
  assert.throws(() => parseBackendChoice('webgl', 'PRUNEKIT_BACKEND'), /^Error: PRUNEKIT_BACKEND: unknown backend 'webgl'; use one of auto, tensorflow, native, wasm, cpu/);
  assert.throws(() => parseBackendChoice('gpu', '--backend'), /--backend: unknown backend 'gpu'/);
});

test('parseThreads: integers 1..8 from strings or numbers', () => {
  assert.equal(parseThreads('2', 'X'), 2);
  assert.equal(parseThreads(' 8 ', 'X'), 8);
  assert.equal(parseThreads(1, 'X'), 1);
  assert.equal(parseThreads(undefined, 'X'), undefined);
  assert.equal(parseThreads('', 'X'), undefined);
});

test('parseThreads: bad values give errors naming the source', () => {
  for (const bad of ['0', '-1', '1.5', 'two', '0x2', '2e0', '9']) {
    assert.throws(() => parseThreads(bad, 'PRUNEKIT_THREADS'), new RegExp(`^Error: PRUNEKIT_THREADS: threads must be an integer from 1 to 8, got '${bad}'`));
  }
  assert.throws(() => parseThreads(0, '--threads'), /--threads: threads must be an integer from 1 to 8, got '0'/);
  assert.throws(() => parseThreads(Number.NaN, '--threads'), /--threads/);
});

test('initBackend: bad environment values are reported, not ignored', async () => {
  await withEnv({ PRUNEKIT_BACKEND: 'gpu', PRUNEKIT_THREADS: undefined }, async () => {
    await assert.rejects(initBackend({ log: false }), /PRUNEKIT_BACKEND: unknown backend 'gpu'/);
  });
  await withEnv({ PRUNEKIT_BACKEND: 'cpu', PRUNEKIT_THREADS: 'lots' }, async () => {
    await assert.rejects(initBackend({ log: false }), /PRUNEKIT_THREADS: threads must be an integer/);
  });
});


test('initBackend: auto without tfjs-node and without the native addon picks wasm with all cores, says why', { skip: tfjsNodeInstalled() }, async () => {
  let info = currentBackend();
  const text = await captureStderr(async () => {
    await withEnv({ PRUNEKIT_BACKEND: undefined, PRUNEKIT_THREADS: undefined, PRUNEKIT_NATIVE_ADDON: '/nonexistent/prunekit_native.node' }, async () => {
      info = await initBackend({ backend: 'auto' });
    });
  });
  assert.ok(info);
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(info.threads, Math.min(defaultThreadCount(), 8), info.detail);
  const threads = info.threads;
  assert.ok(text.includes(`prunekit: backend wasm (${threads} thread${threads === 1 ? '' : 's'}) — `), text);
  assert.match(text, /not native: the native addon is not built \(\/nonexistent\/prunekit_native\.node missing; run 'bash scripts\/setup\.sh'/);
  // prunekit's training kernels are registered: wasm has no Conv2DBackpropFilter of its own
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'), 'training kernels registered on wasm');
  // a small computation on it agrees with the closed form
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])));
  assert.deepEqual(Array.from(y.dataSync()), [19, 22, 43, 50]);
  y.dispose();
  // same choice again: the same backend object comes back; wasm's thread count stays fixed in this process
  assert.equal(await initBackend({ backend: 'wasm', log: false }), currentBackend());
  const again = await initBackend({ backend: 'wasm', threads: threads === 1 ? 2 : 1, log: false });
  assert.equal(again.threads, threads);
  assert.match(again.detail, /already initialised/);
});

test('initBackend: cpu (after wasm) by option and by PRUNEKIT_BACKEND, printed to stderr', async () => {
  const text = await captureStderr(async () => {
    const info = await initBackend({ backend: 'cpu' });
    assert.deepEqual([info.name, info.threads], ['cpu', 1]);
  });
  assert.match(text, /^prunekit: backend cpu — pure-JS cpu backend/);
  await withEnv({ PRUNEKIT_BACKEND: 'cpu', PRUNEKIT_THREADS: undefined }, async () => {
    const info = await initBackend({ log: false });
    assert.equal(info.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });
  // an explicit option wins, and the (bad) environment value is then not consulted
  await withEnv({ PRUNEKIT_BACKEND: 'gpu' }, async () => {
    const info = await initBackend({ backend: 'cpu', log: false });
    assert.equal(info.name, 'cpu');
  });
});

test("initBackend: 'native' without the addon fails with what to do (the failed load is remembered)", async () => {
  await withEnv({ PRUNEKIT_NATIVE_ADDON: '/nonexistent/prunekit_native.node' }, async () => {
    await assert.rejects(initBackend({ backend: 'native', log: false }), /backend 'native' requested but the native addon is not built .*; or use --backend wasm/);
  });
});

test("initBackend: 'tensorflow' without tfjs-node fails with what to do", { skip: tfjsNodeInstalled() }, async () => {
  await assert.rejects(initBackend({ backend: 'tensorflow', log: false }), /@tensorflow\/tfjs-node is not installed; install it .* or use --backend wasm/);
  await assert.rejects(initBackend({ backend: 'node' as 'tensorflow', log: false }), /tfjs-node is not installed/);
});


test('initBackend: auto after an explicit choice keeps it; wasm again switches back without re-initialising', async () => {
  const cpu = await initBackend({ backend: 'cpu', log: false });
  assert.equal(await initBackend({ log: false }), cpu);
  const wasm = await initBackend({ backend: 'wasm', log: false });
  assert.equal(wasm.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(currentBackend(), wasm);
});
