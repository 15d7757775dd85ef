import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { webDir } from '../../src/agent/serve.js';
import { agentPageSession, CHROMIUM } from '../helpers/browser.js';
import { TeachPage } from '../helpers/teach-page.js';

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));
const artifacts = join(process.cwd(), 'test-artifacts');

/**
 * Freedrive in the teach panel on the other simulated arms (the UR5e is in teach-panel.test.ts): the
 * 7-joint Panda and the 3-joint planar piano arm at the keyboard, both behind the agent's safety gate
 * over MQTT. An elbow link grabbed in the 3D view and pulled: the joints up to it give way, those
 * past it stay, the arm holds when let go. Waits are on joint states and the page's state.
 */
describe.skipIf(!haveBrowser)('freedrive on the simulated Panda and the planar piano arm', () => {
  const session = agentPageSession('freedrive', { simRobots: 1, simArmRobot: 'panda' }, async (p) => {
    await p.waitForFunction(() => window.engramTeach?.robot !== null && window.engramTeach.positions !== null, undefined, { timeout: 30_000 });
    await p.locator('#teach-freedrive').click();
  });
  const tp = new TeachPage(session);
  let page: Page;
  beforeAll(() => {
    page = session.page;
    mkdirSync(artifacts, { recursive: true });
  });

  const freedrive = () => page.evaluate(() => JSON.parse(JSON.stringify(window.engramFreedrive.state)) as Window['engramFreedrive']['state']);

  /** The robot chosen in the panel, resumed if its watchdog stopped it (a loaded machine), its joint states coming. */
  async function choose(id: string): Promise<void> {
    await page.locator('#teach-robot').selectOption(id);
    await page.waitForFunction((r) => window.engramTeach.robot === r && window.engramTeach.positions !== null, id, { timeout: 20_000 });
    await tp.ready();
  }

  /** Grabs `link` of robot `id`, pulls it by (dx, dy) px and holds until a joint it moves has moved; returns the joints before and after (settled). */
  async function pull(id: string, link: string, dx: number, dy: number, shot: string): Promise<{ before: number[]; after: number[]; moving: number[] }> {
    await tp.settle();
    const before = (await tp.teach()).positions!;
    const at = await page.evaluate(([r, l]) => window.engramFreedrive.linkOnScreen(r!, l!), [id, link] as const);
    expect(at, `${link} of ${id} on screen`).not.toBeNull();
    await page.mouse.move(at!.x, at!.y);
    await page.mouse.down();
    const f = await freedrive();
    expect(f.link).toBe(link);
    expect(f.robot).toBe(id);
    for (let k = 1; k <= 10; k++) await page.mouse.move(at!.x + (dx * k) / 10, at!.y + (dy * k) / 10);
    await page.waitForFunction(([b, m]) => m!.some((j) => Math.abs(window.engramTeach.positions![j]! - b![j]!) > 0.05), [before, f.moving] as const, { timeout: 20_000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(artifacts, `freedrive-${shot}.png`) });
    await page.mouse.up();
    expect((await freedrive()).link).toBeNull();
    const targets = (await freedrive()).targets;
    await tp.settle();
    expect((await freedrive()).targets).toBe(targets); // let go: nothing more is sent, the arm holds
    // what freedrive sent the robot: the joints past the grabbed link exactly as they were at the grab
    const { from, sent } = await freedrive();
    expect(sent).not.toBeNull();
    for (let j = 0; j < before.length; j++) if (!f.moving.includes(j)) expect(sent![j], `joint ${j} sent`).toBe(from![j]);
    return { before, after: (await tp.teach()).positions!, moving: f.moving };
  }

  it('the Panda: its elbow link (panda_link4) pulled, joints 1-4 give way, 5-7 stay', async () => {
    await choose('sim-arm');
    expect(await page.evaluate(() => document.querySelectorAll('.teach-sliders input').length)).toBe(7);
    const { before, after, moving } = await tp.withArm(() => pull('sim-arm', 'panda_link4', -60, -50, 'panda-elbow'));
    expect(moving).toEqual([0, 1, 2, 3]);
    for (const j of [4, 5, 6]) expect(Math.abs(after[j]! - before[j]!), `joint ${j + 1}`).toBeLessThan(1e-3);
    expect(Math.max(...moving.map((j) => Math.abs(after[j]! - before[j]!)))).toBeGreaterThan(0.05);
  }, 90_000);

  it('the planar piano arm: its forearm pulled in its plane, shoulder and elbow give way, the wrist stays', async () => {
    await choose('sim-left');
    expect(await page.evaluate(() => window.__engramView.robots().find((r) => r.id === 'sim-left')!.kind)).toBe('planar');
    const { before, after, moving } = await tp.withArm(() => pull('sim-left', 'forearm', 40, -40, 'planar-forearm'));
    expect(moving).toEqual([0, 1]);
    // the wrist was sent where it was; the physics arm holds it there within its tracking (the shoulder and elbow swing it)
    expect(Math.abs(after[2]! - before[2]!), 'wrist').toBeLessThan(0.01);
    expect(Math.max(Math.abs(after[0]! - before[0]!), Math.abs(after[1]! - before[1]!))).toBeGreaterThan(0.05);
  }, 90_000);
});
