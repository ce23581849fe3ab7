/** The CLI end to end, as a user runs it: child processes, exit codes, files written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PRUNEKIT_THREADS: '1' },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('info --list names the zoo; info --model prints params and FLOPs', () => {
  const list = cli('info', '--list');
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /lenet300/);
  assert.match(list.out, /vgg16-hrank/);
  const info = cli('info', '--model', 'lenet300');
  assert.equal(info.code, 0, info.err);
  assert.match(info.out, /params: 266,610/);
  assert.match(info.out, /sparse\+gzip/);
});

test('train writes a model folder that eval reads back with the same accuracy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-cli-'));
  try {
    const out = join(dir, 'm');
    const tr = cli('train', '--model', 'lenet300', '--epochs', '1', '--limit-train', '600', '--limit-test', '300', '--out', out);
    assert.equal(tr.code, 0, tr.err);
    assert.match(tr.err, /backend (native|wasm)/); // auto: native when the addon is built, else wasm
    const acc = /test accuracy ([\d.]+)%/.exec(tr.out);
    assert.ok(acc, tr.out);
    assert.ok(Number(acc[1]) > 50, `accuracy after one epoch on 600 digits: ${acc[1]}%`);
    assert.ok(existsSync(join(out, 'model.json')));
    const ev = cli('eval', '--model', out, '--limit-test', '300');
    assert.equal(ev.code, 0, ev.err);
    assert.match(ev.out, new RegExp(`accuracy ${acc[1].replace('.', '\\.')}%`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: clear messages and a non-zero exit, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-cli-'));
  try {
    const unknown = cli('train', '--model', 'no-such-net', '--out', join(dir, 'x'));
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.err, /not a model folder and not a zoo model/);
    assert.equal(existsSync(join(dir, 'x')), false);
    const badEpochs = cli('train', '--model', 'lenet300', '--epochs', '-1');
    assert.notEqual(badEpochs.code, 0);
    assert.match(badEpochs.err, /--epochs must be an integer/);
    const resume = cli('train', '--model', 'lenet300', '--resume');
    assert.notEqual(resume.code, 0);
    assert.match(resume.err, /--resume needs --checkpoint/);
    const badBackend = cli('--backend', 'gpu', 'info', '--model', 'lenet300');
    assert.notEqual(badBackend.code, 0);
    assert.match(badBackend.err, /unknown backend 'gpu'/);
    const badPool = cli('--backend', 'wasm', '--wasm-pool', 'all', 'info', '--model', 'lenet300');
    assert.notEqual(badPool.code, 0);
    assert.match(badPool.err, /--wasm-pool: wasm pool must be 'xnnpack' or 'helper', got 'all'/);
    const missing = cli('eval', '--model', join(dir, 'nope'));
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /nope/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
