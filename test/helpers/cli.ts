/** The two ways the CLI tests run `prunekit` (cpu backend): a child process, or in-process capturing stderr. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main.js';

const execFileP = promisify(execFile);

/** Runs the CLI from the sources in a child process; returns exit code, stdout, stderr. */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await execFileP(process.execPath, ['--import', 'tsx', 'scripts/dev.ts', '--backend', 'cpu', ...args], { maxBuffer: 1 << 24 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : 1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

/**
 * Runs the CLI in-process capturing stderr only (stdout carries the test runner's own reports), for
 * requests that fail before printing anything to stdout; `ms` is the wall time of the run.
 */
export async function cliFailing(args: string[]): Promise<{ code: number; err: string; ms: number }> {
  const err: string[] = [];
  const ew = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  const t0 = Date.now();
  try {
    return { code: await main(['--backend', 'cpu', ...args]), err: err.join(''), ms: Date.now() - t0 };
  } finally {
    process.stderr.write = ew;
  }
}
