/** The README's library example runs as written (with a small step budget). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

test('examples/library.ts: LAP 95% keeps 5% of the weights; DCT filter pruning halves the MACs', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'prunekit-example-'));
  try {
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), resolve('examples/library.ts')], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, EXAMPLE_STEPS: '30', PRUNEKIT_THREADS: '1', NODE_PATH: resolve('node_modules') },
      timeout: 240_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const lap = /LAP 95%: sparsity ([\d.]+)%/.exec(r.stdout);
    assert.ok(lap, r.stdout);
    assert.ok(Math.abs(Number(lap[1]) - 95) < 0.2, `sparsity ${lap[1]}`);
    const dct = /MACs (\d+) → (\d+)/.exec(r.stdout);
    assert.ok(dct, r.stdout);
    assert.ok(Number(dct[2]) <= 0.5 * Number(dct[1]), r.stdout);
    assert.ok(existsSync(join(cwd, 'runs/example-lap95/model.json')));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
