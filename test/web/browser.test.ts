import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webDir } from '../../src/agent/serve.js';
import { bundledPageServer, CHROMIUM, launchChromium } from '../helpers/browser.js';

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));
if (!haveBrowser) console.warn(`browser tests skipped: need ${CHROMIUM} (apt-get install chromium) and the built web app (npm run build)`);

// CI installs Chromium: there a missing browser is a failure, not a skip
it.runIf(!haveBrowser && process.env.ENGRAM_REQUIRE_BROWSER === '1')('has Chromium and the built web app', () => {
  expect(existsSync(CHROMIUM), CHROMIUM).toBe(true);
  expect(existsSync(join(webDir(), 'index.html')), 'dist/web/index.html').toBe(true);
});
const artifacts = join(process.cwd(), 'test-artifacts');

describe.skipIf(!haveBrowser)('the web app in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    ({ server, url } = await bundledPageServer());
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.waitForFunction(() => window.engram?.ready === true);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function performAt(title: string, tempo: number) {
    await page.getByRole('button', { name: title }).click();
    // move the slider as a person would (the input event), then press Perform
    await page.locator('#tempo').evaluate((el, v) => {
      (el as HTMLInputElement).value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, tempo);
    await expect.poll(() => page.locator('#tempo-value').textContent()).toBe(`${tempo.toFixed(2)}×`);
    await page.locator('#perform').click();
    await page.waitForFunction(
      ([t, x]) => window.engram.performance?.title === t && window.engram.performance.tempo === x && !window.engram.demo && window.engram.keyDowns.length >= 10,
      [title, tempo] as const,
      { timeout: 60_000 },
    );
    return page.evaluate(() => ({ keyDowns: window.engram.keyDowns, tempo: window.engram.performance!.tempo, f1: window.engram.performance!.report.f1 }));
  }

  it('loads, performs a piece with keys going down in time, draws a non-blank scene, and keeps a screenshot', async () => {
    const r = await performAt('Für Elise (opening)', 1);
    expect(r.tempo).toBe(1);
    expect(r.f1).toBe(1);
    // keys go down on screen when the playhead passes the time the physics pressed them: never before,
    // and at the latest on the next frame, which moves the playhead at most 0.25 s (main.ts) at 1x
    const lags = r.keyDowns.map((k) => k.shownAt - k.recordedAt).sort((a, b) => a - b);
    expect(lags[0]).toBeGreaterThanOrEqual(0);
    expect(lags[lags.length - 1]).toBeLessThanOrEqual(0.25);
    // the WebGL canvas shows something: many distinct colours
    const colours = await page.evaluate(() => {
      const gl = document.querySelector('#stage canvas') as HTMLCanvasElement;
      const c = document.createElement('canvas');
      c.width = 200;
      c.height = 100;
      const g = c.getContext('2d')!;
      g.drawImage(gl, 0, 0, 200, 100);
      const d = g.getImageData(0, 0, 200, 100).data;
      const set = new Set<number>();
      for (let i = 0; i < d.length; i += 4) set.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return set.size;
    });
    expect(colours).toBeGreaterThan(50);
    mkdirSync(artifacts, { recursive: true });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(artifacts, 'perform-fur-elise.png') });
    await page.locator('#stage').screenshot({ path: join(artifacts, 'arms-at-the-keyboard.png') });
  }, 120_000);

  it('the tempo slider sets the pacemaker rate and the arms play faster', async () => {
    const slow = await performAt('Ode to Joy', 1);
    const fast = await performAt('Ode to Joy', 2);
    expect(fast.tempo).toBe(2);
    const span = (k: typeof slow.keyDowns) => k[9]!.recordedAt - k[0]!.recordedAt;
    expect(span(fast.keyDowns) / span(slow.keyDowns)).toBeCloseTo(0.5, 1);
  }, 120_000);

  it('reports a bad request clearly', async () => {
    const res = await page.evaluate(async () => {
      const r = await fetch('/api/perform', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'No Such Piece' }) });
      return { status: r.status, body: await r.json() };
    });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/unknown title 'No Such Piece'/);
  });

  it('the robots panel: status, Stop (always there), Teach refused without a robot, and the agent events', async () => {
    await expect.poll(() => page.locator('#robots').textContent()).toMatch(/no robots connected/);
    await page.locator('#stop-robots').click();
    await expect.poll(() => page.locator('#robot-status').textContent()).toBe('stopped 0 robots');
    await expect.poll(() => page.evaluate(() => window.engramRobots.events.map((e) => e.type))).toContain('stopped');
    await page.locator('#skill-name').fill('wave');
    await page.locator('#teach').click();
    await expect.poll(() => page.locator('#robot-status').textContent()).toBe('no robot is ready to record from');
    await expect.poll(() => page.locator('#events li').first().textContent()).toMatch(/^\d\d:\d\d:\d\dstopped no robot \(none connected\): stop command$/);
  });
});
