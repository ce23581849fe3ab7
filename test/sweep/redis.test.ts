import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, comparable, tinyRecipe } from './fixtures.js';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
const skip = hasRedis ? false : 'redis-server is not installed (Debian package redis-server; scripts/setup.sh installs it)';

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((res, rej) => {
    let log = '';
    const t = setTimeout(() => rej(new Error(`redis-server did not start: ${log}`)), 15_000);
    proc.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(t);
        res();
      }
    });
    proc.once('exit', (code) => rej(new Error(`redis-server exited (${code}): ${log}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, proc };
}

const readResults = (dir: string) =>
  Object.fromEntries(readdirSync(join(dir, 'results')).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(dir, 'results', f), 'utf8'))]));

test('BullMQ sweep: two workers, one killed mid-job; the job is retried and the result set equals a local run', { skip, timeout: 600_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pk-redis-'));
  const { url, proc: redis } = await startRedis();
  const workers: ChildProcess[] = [];
  try {
    const recipe = join(tmp, 'tiny.json');
    writeFileSync(recipe, JSON.stringify(tinyRecipe({ fourier: false })));
    const shared = join(tmp, 'shared');
    const coordinator = cli(['sweep', recipe, '--out', shared, '--redis', url]);
    // worker A takes the first job (the dense net); kill it (SIGKILL) as soon as it starts one
    let killedJob = '';
    const a = cli(['worker', '--redis', url, '--lock-ms', '2000', '--stalled-ms', '500'], {
      onLine: (line, p) => {
        const m = /start (\S+)/.exec(line);
        if (m && !killedJob) {
          killedJob = m[1];
          p.kill('SIGKILL');
        }
      },
    });
    workers.push(a.proc);
    await a.done;
    assert.ok(killedJob, 'worker A started a job before it was killed');
    // worker B (and a second one, C) pick up everything, including the stalled job
    const logB: string[] = [];
    const b = cli(['worker', '--redis', url, '--lock-ms', '2000', '--stalled-ms', '500'], { onLine: (l) => logB.push(l) });
    const c = cli(['worker', '--redis', url, '--lock-ms', '2000', '--stalled-ms', '500'], { onLine: (l) => logB.push(l) });
    workers.push(b.proc, c.proc);
    const co = await coordinator.done;
    assert.equal(co.code, 0, co.out);
    assert.ok(logB.some((l) => l.includes(`start ${killedJob}`)), `the killed job ${killedJob} was retried:\n${logB.join('\n')}`);
    const viaRedis = readResults(shared);
    assert.equal(Object.keys(viaRedis).length, 3);
    // the same recipe run locally gives the same result set
    const local = join(tmp, 'local');
    const l = await cli(['sweep', recipe, '--out', local, '--workers', '1']).done;
    assert.equal(l.code, 0, l.out);
    const viaLocal = readResults(local);
    assert.deepEqual(Object.keys(viaRedis).sort(), Object.keys(viaLocal).sort());
    for (const id of Object.keys(viaLocal)) assert.deepEqual(comparable(viaRedis[id]), comparable(viaLocal[id]), id);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    redis.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
});
