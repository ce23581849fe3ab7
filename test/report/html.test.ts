import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportDoc } from '../../src/report/doc.js';
import { chartJsPath, escapeHtml, jsonForScript, renderHtmlReport, writeHtmlReport } from '../../src/report/html.js';
import { dumpRenderedDom, findChromium } from '../../src/report/chromium.js';

const EVIL = `</script><script>document.body.dataset.pwned='1'</script><img src=x onerror="document.body.dataset.pwned='2'">`;

function sampleDoc(): ReportDoc {
  const remaining = [100, 51.2, 26.2, 13.4, 6.87, 3.52, 1.8, 0.92, 0.47, 0.24, 0.12];
  return {
    title: `LeNet-300-100 ${EVIL}`,
    meta: { backend: 'wasm (2 threads)', [`key ${EVIL}`]: `value ${EVIL}` },
    sections: [
      {
        heading: 'Accuracy vs remaining weights',
        paragraphs: [`Mean of 3 seeds. ${EVIL}`],
        charts: [
          {
            kind: 'line',
            id: 'acc',
            title: 'Test accuracy',
            xLabel: 'remaining weights (%)',
            yLabel: 'accuracy (%)',
            xLog: true,
            xReverse: true,
            series: [
              { label: 'MP', points: remaining.map((r, i) => [r, 98 - i * 0.3]), yErr: remaining.map(() => 0.2) },
              { label: `LAP ${EVIL}`, points: remaining.map((r, i) => [r, i === 3 ? null : 98 - i * 0.1]) },
            ],
          },
          {
            kind: 'line',
            id: 'loss',
            title: 'Loss',
            xLabel: 'epoch',
            yLabel: 'loss',
            series: [{ label: 'train', points: [[1, 0.9], [2, 0.5], [3, NaN], [4, 0.3]] }],
          },
        ],
        tables: [{ columns: ['method', 'acc %'], rows: [['mp', 97.123], [EVIL, null]], caption: `caption ${EVIL}` }],
      },
      {
        heading: `Per-layer widths ${EVIL}`,
        charts: [
          {
            kind: 'bar',
            id: 'widths',
            title: 'Filters per layer',
            xLabel: 'layer',
            yLabel: 'filters',
            categories: ['conv1', `conv2 ${EVIL}`],
            datasets: [
              { label: 'before', values: [64, 128] },
              { label: 'after', values: [32, null] },
            ],
            stacked: true,
          },
        ],
      },
    ],
  };
}

test('escapeHtml escapes the five special characters', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
});

test('jsonForScript cannot close a script element and round-trips', () => {
  const v = { s: '</script><!-- \u2028 & >', n: [1, 2.5] };
  const j = jsonForScript(v);
  assert.ok(!/[<>&\u2028]/.test(j), j);
  assert.deepEqual(JSON.parse(j), v);
});

test('renderHtmlReport: self-contained, escaped, data embedded as JSON', () => {
  const doc = sampleDoc();
  const html = renderHtmlReport(doc);
  // Chart.js inlined from the installed package (its banner and a known global).
  assert.ok(chartJsPath().endsWith('chart.umd.js'));
  assert.match(html, /Chart\.js v4\./);
  // Nothing is fetched from elsewhere: no src=/href= attributes at all, no external stylesheets.
  const tags = html.replace(/<script>[\s\S]*?<\/script>/g, '').match(/<[a-z][^>]*>/gi) ?? [];
  assert.ok(tags.length > 20);
  for (const tag of tags) assert.ok(!/\s(src|href)\s*=/i.test(tag), `external reference in ${tag}`);
  // Injected markup never appears unescaped; the only script elements are ours (JSON data, Chart.js, page script).
  assert.ok(!html.includes(`<img src=x`));
  assert.ok(!html.includes(`<script>document.body`));
  assert.equal((html.match(/<script/g) ?? []).length, 3);
  assert.ok(html.includes('&#60;/script&#62;&#60;script&#62;document.body.dataset.pwned='));
  // Chart data: exactly the doc's charts, NaN turned into a gap (null).
  const m = html.match(/<script type="application\/json" id="prunekit-report-data">([\s\S]*?)<\/script>/);
  assert.ok(m);
  const data = JSON.parse(m[1]) as { charts: { id: string; series?: { points: unknown[] }[] }[] };
  assert.deepEqual(data.charts.map((c) => c.id), ['acc', 'loss', 'widths']);
  assert.deepEqual(data.charts[1].series?.[0].points, [[1, 0.9], [2, 0.5], [3, null], [4, 0.3]]);
  // Tables: numeric column right-aligned, caption, missing cell.
  assert.match(html, /<td class="num">97\.12<\/td>/);
  assert.match(html, /<caption>caption &#60;\/script&#62;/);
  assert.match(html, /<td class="num">-<\/td>/);
  // One canvas per chart.
  assert.equal((html.match(/<canvas /g) ?? []).length, 3);
});

test('renderHtmlReport: clear errors for inconsistent chart data', () => {
  const doc = sampleDoc();
  const bar = doc.sections[1].charts![0];
  assert.equal(bar.kind, 'bar');
  if (bar.kind === 'bar') bar.datasets[1].values.push(5);
  assert.throws(() => renderHtmlReport(doc), /chart 'widths', dataset 'after': 3 values for 2 categories/);
  const doc2 = sampleDoc();
  const line = doc2.sections[0].charts![0];
  if (line.kind === 'line') line.series[0].yErr = [1];
  assert.throws(() => renderHtmlReport(doc2), /series 'MP': yErr has 1 values for 11 points/);
});

test('writeHtmlReport writes atomically into a new folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-html-'));
  try {
    const path = join(dir, 'sub', 'report.html');
    await writeHtmlReport(path, sampleDoc());
    assert.equal(readFileSync(path, 'utf8'), renderHtmlReport(sampleDoc()));
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['report.html']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Chromium is needed for the rendering tests: skipped locally when absent, a failure in CI. */
function chromiumOrSkip(t: { skip: (msg: string) => void }): string | undefined {
  const exe = findChromium();
  if (!exe) {
    const msg = 'Chromium not found (install the Debian package `chromium` or set PRUNEKIT_CHROMIUM)';
    if (process.env.CI) assert.fail(`${msg}; CI must have it (scripts/setup.sh installs it)`);
    t.skip(msg);
  }
  return exe;
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w-]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

test('headless Chromium draws every chart, non-blank, and runs no injected script', { timeout: 120_000 }, async (t) => {
  if (!chromiumOrSkip(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-html-'));
  try {
    const path = join(dir, 'report.html');
    await writeHtmlReport(path, sampleDoc());
    const dom = await dumpRenderedDom(path, { timeoutMs: 90_000 });
    const bodyTag = dom.match(/<body[^>]*>/)?.[0] ?? '';
    const body = attrs(bodyTag);
    assert.equal(body['data-charts-total'], '3', bodyTag);
    assert.equal(body['data-charts-rendered'], '3', bodyTag);
    assert.equal(body['data-pwned'], undefined, 'injected script ran');
    const canvases = [...dom.matchAll(/<canvas [^>]*>/g)].map((m) => attrs(m[0]));
    assert.equal(canvases.length, 3);
    for (const c of canvases) {
      assert.equal(c['data-rendered'], '1', JSON.stringify(c));
      assert.equal(c['data-error'], undefined);
      const png = Number(c['data-png-length']);
      const blank = Number(c['data-blank-png-length']);
      assert.ok(blank > 0 && png > 2 * blank, `chart ${c['data-chart-id']}: png ${png} chars vs blank ${blank}`);
    }
    // The escaped title is shown as text.
    assert.match(dom, /<h1>LeNet-300-100 &lt;\/script&gt;&lt;script&gt;/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('headless Chromium: charts with nothing to draw are not marked rendered', { timeout: 120_000 }, async (t) => {
  if (!chromiumOrSkip(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-html-'));
  try {
    const path = join(dir, 'empty.html');
    await writeHtmlReport(path, {
      title: 'empty',
      sections: [
        {
          heading: 'nothing',
          charts: [
            { kind: 'line', id: 'none', title: 'no series', xLabel: 'x', yLabel: 'y', series: [] },
            { kind: 'line', id: 'gaps', title: 'only gaps', xLabel: 'x', yLabel: 'y', series: [{ label: 's', points: [[1, null], [2, null]] }] },
            { kind: 'line', id: 'log0', title: 'x<=0 on log axis', xLabel: 'x', yLabel: 'y', xLog: true, series: [{ label: 's', points: [[0, 1], [-1, 2]] }] },
          ],
        },
      ],
    });
    const dom = await dumpRenderedDom(path, { timeoutMs: 90_000 });
    const body = attrs(dom.match(/<body[^>]*>/)?.[0] ?? '');
    assert.equal(body['data-charts-total'], '3');
    assert.equal(body['data-charts-rendered'], '0');
    for (const m of dom.matchAll(/<canvas [^>]*>/g)) assert.equal(attrs(m[0])['data-rendered'], undefined, m[0]);
    assert.match(dom, /no series: no data to draw/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
