/**
 * Tests that need a process of their own (tfjs-wasm's thread count is fixed once per process): the test file
 * re-runs itself as a child with `flag`=1 set; the child prints one `REPORT {json}` line (`printReport`), the
 * parent reads it (`runSelfAsChild`) and asserts on it.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Whether this process is the child run of a test file. */
export const isChildRun = (flag: string): boolean => process.env[flag] === '1';

/** Prints the child's report for the parent. */
export function printReport(report: unknown): void {
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
}

/** Runs the child's work; a failure prints its stack and sets a non-zero exit code. `exit`: exit when done (default) or let the process end by itself. */
export function runChild(work: () => Promise<void>, opts: { exit?: boolean } = {}): void {
  work().then(
    () => {
      if (opts.exit !== false) process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      if (opts.exit !== false) process.exit(1);
      process.exitCode = 1;
    },
  );
}

/** Re-runs the test file `metaUrl` as a child (with `flag`=1 and `env`) and returns its report and the raw result. */
export function runSelfAsChild<R>(metaUrl: string, flag: string, env: NodeJS.ProcessEnv = {}): { report: R; result: SpawnSyncReturns<string> } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(metaUrl)], {
    env: { ...process.env, [flag]: '1', ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('REPORT '));
  assert.ok(line, `child failed (status ${result.status}, signal ${result.signal}): ${result.stderr.slice(-2000)}`);
  return { report: JSON.parse(line.slice(7)) as R, result };
}
