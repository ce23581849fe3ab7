/**
 * Runs exported models where web users run them: headless Chromium (Debian's, driven by playwright-core
 * — no browser download) with TF.js (wasm backend, else cpu) on TF.js model folders and with
 * onnxruntime-web (wasm) on ONNX files. Files are served from a loopback HTTP server (127.0.0.1, an
 * ephemeral port, only the files named here and the two libraries' browser bundles); nothing is fetched
 * from the internet. Returns every model's output on the given input and its latency (predict of the whole
 * batch / run + reading the output back, median and 10th/90th percentiles of `runs` timed calls after
 * `warmup`; all models are loaded first and the timed runs interleaved across them, so drift hits all alike).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { findChromium } from './chromium.js';
import { latencyStats, type LatencyStats } from './latency.js';

export interface BrowserModel {
  label: string;
  /** A TF.js layers-model folder (model.json + shards) … */
  tfjsDir?: string;
  /** … or an ONNX file. */
  onnxFile?: string;
}

export interface BrowserRunOptions {
  models: BrowserModel[];
  /** Input values, row-major, of shape `inputShape` (batch first, NHWC for TF.js). */
  input: Float32Array;
  inputShape: number[];
  /** Input shape for ONNX models when it differs (e.g. NCHW exports); default inputShape. */
  onnxInputShape?: number[];
  runs?: number;
  warmup?: number;
  chromiumPath?: string;
  /** Overall time limit (default 180 s). */
  timeoutMs?: number;
}

export interface BrowserModelResult {
  label: string;
  engine: 'tfjs' | 'onnxruntime-web';
  /** Backend inside the engine ('wasm', 'cpu'). */
  backend: string;
  output: Float32Array;
  outputShape: number[];
  latency: LatencyStats;
}

export interface BrowserRunResult {
  userAgent: string;
  results: BrowserModelResult[];
}

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

/** URL prefix → folder; a request is served only from inside one of these folders. */
function libraryRoots(): Map<string, string> {
  const req = createRequire(import.meta.url);
  const tfjsDist = dirname(req.resolve('@tensorflow/tfjs'));
  const wasmDist = dirname(req.resolve('@tensorflow/tfjs-backend-wasm'));
  let ortDist: string;
  try {
    ortDist = dirname(req.resolve('onnxruntime-web'));
  } catch {
    throw new Error('onnxruntime-web is not installed (npm install onnxruntime-web) — needed to run ONNX files in the browser');
  }
  return new Map([
    ['/tfjs/', tfjsDist],
    ['/tfjs-backend-wasm/', wasmDist],
    ['/tfjs-wasm-bin/', resolve(wasmDist, '..', 'wasm-out')],
    ['/ort/', ortDist],
  ]);
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8">
<script src="/tfjs/tf.min.js"></script>
<script src="/tfjs-backend-wasm/tf-backend-wasm.min.js"></script>
<script src="/ort/ort.wasm.min.js"></script>
</head><body>prunekit browser check</body></html>`;

/** Runs in the page (kept as plain JS text so no transpiler helper leaks into it). */
const PAGE_SCRIPT = `async (a) => {
  tf.wasm.setWasmPaths('/tfjs-wasm-bin/');
  let backend = 'wasm';
  if (!(await tf.setBackend('wasm'))) { await tf.setBackend('cpu'); backend = 'cpu'; }
  await tf.ready();
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const x = tf.tensor(a.input, a.inputShape);
  const runners = [];
  for (const m of a.models) {
    if (m.kind === 'tfjs') {
      const model = await tf.loadLayersModel(m.url);
      runners.push({ m, engine: 'tfjs', backend, release: async () => model.dispose(),
        once: async () => { const y = model.predict(x, { batchSize: a.inputShape[0] }); const d = await y.data(); const s = y.shape; y.dispose(); return { d, s }; } });
    } else {
      const s = await ort.InferenceSession.create(m.url, { executionProviders: ['wasm'] });
      const feed = { [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(a.input), a.onnxInputShape) };
      runners.push({ m, engine: 'onnxruntime-web', backend: 'wasm', release: () => s.release(),
        once: async () => { const o = await s.run(feed); const t = o[s.outputNames[0]]; return { d: t.data, s: Array.from(t.dims) }; } });
    }
  }
  // warm-up, then the timed runs interleaved across the models (A, B, …, A, B, …)
  for (const r of runners) { r.times = []; for (let i = 0; i < a.warmup; i++) r.out = await r.once(); }
  for (let i = 0; i < a.runs; i++) for (const r of runners) { const t0 = performance.now(); r.out = await r.once(); r.times.push(performance.now() - t0); }
  const results = runners.map((r) => ({ label: r.m.label, engine: r.engine, backend: r.backend, times: r.times, output: Array.from(r.out.d), shape: r.out.s }));
  for (const r of runners) await r.release();
  x.dispose();
  return { userAgent: navigator.userAgent, results };
}`;

function serve(routes: Map<string, string>, files: Map<string, string>): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let path: string | undefined;
    if (url === '/' || url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    if (files.has(url)) path = files.get(url);
    else {
      for (const [prefix, root] of routes) {
        if (!url.startsWith(prefix)) continue;
        const p = resolve(root, '.' + url.slice(prefix.length - 1));
        if (p === root || p.startsWith(root + sep)) path = p;
      }
    }
    let ok = false;
    try {
      ok = path !== undefined && statSync(path).isFile();
    } catch {
      ok = false;
    }
    if (!ok || path === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' });
    createReadStream(path).pipe(res);
  });
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return rej(new Error('browser check: no server port'));
      res({ server, origin: `http://127.0.0.1:${addr.port}` });
    });
  });
}

/** Loads every model in headless Chromium and runs it on `input`; see the file header. */
export async function runInChromium(opts: BrowserRunOptions): Promise<BrowserRunResult> {
  const exe = opts.chromiumPath ?? findChromium();
  if (!exe) throw new Error('Chromium not found: install the Debian package `chromium` (scripts/setup.sh does) or set PRUNEKIT_CHROMIUM');
  const n = opts.inputShape.reduce((a, b) => a * b, 1);
  if (opts.input.length !== n) throw new Error(`runInChromium: ${opts.input.length} input values for shape [${opts.inputShape}]`);
  const routes = libraryRoots();
  const files = new Map<string, string>();
  const models = opts.models.map((m, i) => {
    if (m.tfjsDir) {
      const root = resolve(m.tfjsDir);
      routes.set(`/m${i}/`, root);
      return { label: m.label, kind: 'tfjs', url: `/m${i}/model.json` };
    }
    if (m.onnxFile) {
      files.set(`/m${i}.onnx`, resolve(m.onnxFile));
      return { label: m.label, kind: 'onnx', url: `/m${i}.onnx` };
    }
    throw new Error(`runInChromium: model '${m.label}' needs tfjsDir or onnxFile`);
  });
  const { chromium } = await import('playwright-core');
  const { server, origin } = await serve(routes, files);
  const browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    const args = {
      models,
      input: Array.from(opts.input),
      inputShape: opts.inputShape,
      onnxInputShape: opts.onnxInputShape ?? opts.inputShape,
      runs: opts.runs ?? 10,
      warmup: opts.warmup ?? 2,
    };
    const run = page.evaluate(`(${PAGE_SCRIPT})(${JSON.stringify(args)})`) as Promise<{
      userAgent: string;
      results: { label: string; engine: 'tfjs' | 'onnxruntime-web'; backend: string; times: number[]; output: number[]; shape: number[] }[];
    }>;
    const limit = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`browser check timed out after ${opts.timeoutMs ?? 180_000} ms`)), opts.timeoutMs ?? 180_000);
    });
    let r;
    try {
      r = await Promise.race([run, limit]);
    } catch (err) {
      throw new Error(`browser check failed in Chromium: ${(err as Error).message.split('\n')[0]}${errors.length ? ` (page errors: ${errors.join('; ')})` : ''}`);
    }
    return {
      userAgent: r.userAgent,
      results: r.results.map((x) => ({
        label: x.label,
        engine: x.engine,
        backend: x.backend,
        output: Float32Array.from(x.output),
        outputShape: x.shape,
        latency: latencyStats(opts.inputShape[0], x.times),
      })),
    };
  } finally {
    if (timer) clearTimeout(timer);
    await browser.close();
    await new Promise<void>((res) => server.close(() => res()));
  }
}
