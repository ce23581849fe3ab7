import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './fixtures.js';
import { tinyRecipe } from './fixtures.js';
import { readManifest, sweepStatus } from '../../src/sweep/store.js';

const readResults = (dir: string) =>
  Object.fromEntries(readdirSync(join(dir, 'results')).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(dir, 'results', f), 'utf8'))]));

test('local sweep: killed mid-run it resumes with nothing lost and nothing done twice; --status; report', { timeout: 600_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pk-sweep-'));
  try {
    const recipe = join(tmp, 'tiny.json');
    writeFileSync(recipe, JSON.stringify(tinyRecipe()));
    const out = join(tmp, 'out');
    // 1. kill the coordinator (SIGKILL: no clean-up) right after the first job finished
    let killed = false;
    const first = cli(['sweep', recipe, '--out', out, '--workers', '2'], {
      onLine: (line, p) => {
        if (!killed && /\] done /.test(line)) {
          killed = true;
          p.kill('SIGKILL');
        }
      },
    });
    const r1 = await first.done;
    assert.equal(r1.signal, 'SIGKILL', r1.out);
    await new Promise((r) => setTimeout(r, 1500)); // orphaned workers notice the closed channel and exit
    const before = readResults(out);
    assert.ok(Object.keys(before).length >= 1 && Object.keys(before).length < 6, `after the kill: ${Object.keys(before)}`);
    // 2. resume: the rest runs, the finished ones are untouched
    const second = await cli(['sweep', recipe, '--out', out, '--workers', '2']).done;
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, new RegExp(`ran ${6 - Object.keys(before).length} job\\(s\\), ${Object.keys(before).length} already done, 0 failed`));
    const after = readResults(out);
    assert.equal(Object.keys(after).length, 6);
    for (const [id, r] of Object.entries(before)) assert.deepEqual(after[id], r, `${id} was redone`);
    for (const r of Object.values(after) as { metrics: Record<string, unknown>; kind: string }[]) {
      if (r.kind === 'fourier-retrain') assert.ok(Number(r.metrics.accuracy) > 0.1 && Number(r.metrics.teacherAccuracy) > 0.1);
    }
    assert.ok(existsSync(join(out, 'artifacts', 'dense-mlp-s0', 'model', 'model.json')));
    assert.ok(!existsSync(join(out, '.lock')));
    // 3. a third run does nothing; --status agrees; the report lists the tables and the preconditions
    const third = await cli(['sweep', recipe, '--out', out]).done;
    assert.match(third.out, /ran 0 job\(s\), 6 already done/);
    const st = sweepStatus(out, readManifest(out).jobs);
    assert.deepEqual([st.total, st.done, st.ready, st.blocked, st.failed.length], [6, 6, 0, 0, 0]);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /## Preconditions/);
    assert.match(md, /## u \(unstructured, mlp\)/);
    assert.match(md, /n = 1, 1|cannot be told apart/); // one seed: no spread, flagged
    assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes('<canvas'));
    // 4. a changed recipe cannot silently reuse stale results
    const changed = tinyRecipe() as { experiments: { finetune?: { steps: number } }[] };
    changed.experiments[0].finetune!.steps = 4;
    writeFileSync(recipe, JSON.stringify(changed));
    const fourth = await cli(['sweep', recipe, '--out', out]).done;
    assert.equal(fourth.code, 1);
    assert.match(fourth.out, /was produced by a different recipe \(job 'u-s0-mp-sp0\.9' changed/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('local sweep drains on SIGUSR1: the running job finishes and commits, no new job starts, exit 0', { timeout: 300_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pk-drain-'));
  try {
    const recipe = join(tmp, 'tiny.json');
    writeFileSync(recipe, JSON.stringify(tinyRecipe({ fourier: false })));
    const out = join(tmp, 'out');
    let signalled = false;
    const run = cli(['sweep', recipe, '--out', out, '--workers', '1'], {
      onLine: (line, p) => {
        if (!signalled && /start dense-mlp-s0/.test(line)) {
          signalled = true;
          p.kill('SIGUSR1');
        }
      },
    });
    const r = await run.done;
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /sweep draining \(SIGUSR1\): no new jobs; 1 running will finish/);
    assert.match(r.out, /ran 1 job\(s\), 0 already done, 0 failed, 0 blocked; 1\/3 done/);
    assert.match(r.out, /drained \(SIGUSR1\): 2 job\(s\) left for the next run of the same command/);
    assert.deepEqual(Object.keys(readResults(out)), ['dense-mlp-s0']);
    assert.ok(!existsSync(join(out, '.lock')));
    // --drain-at is validated before any work and is for local workers only
    const bad = await cli(['sweep', recipe, '--out', out, '--drain-at', 'later']).done;
    assert.equal(bad.code, 1);
    assert.match(bad.out, /--drain-at must be a time/);
    const past = await cli(['sweep', recipe, '--out', out, '--drain-at', '+0']).done;
    assert.equal(past.code, 0, past.out);
    assert.match(past.out, /ran 0 job\(s\), 1 already done.*\n.*drained \(--drain-at /);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
