/**
 * Outputs are transactions (issue 9): a folder is swapped in whole (old state or new state, nothing
 * stale), leftovers of killed runs are restored or removed, and outputs that overlap an input,
 * replace foreign files or cannot be written are refused before any work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginFolderTransaction, cleanLeftovers } from '../../src/io/atomic.js';
import { checkOutputFile, checkOutputFolder, checkWritableFolder, openOutputFolder, OUTPUT_MARKER } from '../../src/io/output-paths.js';

const root = mkdtempSync(join(tmpdir(), 'pk-outtx-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('commit swaps the whole folder: no stale file of an earlier run survives; abort leaves the old folder', async () => {
  const out = join(root, 'a');
  mkdirSync(out);
  writeFileSync(join(out, 'model.json'), 'old');
  writeFileSync(join(out, 'model.sparse'), 'stale');
  const tx = await beginFolderTransaction(out);
  writeFileSync(join(tx.dir, 'model.json'), 'new');
  assert.equal(readFileSync(join(out, 'model.json'), 'utf8'), 'old', 'target untouched until commit');
  await tx.commit();
  assert.deepEqual(readdirSync(out), ['model.json']);
  assert.equal(readFileSync(join(out, 'model.json'), 'utf8'), 'new');
  assert.deepEqual(readdirSync(root).filter((n) => n.startsWith('.a.')), [], 'no siblings left');
  const tx2 = await beginFolderTransaction(out);
  writeFileSync(join(tx2.dir, 'model.json'), 'half');
  await tx2.abort();
  assert.equal(readFileSync(join(out, 'model.json'), 'utf8'), 'new');
  assert.deepEqual(readdirSync(root).filter((n) => n.startsWith('.a.')), []);
});

test('leftovers of killed runs: an old folder set aside is restored, temp folders of dead pids removed and reported', () => {
  const out = join(root, 'b');
  const pid = deadPid();
  // killed between the two renames: no target, the old folder aside, the new one still temp
  mkdirSync(join(root, `.b.pk-old-${pid}-0a0b0c0d`));
  writeFileSync(join(root, `.b.pk-old-${pid}-0a0b0c0d`, 'model.json'), 'old');
  mkdirSync(join(root, `.b.pk-tmp-${pid}-01020304`));
  // a temp folder of a live process (this one) is left alone
  mkdirSync(join(root, `.b.pk-tmp-${process.pid}-ffffffff`));
  const lines = cleanLeftovers(out);
  assert.equal(readFileSync(join(out, 'model.json'), 'utf8'), 'old');
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0], new RegExp(`restored .*b from .*\\.b\\.pk-old-${pid}-0a0b0c0d, set aside by a run killed while replacing it \\(pid ${pid}\\)`));
  assert.match(lines[1], new RegExp(`removed .*\\.b\\.pk-tmp-${pid}-01020304, left by a killed run \\(pid ${pid}\\)`));
  assert.ok(existsSync(join(root, `.b.pk-tmp-${process.pid}-ffffffff`)));
  rmSync(join(root, `.b.pk-tmp-${process.pid}-ffffffff`), { recursive: true });
});

test('outputs overlapping an input (same, symlinked, inside, containing) are refused unless force', async () => {
  const model = join(root, 'model');
  mkdirSync(model);
  writeFileSync(join(model, 'model.json'), '{}');
  const link = join(root, 'link');
  symlinkSync(model, link);
  const inputs = { 'model folder': model };
  assert.throws(() => checkOutputFolder(model, { flag: '--out', inputs }), /--out '.*model' is the input model folder '.*model'; writing there would damage your input — choose another --out \(or pass --force\)/);
  assert.throws(() => checkOutputFolder(link, { flag: '--out', inputs }), /--out '.*link' is the input model folder .*\(real paths: /);
  assert.throws(() => checkOutputFolder(join(link, 'sub'), { flag: '--out', inputs }), /is inside the input model folder/);
  assert.throws(() => checkOutputFolder(root, { flag: '--out', inputs }), /contains the input model folder/);
  assert.throws(() => checkOutputFile(join(link, 'report.html'), { flag: '--report', inputs }), /--report '.*report\.html' is inside the input model folder/);
  assert.throws(() => checkWritableFolder(join(model, 'ckpt'), { flag: '--checkpoint', inputs }), /--checkpoint .* is inside the input model folder/);
  checkOutputFile(join(root, 'r.html'), { flag: '--report', inputs });
  // force: overlap allowed, and the transaction still keeps the input intact until commit
  const tx = await openOutputFolder(link, { flag: '--out', inputs, force: true });
  assert.equal(readFileSync(join(model, 'model.json'), 'utf8'), '{}');
  await tx.abort();
});

test('foreign files, non-folders and unwritable places are refused before any work', async () => {
  const mine = join(root, 'mine');
  mkdirSync(mine);
  writeFileSync(join(mine, 'thesis.tex'), 'years of work');
  assert.throws(() => checkOutputFolder(mine, { flag: '--out' }), /--out '.*mine' already holds files prunekit did not write \('thesis\.tex'\); .*choose an empty or new folder, or pass --force/);
  const file = join(root, 'file');
  writeFileSync(file, 'x');
  assert.throws(() => checkOutputFolder(file, { flag: '--out' }), /--out '.*file' exists and is not a folder/);
  const t0 = Date.now();
  assert.throws(() => checkOutputFolder('/proc/prunekit-test/out', { flag: '--out' }), /--out '\/proc\/prunekit-test\/out': cannot write in \/proc\/prunekit-test/);
  assert.throws(() => checkOutputFile('/proc/self/report.html', { flag: '--report' }), /--report '\/proc\/self\/report\.html': cannot write in/);
  assert.throws(() => checkOutputFile(root, { flag: '--report' }), /is a folder; give a file name/);
  assert.ok(Date.now() - t0 < 2000);
  // a folder written by prunekit (marker) or holding only prunekit's file names is replaceable
  const tx = await openOutputFolder(join(root, 'ok'), { flag: '--out' });
  writeFileSync(join(tx.dir, 'results.json'), '{}');
  await tx.commit();
  assert.deepEqual(readdirSync(join(root, 'ok')).sort(), [OUTPUT_MARKER, 'results.json']);
  writeFileSync(join(root, 'ok', 'notes.txt'), 'mine');
  checkOutputFolder(join(root, 'ok'), { flag: '--out' }); // the marker says prunekit owns it
  const legacy = join(root, 'legacy');
  mkdirSync(legacy);
  for (const f of ['model.json', 'group1-shard1of1.bin', 'results.json', 'model.sparse']) writeFileSync(join(legacy, f), '');
  checkOutputFolder(legacy, { flag: '--out' });
});
