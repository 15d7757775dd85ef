import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.js';
import { webDir } from '../../src/agent/serve.js';
import { CHROMIUM, launchChromium } from '../helpers/browser.js';

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));
const artifacts = join(process.cwd(), 'test-artifacts');
const ARM = 'sim-arm';

type Teach = Window['engramTeach'];

/**
 * The gripper in the teach panel, on the agent's simulated 6-joint arm (which has one): Open and Close
 * buttons and the G key move it through the agent, the 3D view draws it, a recording carries it, the
 * curves mark where it opened and closed, the skill taught keeps it and the replay performs it. Waits
 * are on the robot's states and the page's state, never on the clock.
 */
describe.skipIf(!haveBrowser)('the gripper in the teach panel', () => {
  let agent: RunningAgent;
  let browser: Browser;
  let page: Page;
  let memoryDir = '';

  beforeAll(async () => {
    memoryDir = mkdtempSync(join(tmpdir(), 'engram-teach-gripper-'));
    agent = await runAgent({ memoryFile: join(memoryDir, 'memory.engram'), bundled: false, host: '127.0.0.1', port: 0, mqttPort: 0, simRobots: 0, mqttRobots: [], log: () => undefined });
    const api = `http://127.0.0.1:${(agent.http.address() as { port: number }).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
    page.on('pageerror', (err) => console.error('page error:', err.message));
    await page.goto(`${api}/`);
    await page.waitForFunction((id) => window.engramTeach?.robot === id && window.engramTeach.positions !== null, ARM, { timeout: 30_000 });
    mkdirSync(artifacts, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    if (memoryDir) rmSync(memoryDir, { recursive: true, force: true });
  });

  const teach = () => page.evaluate(() => JSON.parse(JSON.stringify(window.engramTeach)) as Teach);
  const ready = async () => {
    if (await page.locator('#teach-resume').isVisible()) {
      await page.locator('#teach-resume').click();
      await page.waitForFunction(() => document.querySelector<HTMLElement>('#teach-resume')!.hidden, undefined, { timeout: 10_000 });
    }
  };
  const slide = (targets: Record<number, number>) =>
    page.evaluate((t) => {
      const inputs = [...document.querySelectorAll<HTMLInputElement>('.teach-sliders input')];
      let last: HTMLInputElement | null = null;
      for (const [j, q] of Object.entries(t)) (inputs[Number(j)]!.value = String(q)), (last = inputs[Number(j)]!);
      last?.dispatchEvent(new Event('input', { bubbles: true }));
    }, targets);
  const arrive = (targets: Record<number, number>) =>
    page.waitForFunction((t) => Object.entries(t).every(([j, q]) => Math.abs(window.engramTeach.positions![Number(j)]! - q) < 0.01), targets, { timeout: 20_000 });
  const hold = async (n: number) => {
    const from = (await teach()).samples;
    await page.waitForFunction(([f, k]) => window.engramTeach.samples >= f + k, [from, n] as const, { timeout: 20_000 });
  };
  /** Waits until the arm reports its gripper at `closure` and the view draws it so. */
  const gripperAt = (closure: number) =>
    page.waitForFunction(([id, c]) => window.engramTeach.gripper.closure === c && window.__engramView.gripperShown(id as string) === c, [ARM, closure] as const, { timeout: 10_000 });

  it('opens and closes the gripper by its buttons and the G key, records it, marks it on the curves, teaches and replays it', async () => {
    await ready();
    expect((await teach()).gripper.available).toBe(true);
    expect(await page.locator('#teach-gripper-close').isVisible()).toBe(true);
    await page.locator('#teach-gripper-close').click();
    await gripperAt(1);
    await page.screenshot({ path: join(artifacts, 'teach-gripper-1-closed.png') });
    await page.locator('#teach-gripper-open').click();
    await gripperAt(0);

    const q = (await teach()).positions!;
    const A = { 0: q[0]! + 0.4 };
    const B = { 1: q[1]! - 0.3 };
    await page.locator('#teach-count-in').selectOption('0');
    await page.locator('#teach-record').click();
    await page.waitForFunction(() => window.engramTeach.phase === 'recording', undefined, { timeout: 10_000 });
    await hold(15);
    await slide(A);
    await arrive(A);
    // G on the sliders closes it while the arm holds still
    await page.locator('.teach-sliders input').nth(0).focus();
    await page.keyboard.press('g');
    await gripperAt(1);
    await hold(20);
    await slide(B);
    await arrive(B);
    await page.locator('#teach-gripper-open').click();
    await gripperAt(0);
    await hold(15);
    await page.locator('#teach-stop').click();
    const t = await teach();
    expect(t.phase).toBe('recorded');
    expect(t.gripper).toMatchObject({ sent: 4, refused: 0, error: null });
    const marks = (await page.evaluate(() => window.engramTeachCurves()))!.gripper;
    expect(marks.map((m) => m.closure)).toEqual([0, 1, 0]);
    expect(marks[1]!.time).toBeLessThan(marks[2]!.time);
    await page.screenshot({ path: join(artifacts, 'teach-gripper-2-recorded.png') });

    await page.locator('#teach-name').fill('pick');
    await page.locator('#teach-save').click();
    await page.waitForFunction(() => window.engramTeach.phase === 'skill' && window.engramTeach.skill === 'pick', undefined, { timeout: 20_000 });
    // the skill as the memory recalls it: the same gripper events, at the times recorded (the curves' marks)
    const recalled = (await page.evaluate(() => window.engramTeachCurves()))!.gripper;
    expect(recalled.map((m) => m.closure)).toEqual([0, 1, 0]);

    await page.locator('#teach-replay').click();
    await page.waitForFunction(() => window.engramTeach.replay.result !== null, undefined, { timeout: 30_000 });
    const result = (await teach()).replay.result as { gripper?: { events: number; performed: number }; stopped?: boolean; error?: string };
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ stopped: false, gripper: { events: 3, sent: 3, performed: 3 } });
    await gripperAt(0);
    await page.screenshot({ path: join(artifacts, 'teach-gripper-3-replayed.png') });
  }, 180_000);
});
