/**
 * Headless Chromium helpers, used by the tests to check that an HTML report really renders:
 * `dumpRenderedDom` (the DOM after the page's scripts ran) and `screenshot` (a PNG of the page).
 *
 * Each run gets a fresh temporary profile (`--user-data-dir`), removed afterwards; network-y features are off
 * (no QUIC, background networking, component updates, sync). `--virtual-time-budget` lets the page's scripts
 * and timers run to completion before the DOM is dumped / the screenshot is taken.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATE_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Path of a Chromium/Chrome executable: `$PRUNEKIT_CHROMIUM` or `$CHROME_PATH` when set (and executable),
 * else /usr/bin/chromium, else the first of chromium, chromium-browser, google-chrome(-stable), chrome on $PATH.
 */
export function findChromium(): string | undefined {
  for (const env of [process.env.PRUNEKIT_CHROMIUM, process.env.CHROME_PATH]) {
    if (env && isExecutable(env)) return env;
  }
  if (isExecutable('/usr/bin/chromium')) return '/usr/bin/chromium';
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of CANDIDATE_NAMES) {
      const p = join(dir, name);
      if (isExecutable(p)) return p;
    }
  }
  return undefined;
}

export interface ChromiumOptions {
  /** Kill Chromium after this many ms of wall time (default 60 000). */
  timeoutMs?: number;
  /** Virtual time the page may run before dumping/screenshotting (default 5000 ms). */
  virtualTimeBudgetMs?: number;
  /** Executable to use (default `findChromium()`). */
  chromiumPath?: string;
}

const BASE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Runs Chromium headless on a local HTML file with extra flags; resolves with stdout. */
async function runChromium(htmlPath: string, extraFlags: string[], opts: ChromiumOptions): Promise<string> {
  const exe = opts.chromiumPath ?? findChromium();
  if (!exe) {
    throw new Error(
      'Chromium not found: install the Debian package `chromium` (scripts/setup.sh does) or set PRUNEKIT_CHROMIUM to a Chrome/Chromium executable',
    );
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const profile = mkdtempSync(join(tmpdir(), 'prunekit-chromium-'));
  const args = [
    ...BASE_FLAGS,
    `--user-data-dir=${profile}`,
    `--virtual-time-budget=${opts.virtualTimeBudgetMs ?? 5000}`,
    ...extraFlags,
    pathToFileURL(resolve(htmlPath)).href,
  ];
  try {
    return await new Promise<string>((res, rej) => {
      // Own process group, so a timeout kills Chromium's helper processes too (not just the launcher).
      const child = spawn(exe, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      let timedOut = false;
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => {
        err = (err + b.toString('utf8')).slice(-4000);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        rej(new Error(`cannot start headless Chromium (${exe}): ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) rej(new Error(`headless Chromium (${exe}) timed out after ${timeoutMs} ms on ${htmlPath}`));
        else if (code !== 0) {
          rej(new Error(`headless Chromium (${exe}) failed on ${htmlPath} (exit ${code ?? signal}):\n${err.slice(-2000)}`));
        } else res(Buffer.concat(out).toString('utf8'));
      });
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Loads `htmlPath` headless, lets its scripts run, and returns the serialized DOM (`--dump-dom`). */
export async function dumpRenderedDom(htmlPath: string, opts: ChromiumOptions = {}): Promise<string> {
  const dom = await runChromium(htmlPath, ['--dump-dom'], opts);
  if (!dom.includes('<html')) throw new Error(`headless Chromium returned no DOM for ${htmlPath}`);
  return dom;
}

/** Saves a PNG screenshot of `htmlPath` (default window 1200×2400 CSS px) to `pngPath`. */
export async function screenshot(
  htmlPath: string,
  pngPath: string,
  opts: ChromiumOptions & { width?: number; height?: number } = {},
): Promise<void> {
  await runChromium(
    htmlPath,
    [`--screenshot=${resolve(pngPath)}`, `--window-size=${opts.width ?? 1200},${opts.height ?? 2400}`, '--hide-scrollbars'],
    opts,
  );
}
