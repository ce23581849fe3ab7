import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { createModel } from '../../src/models/index.js';
import { loadModel, saveModel } from '../../src/io/model-folder.js';
import { MaskSet, requirePrunable } from '../../src/prune/index.js';

test('fourier-prune then analyze from the command line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-fourier-'));
  try {
    const dense = createModel('lenet300', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    await saveModel(dense, join(dir, 'dense'));
    dense.dispose();
    const out = join(dir, 'pruned');
    const rc = await main([
      '--backend', 'cpu', 'fourier-prune', '-m', join(dir, 'dense'), '-s', '0.9', '--stage1', 'oneshot', '--kd', 'freq-b',
      '-e', '2', '--steps-per-epoch', '2', '-b', '32', '--limit-train', '128', '--limit-test', '64', '--analyze', '20', '-o', out,
    ]);
    assert.equal(rc, 0);
    const summary = JSON.parse(readFileSync(join(out, 'fourier-prune.json'), 'utf8'));
    assert.equal(summary.stage2.steps, 4);
    assert.equal(summary.analysis.length, 2);
    assert.ok(existsSync(join(out, 'report.html')));
    const pruned = await loadModel(out);
    const masks = MaskSet.fromModel(requirePrunable(pruned));
    assert.ok(Math.abs(masks.totalSparsity() - 0.9) < 0.01, `sparsity ${masks.totalSparsity()}`);
    pruned.dispose();
    const rc2 = await main(['--backend', 'cpu', 'analyze', '-m', out, '-t', join(dir, 'dense'), '-n', '30', '--radii', '2,20', '-o', join(dir, 'an')]);
    assert.equal(rc2, 0);
    const an = JSON.parse(readFileSync(join(dir, 'an', 'analysis.json'), 'utf8'));
    assert.equal(an.analyses.length, 2);
    assert.deepEqual(an.analyses[1].spectrum.map((p: { radius: number }) => p.radius), [2, 20]);
    assert.equal(await main(['--backend', 'cpu', 'fourier-prune', '-m', join(dir, 'dense'), '-s', '0.9', '--kd', 'bogus', '-o', out]), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
