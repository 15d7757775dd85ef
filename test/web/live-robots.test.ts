import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.js';
import { webDir } from '../../src/agent/serve.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { MqttUrdfArm, SIX_JOINTS } from '../helpers/mqtt-urdf-arm.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));
if (!haveBrowser) console.warn(`browser tests skipped: need ${CHROMIUM} (apt-get install chromium) and the built web app (npm run build)`);
it.runIf(!haveBrowser && process.env.ENGRAM_REQUIRE_BROWSER === '1')('has Chromium and the built web app', () => {
  expect(existsSync(CHROMIUM), CHROMIUM).toBe(true);
});
const artifacts = join(process.cwd(), 'test-artifacts');

type Box = { x: number; y: number; width: number; height: number };

/**
 * Keeps a copy of the stage's WebGL pixels in the page under `name` (pixels stay in the page: the agent
 * shares this process, and moving a whole frame through it would stall the robots' event loop).
 */
async function snapshot(page: Page, name: string): Promise<void> {
  await page.evaluate(async (n) => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); // a frame drawn after the change
    const gl = document.querySelector('#stage canvas') as HTMLCanvasElement;
    const c = document.createElement('canvas');
    c.width = gl.width;
    c.height = gl.height;
    const g = c.getContext('2d')!;
    g.drawImage(gl, 0, 0);
    const w = window as unknown as { __snaps?: Record<string, ImageData> };
    (w.__snaps ??= {})[n] = g.getImageData(0, 0, c.width, c.height);
  }, name);
}

/** Pixels that differ between two snapshots, inside `box` (viewport CSS px) and outside it. */
async function pixelChanges(page: Page, a: string, b: string, box: Box): Promise<{ inside: number; outside: number }> {
  return page.evaluate(
    ([a, b, box]) => {
      const snaps = (window as unknown as { __snaps: Record<string, ImageData> }).__snaps;
      const [p, q] = [snaps[a]!, snaps[b]!];
      const gl = document.querySelector('#stage canvas') as HTMLCanvasElement;
      const r = gl.getBoundingClientRect();
      const sx = gl.width / r.width;
      const sy = gl.height / r.height;
      const x0 = (box.x - r.left) * sx;
      const x1 = (box.x + box.width - r.left) * sx;
      const y0 = (box.y - r.top) * sy;
      const y1 = (box.y + box.height - r.top) * sy;
      let inside = 0;
      let outside = 0;
      for (let i = 0; i < p.data.length; i += 4) {
        const d = Math.abs(p.data[i]! - q.data[i]!) + Math.abs(p.data[i + 1]! - q.data[i + 1]!) + Math.abs(p.data[i + 2]! - q.data[i + 2]!);
        if (d <= 24) continue;
        const x = (i / 4) % p.width;
        const y = Math.floor(i / 4 / p.width);
        if (x >= x0 && x < x1 && y >= y0 && y < y1) inside++;
        else outside++;
      }
      return { inside, outside };
    },
    [a, b, box] as const,
  );
}

describe.skipIf(!haveBrowser)('every robot the agent drives, live in the page', () => {
  let broker: EmbeddedBroker;
  let arm: MqttUrdfArm;
  let agent: RunningAgent;
  let browser: Browser;
  let page: Page;
  const ARM = 'arm6';

  beforeAll(async () => {
    // a robot of someone else's on the broker, with its URDF; the agent adds it and its own piano arms
    broker = await startEmbeddedBroker({ port: 0 });
    arm = new MqttUrdfArm({ url: broker.url, robotId: ARM });
    await arm.start();
    agent = await runAgent({ memory: new SequenceMemory(), save: () => undefined, host: '127.0.0.1', port: 0, broker: broker.url, mqttPort: 0, simRobots: 2, mqttRobots: [ARM], log: () => undefined });
    const port = (agent.http.address() as { port: number }).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => window.__engramView?.robots().length === 3, undefined, { timeout: 30_000 });
    mkdirSync(artifacts, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await arm?.stop();
    await broker?.close();
  });

  it('shows the 6-joint arm from its URDF and the two piano arms, each following its joint states', async () => {
    const robots = await page.evaluate(() => window.__engramView.robots());
    expect(robots.map((r) => [r.id, r.kind, r.connected, r.stopped]).sort()).toEqual([
      [ARM, 'urdf', true, false],
      ['sim-left', 'planar', true, false],
      ['sim-right', 'planar', true, false],
    ]);
    expect(Object.keys((await page.evaluate((id) => window.__engramView.jointValues(id), ARM))!).sort()).toEqual([...SIX_JOINTS].sort());
    // states keep arriving for every robot (a live view, not a snapshot)
    const before = await page.evaluate(() => ['arm6', 'sim-left', 'sim-right'].map((id) => window.__engramView.statesShown(id)));
    await page.waitForFunction((b) => ['arm6', 'sim-left', 'sim-right'].every((id, i) => window.__engramView.statesShown(id) > b[i]! + 5), before, { timeout: 20_000 });
    // every robot is in the picture
    for (const id of [ARM, 'sim-left', 'sim-right']) {
      const box = (await page.evaluate((i) => window.__engramView.screenBox(i), id))!;
      expect(box.width * box.height, id).toBeGreaterThan(400);
    }
    await page.locator('#stage').screenshot({ path: join(artifacts, 'live-robots.png') });
  }, 60_000);

  it("the 6-joint arm's pose on screen follows its joint states", async () => {
    const rest = [0, 0, 0, 0, 0, 0];
    const bent = [0.9, 0.8, 0.9, -0.6, 0.5, 1.2];
    const shows = (q: number[]) =>
      page.waitForFunction(
        ([id, names, want]) => {
          const v = window.__engramView.jointValues(id as string)!;
          return (names as string[]).every((n, i) => Math.abs(v[n]! - (want as number[])[i]!) < 1e-9);
        },
        [ARM, SIX_JOINTS, q] as const,
        { timeout: 10_000 },
      );
    arm.hold(rest);
    await shows(rest);
    await snapshot(page, 'rest');
    const boxRest = (await page.evaluate((id) => window.__engramView.screenBox(id), ARM))!;
    const toolRest = (await page.evaluate((id) => window.__engramView.toolOnScreen(id), ARM))!;
    arm.hold(bent);
    await shows(bent);
    await snapshot(page, 'bent');
    const boxBent = (await page.evaluate((id) => window.__engramView.screenBox(id), ARM))!;
    const toolBent = (await page.evaluate((id) => window.__engramView.toolOnScreen(id), ARM))!;
    await page.locator('#stage').screenshot({ path: join(artifacts, 'arm6-bent.png') });
    // the tool moved on screen, and the pixels changed where the arm is (was or is now), not elsewhere:
    // the piano arms hold still and the camera stays put
    expect(Math.hypot(toolBent.x - toolRest.x, toolBent.y - toolRest.y)).toBeGreaterThan(20);
    const x = Math.min(boxRest.x, boxBent.x);
    const y = Math.min(boxRest.y, boxBent.y);
    const region = { x, y, width: Math.max(boxRest.x + boxRest.width, boxBent.x + boxBent.width) - x, height: Math.max(boxRest.y + boxRest.height, boxBent.y + boxBent.height) - y };
    const moved = await pixelChanges(page, 'rest', 'bent', region);
    expect(moved.inside).toBeGreaterThan(500);
    expect(moved.outside).toBeLessThan(moved.inside / 50);
    // and back: the same picture as before
    arm.hold(rest);
    await shows(rest);
    await snapshot(page, 'rest again');
    const back = await pixelChanges(page, 'rest', 'rest again', region);
    expect(back.inside + back.outside).toBeLessThan(50);
    expect((await page.evaluate(() => window.__engramView.robots())).filter((r) => r.stopped)).toEqual([]);
  }, 60_000);

  it('a skill on the arm: its planned path is drawn while it runs, and the tool on screen moves along it', async () => {
    arm.hold([0, 0, 0, 0, 0, 0]);
    // a demonstration (as if recorded from the arm): lean over, turn, come back part way
    const samples = Array.from({ length: 301 }, (_, k) => {
      const t = k / 50;
      const s = (1 - Math.cos((Math.PI * t) / 6)) / 2; // 0 -> 1 over 6 s, smoothly
      return { time: t, positions: [1.2 * s, 0.7 * Math.sin(Math.PI * s), 0.9 * s, -0.4 * s, 0.6 * s, 0] };
    });
    const taught = await page.evaluate(async (body) => (await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json(), { command: 'teach', skill: 'lean and turn', robot: ARM, samples });
    expect(taught.ok, taught.error).toBe(true);
    // perform it and, in the page, note where the tool is on screen every frame while the path is drawn
    const run = page.evaluate(async (id) => {
      const seen: Array<{ x: number; y: number }> = [];
      let path: Array<{ x: number; y: number }> = [];
      let watching = true;
      const watch = () => {
        const v = window.__engramView;
        if (v.pathPoints(id) > 0) {
          if (!path.length) path = v.pathOnScreen(id);
          seen.push(v.toolOnScreen(id)!);
        }
        if (watching) requestAnimationFrame(watch);
      };
      requestAnimationFrame(watch);
      const res = await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'perform', title: 'lean and turn', robots: [id] }) });
      const answer = await res.json();
      await new Promise((r) => setTimeout(r, 300));
      watching = false;
      return { answer, seen, path, pathAfter: window.__engramView.pathPoints(id), robot: window.__engramView.robots().find((r) => r.id === id) };
    }, ARM);
    await page.waitForFunction((id) => window.__engramView.pathPoints(id) > 0, ARM, { timeout: 20_000 });
    await page.waitForFunction((id) => window.__engramView.robots().find((r) => r.id === id)?.activity === 'performing lean and turn', ARM);
    await page.waitForTimeout(1000); // part way along, for the picture
    await page.locator('#stage').screenshot({ path: join(artifacts, 'arm6-skill-path.png') });
    const r = await run;
    expect(r.answer.ok, r.answer.error).toBe(true);
    expect(r.answer.result.stopped).toBe(false);
    expect(r.path.length).toBeGreaterThan(20);
    expect(r.seen.length).toBeGreaterThan(20);
    // every tool position shown lies on the drawn path (within a few pixels of the polyline), and the
    // tool went most of the way along it
    const dist = (p: { x: number; y: number }) => {
      let best = Infinity;
      for (let i = 1; i < r.path.length; i++) {
        const a = r.path[i - 1]!;
        const b = r.path[i]!;
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const t = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy || 1)));
        best = Math.min(best, Math.hypot(p.x - a.x - t * dx, p.y - a.y - t * dy));
      }
      return best;
    };
    const off = r.seen.map(dist).sort((a, b) => a - b);
    expect(off[Math.floor(off.length * 0.95)]).toBeLessThan(6);
    const end = r.path[r.path.length - 1]!;
    const start = r.path[0]!;
    const last = r.seen[r.seen.length - 1]!;
    expect(Math.hypot(last.x - end.x, last.y - end.y)).toBeLessThan(0.1 * Math.hypot(end.x - start.x, end.y - start.y) + 3);
    // done: the path is gone, the robot idle, and the view shows where the arm really is
    expect(r.pathAfter).toBe(0);
    expect(r.robot?.activity).toBe('idle');
    const shown = (await page.evaluate((id) => window.__engramView.jointValues(id), ARM))!;
    arm.positions.forEach((q, i) => expect(shown[SIX_JOINTS[i]!]).toBeCloseTo(q, 3));
  }, 90_000);

  it('a robot that goes quiet is shown stopped, and the Resume button brings it back', async () => {
    arm.pause(true); // no joint states: the agent's watchdog stops it
    await page.waitForFunction((id) => window.__engramView.robots().find((r) => r.id === id)?.stopped === true, ARM, { timeout: 10_000 });
    await expect.poll(() => page.locator('.robot-label.stopped').first().textContent()).toMatch(/^arm6 · stopped: no joint state/);
    // the robots panel hears it from the same stream
    await expect.poll(() => page.locator('#robots').textContent()).toMatch(/arm6 \(mqtt\) stopped: no joint state/);
    await page.locator('#stage').screenshot({ path: join(artifacts, 'arm6-stopped.png') });
    arm.pause(false);
    await page.locator('#resume-robots').click();
    await page.waitForFunction((id) => window.__engramView.robots().find((r) => r.id === id)?.stopped === false, ARM, { timeout: 10_000 });
    await expect.poll(() => page.locator('.robot-label.stopped').count()).toBe(0);
    await expect.poll(() => page.locator('#robots').textContent()).toMatch(/arm6 \(mqtt\) idle/);
  }, 30_000);
});
