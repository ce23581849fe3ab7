/**
 * The README's "Your own model and images" walk-through runs as written: its commands are read from
 * the README (between the walkthrough markers) and run in a temporary folder, on a smaller generated
 * folder (EXAMPLE_IMAGES per class, few training steps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/io/model-folder.js';

/** The shell commands of the walk-through, continuation lines joined. */
function walkthroughCommands(): string[] {
  const md = readFileSync('README.md', 'utf8');
  const block = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(md);
  assert.ok(block, 'README has the walk-through block');
  return block[1]
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** A command line → argv with `npx prunekit` and `node --import tsx` bound to this checkout. */
function argv(line: string): string[] {
  const words = line.split(/\s+/);
  const tsx = import.meta.resolve('tsx');
  if (words[0] === 'npx' && words[1] === 'prunekit') return ['--import', tsx, resolve('scripts/dev.ts'), ...words.slice(2)];
  if (words[0] === 'node' && words[1] === '--import' && words[2] === 'tsx') return ['--import', tsx, ...words.slice(3).map((w) => (w.startsWith('examples/') ? resolve(w) : w))];
  throw new Error(`walk-through line not understood: ${line}`);
}

test('README walk-through: a 96×96×3 model pruned on a folder of PNG images, with and without data', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'prunekit-walkthrough-'));
  try {
    const lines = walkthroughCommands();
    assert.ok(lines.length >= 5, lines.join('\n'));
    const outs: string[] = [];
    for (const line of lines) {
      const r = spawnSync(process.execPath, argv(line), {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, EXAMPLE_IMAGES: '8', EXAMPLE_STEPS: '4', PRUNEKIT_THREADS: '1', NODE_PATH: resolve('node_modules') },
        timeout: 300_000,
      });
      assert.equal(r.status, 0, `${line}\n${r.stderr}`);
      outs.push(r.stdout);
    }
    const all = outs.join('\n');
    assert.match(all, /input 96×96×3/);
    assert.match(all, /on images:runs\/shapes test \(6\): accuracy/);
    assert.match(all, /lap\s+s=0\.8\s+20\.0/);
    assert.match(all, /data-free lap, oneshot/);
    await tf.setBackend('cpu');
    for (const dir of ['runs/shapes-lap80', 'runs/shapes-l1', 'runs/shapes-lap90-nodata']) assert.ok(existsSync(join(cwd, dir, 'model.json')), dir);
    const l1 = await loadModel(join(cwd, 'runs/shapes-l1'));
    const dense = await loadModel(join(cwd, 'runs/shapes-model'));
    assert.deepEqual(l1.inputs[0].shape, [null, 96, 96, 3]);
    assert.ok(l1.countParams() < dense.countParams(), 'filters were removed');
    l1.dispose();
    dense.dispose();
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
