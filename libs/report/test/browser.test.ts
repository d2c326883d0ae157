/**
 * report.html in headless Chromium (the Debian package): no console errors, no network requests,
 * charts rendered, the sample browser sorts and filters, a dummy banner on every view, and screenshots
 * at desktop and phone width (in $EVALGRAPH_SCREENSHOT_DIR when set).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DUMMY_BANNER, fmt, nextHistory, renderHtml, withHistory } from '../src';
import { build, tempDirs } from './helpers';

const CHROMIUM = process.env.EVALGRAPH_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = process.env.EVALGRAPH_SKIP_BROWSER === '1';
const tmp = tempDirs();

describe.skipIf(skip)('report.html in headless Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let url: string;
  let userDataDir: string;
  const consoleErrors: string[] = [];
  const external: string[] = [];
  const shotDir = process.env.EVALGRAPH_SCREENSHOT_DIR ?? tmp();
  const built = build(tmp(), {
    variants: [
      { id: 'qwen3-8b', accuracy: 0.62, backend: 'dummy', tokens: 260 },
      { id: 'qwen3-14b', accuracy: 0.78, backend: 'dummy', tokens: 280 },
      { id: 'qwen3-8b-thinking', model: 'qwen3-8b', mode: 'thinking', accuracy: 0.7, backend: 'dummy', tokens: 1400, latencyMs: 5200 },
    ],
    comparisons: [
      { kind: 'scaling', family: 'qwen3', small: 'qwen3-8b', large: 'qwen3-14b' },
      { kind: 'modes', name: 'thinking vs non-thinking', a: 'qwen3-8b-thinking', b: 'qwen3-8b' },
    ],
  });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: install it (npm run setup -- --tests) or set EVALGRAPH_SKIP_BROWSER=1 to skip the browser test`);
    }
    const dir = tmp();
    const file = join(dir, 'report.html');
    writeFileSync(file, await renderHtml(built.summary, built.samples, { maxPerCell: 120 }));
    url = pathToFileURL(file).href;
    userDataDir = mkdtempSync(join(tmpdir(), 'evalgraph-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    context.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) external.push(r.url());
    });
    await page.goto(url);
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  const visible = (sel: string) => page.locator(sel).first().isVisible();

  it('shows every view with the dummy banner on top', async () => {
    for (const view of ['overview', 'matrix', 'comparisons', 'compare', 'samples', 'history', 'run']) {
      await page.click(`nav a[data-view="${view}"]`);
      // The view switches on the hash change, a task after the click: wait for it (bounded) rather than race it.
      await page.locator(`section#view-${view}`).waitFor({ state: 'visible', timeout: 10_000 });
      expect(await visible(`section#view-${view}`), view).toBe(true);
      const others = await page.locator('section.view:visible').count();
      expect(others, view).toBe(1);
      await page.evaluate('window.scrollTo(0, document.body.scrollHeight)'); // a string: tsconfig has no DOM types
      const banner = page.locator('#dummy-banner');
      expect(await banner.isVisible(), view).toBe(true);
      expect(await banner.textContent()).toContain(DUMMY_BANNER);
      // Sticky: still at the top of the viewport after scrolling down.
      expect((await banner.boundingBox())!.y, view).toBeLessThanOrEqual(1);
    }
  });

  it('rendered the charts: SVG with marks in every figure', async () => {
    await page.goto(url);
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({ id: f.getAttribute('data-chart'), marks: f.querySelectorAll('svg [class*="role-mark"] > *').length, width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0 })),
    );
    expect(charts.map((c) => c.id)).toEqual(['heatmap', 'bars-0', 'bars-1', 'bars-2', 'scaling', 'modes', 'modes-tokens']);
    for (const c of charts) expect(c.marks, c.id!).toBeGreaterThan(2);
    const overview = charts.find((c) => c.id === 'heatmap')!;
    expect(overview.width).toBeGreaterThan(100);
    const heatmapCells = await page.locator('#chart-heatmap g.mark-rect.role-mark path').count();
    expect(heatmapCells).toBe(9);
  });

  it('sorts and filters the sample browser and opens a sample', async () => {
    await page.goto(`${url}#samples`);
    const embedded = JSON.parse((await page.locator('#evalgraph-samples').textContent())!);
    const total = embedded.rows.length;
    expect(await page.locator('#sb-count').textContent()).toBe(`${total} of ${total} embedded samples match`);
    const column = async (i: number) => page.$$eval(`#sb-table tbody tr td:nth-child(${i})`, (tds) => tds.map((td) => td.textContent ?? ''));

    await page.click('#sb-table th[data-sort="latency_ms"]');
    const asc = (await column(6)).map(Number);
    expect(asc).toHaveLength(50);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    const minLatency = Math.min(...embedded.rows.map((r: number[]) => r[7]));
    expect(asc[0]).toBe(Math.round(minLatency));
    await page.click('#sb-table th[data-sort="latency_ms"]');
    const desc = (await column(6)).map(Number);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    expect(await page.getAttribute('#sb-table th[data-sort="latency_ms"]', 'aria-sort')).toBe('descending');

    await page.selectOption('#sb-outcome', 'wrong');
    const wrong = embedded.rows.filter((r: unknown[]) => r[3] === 'wrong').length;
    expect(await page.locator('#sb-count').textContent()).toBe(`${wrong} of ${total} embedded samples match`);
    expect(new Set(await column(3))).toEqual(new Set(['wrong']));
    await page.selectOption('#sb-variant', 'qwen3-14b');
    expect((await column(1)).every((c) => c.startsWith('qwen3-14b/'))).toBe(true);
    await page.selectOption('#sb-outcome', '');
    await page.selectOption('#sb-variant', '');
    await page.fill('#sb-search', 'gsm8k-17');
    const ids = await column(2);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.startsWith('gsm8k-17'))).toBe(true);

    await page.click('#sb-table tbody tr:first-child');
    expect(await visible('#sb-detail')).toBe(true);
    const detail = (await page.locator('#sb-detail').textContent())!;
    const sample = built.samples[(await column(1))[0]].find((s) => s.id === ids[0].split(' ')[0])!;
    expect(detail).toContain(sample.prompt); // includes "</script>" and "<b>" as text
    expect(detail).toContain(sample.response);
    await page.click('#sb-close');
    expect(await visible('#sb-detail')).toBe(false);

    // A "longest response" link opens that sample.
    await page.click('#longest button[data-open]');
    expect(await visible('#sb-detail')).toBe(true);
    const longest = built.summary.analysis.longest[0];
    expect(await page.locator('#sb-detail-title').textContent()).toContain(longest.id);
  });

  /** Pixel statistics of a PNG, computed in a blank page's canvas (the report's CSP is not involved). */
  async function pixelStats(png: Buffer): Promise<{ width: number; height: number; distinct: number; stddev: number }> {
    const probe = await context.newPage();
    try {
      await probe.goto('about:blank');
      return (await probe.evaluate(`new Promise((resolve) => {
        const img = new Image();
        img.onload = () => {
          const c = document.createElement('canvas');
          c.width = img.width; c.height = img.height;
          const g = c.getContext('2d');
          g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          const seen = new Set();
          let sum = 0, sq = 0, n = 0;
          for (let i = 0; i < d.length; i += 4) {
            const lum = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
            sum += lum; sq += lum * lum; n++;
            seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
          }
          const mean = sum / n;
          resolve({ width: c.width, height: c.height, distinct: seen.size, stddev: Math.sqrt(sq / n - mean * mean) });
        };
        img.src = 'data:image/png;base64,${png.toString('base64')}';
      })`)) as { width: number; height: number; distinct: number; stddev: number };
    } finally {
      await probe.close();
    }
  }

  it('colours each heatmap column on its own scale and never cuts a variant name; the screenshot is not blank', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${url}#overview`);
    const labels = await page.$$eval('#chart-heatmap g.role-axis-label text', (ts) => ts.map((t) => t.textContent ?? ''));
    for (const v of built.summary.variants) expect(labels).toContain(v.id);
    expect(labels.some((l) => l.includes('…'))).toBe(false);
    // The best cell of every dataset gets the same (darkest) colour, whatever that dataset's scale.
    const fills = await page.$$eval('#chart-heatmap g.mark-rect.role-mark path', (ps) => ps.map((p) => p.getAttribute('fill')));
    const rows = built.summary.comparisons.matrix;
    expect(fills).toHaveLength(rows.length);
    const bestFill = built.summary.datasets.map((d) => {
      const inD = rows.map((r, i) => ({ r, i })).filter((x) => x.r.dataset === d);
      const best = inD.reduce((a, x) => (x.r.value > a.r.value ? x : a));
      const worst = inD.reduce((a, x) => (x.r.value < a.r.value ? x : a));
      expect(fills[best.i], d).not.toBe(fills[worst.i]);
      return fills[best.i];
    });
    expect(new Set(bestFill).size).toBe(1);

    const shot = await page.locator('#chart-heatmap svg').screenshot();
    const st = await pixelStats(shot);
    const box = (await page.locator('#chart-heatmap svg').boundingBox())!;
    expect(st.width).toBe(Math.round(box.width));
    expect(st.width).toBeGreaterThan(300);
    expect(st.height).toBeGreaterThan(100);
    expect(st.distinct).toBeGreaterThan(20);
    expect(st.stddev).toBeGreaterThan(10);
  });

  it('shows one sample side by side across every variant; the screenshot is not blank', async () => {
    await page.goto('about:blank'); // a fresh load: no sample detail left open by an earlier test
    await page.goto(`${url}#samples`);
    await page.selectOption('#sx-dataset', 'gsm8k');
    const first = await page.$eval('#sx-sample', (s) => (s as unknown as { value: string }).value);
    const [id, index] = [first.slice(0, first.lastIndexOf('#')), Number(first.slice(first.lastIndexOf('#') + 1))];
    const cards = page.locator('#sx-grid .side-card');
    expect(await cards.count()).toBe(built.summary.variants.length);
    expect(await cards.evaluateAll((cs) => cs.map((c) => c.getAttribute('data-variant')))).toEqual(built.summary.variants.map((v) => v.id));
    for (const v of built.summary.variants) {
      const sample = built.samples[`${v.id}/gsm8k`].find((s) => s.id === id && s.sample_index === index)!;
      const text = (await page.locator(`#sx-grid .side-card[data-variant="${v.id}"]`).textContent())!;
      expect(text).toContain(sample.response);
      expect(text).toContain(sample.outcome);
    }
    expect(await page.locator('#sx-prompt').textContent()).toContain(built.samples['qwen3-8b/gsm8k'].find((s) => s.id === id)!.prompt);
    // "Only where variants differ" keeps just the samples whose scores disagree.
    await page.check('#sx-differ');
    const differing = await page.$$eval('#sx-sample option', (os) => os.map((o) => (o as unknown as { value: string }).value));
    for (const k of differing) {
      const [i, j] = [k.slice(0, k.lastIndexOf('#')), Number(k.slice(k.lastIndexOf('#') + 1))];
      const scores = built.summary.variants.map((v) => built.samples[`${v.id}/gsm8k`].find((s) => s.id === i && s.sample_index === j)!.score);
      expect(new Set(scores).size, k).toBeGreaterThan(1);
    }
    const el = page.locator('#side-by-side');
    const st = await pixelStats(await el.screenshot());
    const box = (await el.boundingBox())!;
    expect(st.width).toBe(Math.round(box.width));
    expect(st.height).toBeGreaterThan(150);
    expect(st.distinct).toBeGreaterThan(20);
    expect(st.stddev).toBeGreaterThan(5);
  });

  it('compares any two variants on demand with paired per-dataset deltas', async () => {
    await page.goto(`${url}#compare`);
    await page.selectOption('#cx-a', 'qwen3-14b');
    await page.selectOption('#cx-b', 'qwen3-8b');
    // The same pair as the pipeline's scaling comparison: the page must agree with summary.json.
    for (const r of built.summary.comparisons.scaling) {
      const row = page.locator(`#cx-table tbody tr[data-dataset="${r.dataset}"]`);
      const diff = Number(await row.locator('td[data-value]').getAttribute('data-value'));
      expect(diff, r.dataset).toBeCloseTo(r.gain.diff, 5);
      const cells = await row.locator('td').allTextContents();
      expect(Number(cells[2]), r.dataset).toBe(r.gain.n_paired);
      if (r.gain.test === 'mcnemar-exact') expect(cells[7], r.dataset).toBe(fmt.p(r.gain.p_value));
    }
    // Any other pair, not declared in the pipeline, works too.
    await page.selectOption('#cx-a', 'qwen3-8b-thinking');
    await page.selectOption('#cx-b', 'qwen3-14b');
    const mean = (k: string) => built.samples[k].reduce((a, s) => a + s.score, 0) / built.samples[k].length;
    const gsm = Number(await page.locator('#cx-table tbody tr[data-dataset="gsm8k"] td[data-value]').getAttribute('data-value'));
    expect(gsm).toBeCloseTo(mean('qwen3-8b-thinking/gsm8k') - mean('qwen3-14b/gsm8k'), 5);
    expect(await page.locator('#cx-summary').textContent()).toMatch(/^qwen3-8b-thinking vs qwen3-14b: 3 dataset\(s\) compared/);
  });

  it('lists the published runs and what changed since the previous one', async () => {
    expect(await page.goto(`${url}#history`).then(() => page.locator('#history-body').textContent())).toContain('has not been published');
    const again = build(tmp(), { variants: [{ id: 'qwen3-8b', accuracy: 0.9, backend: 'dummy' }, { id: 'qwen3-14b', accuracy: 0.78, backend: 'dummy' }], comparisons: [] }, { generatedAt: '2026-02-05T00:00:00.000Z' }).summary;
    const h = nextHistory(nextHistory(null, null, built.summary, '2026-02-04T00:00:00.000Z'), built.summary, again, '2026-02-05T01:00:00.000Z');
    const file = join(tmp(), 'published.html');
    writeFileSync(file, (withHistory({ 'report.html': await renderHtml(again, {}) }, h)['report.html']) as string);
    await page.goto(`${pathToFileURL(file).href}#history`);
    expect(await page.locator('#history-runs tbody tr').count()).toBe(2);
    const changes = await page.locator('#history-changes tbody tr').allTextContents();
    expect(changes.some((t) => t.startsWith('qwen3-8b/gsm8k') && t.includes('improvement'))).toBe(true);
    expect(await page.locator('#history-body').textContent()).toContain('Cells removed: qwen3-8b-thinking/');
  });

  it('saves readable screenshots at desktop and phone width', async () => {
    mkdirSync(shotDir, { recursive: true });
    const shots: string[] = [];
    for (const [name, width, height] of [['desktop', 1280, 900], ['phone', 390, 844]] as const) {
      await page.setViewportSize({ width, height });
      for (const view of ['overview', 'comparisons', 'samples', 'compare']) {
        await page.goto('about:blank');
        await page.goto(`${url}#${view}`);
        // At phone width the page itself never scrolls sideways: wide tables and charts scroll in their own boxes.
        expect((await page.evaluate('document.documentElement.scrollWidth')) as number, `${name} ${view}`).toBeLessThanOrEqual(width);
        const file = join(shotDir, `report-${name}-${view}.png`);
        await page.screenshot({ path: file, fullPage: true });
        shots.push(file);
      }
    }
    for (const f of shots) expect(statSync(f).size, f).toBeGreaterThan(20_000);
    expect(readFileSync(shots[0]).subarray(1, 4).toString()).toBe('PNG');
  });

  it('logged no console error and made no network request', () => {
    expect(consoleErrors).toEqual([]);
    expect(external).toEqual([]);
  });
});
