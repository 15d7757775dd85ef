import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { webDir } from '../../src/agent/serve.js';
import { agentPageSession, CHROMIUM } from '../helpers/browser.js';
import { TeachPage } from '../helpers/teach-page.js';

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));
const artifacts = join(process.cwd(), 'test-artifacts');
const ARM = 'sim-arm';

/**
 * The gripper in the teach panel, on the agent's simulated 6-joint arm (which has one): Open and Close
 * buttons and the G key move it through the agent, the 3D view draws it, a recording carries it, the
 * curves mark where it opened and closed, the skill taught keeps it and the replay performs it. Waits
 * are on the robot's states and the page's state, never on the clock.
 */
describe.skipIf(!haveBrowser)('the gripper in the teach panel', () => {
  // the arm's joint states in the panel, and the arm (its gripper) in the 3D view
  const session = agentPageSession('teach-gripper', { simRobots: 0 }, (page) =>
    page.waitForFunction((id) => window.engramTeach?.robot === id && window.engramTeach.positions !== null && window.__engramView?.gripperShown(id) !== null, ARM, { timeout: 30_000 }),
  );
  const tp = new TeachPage(session);
  beforeAll(() => mkdirSync(artifacts, { recursive: true }));

  it('opens and closes the gripper by its buttons and the G key, records it, marks it on the curves, teaches and replays it', async () => {
    const page = session.page;
    await tp.ready();
    expect((await tp.teach()).gripper.available).toBe(true);
    expect(await page.locator('#teach-gripper-close').isVisible()).toBe(true);
    await tp.withArm(async () => {
      await page.locator('#teach-gripper-close').click();
      await tp.gripperAt(ARM, 1);
      await page.screenshot({ path: join(artifacts, 'teach-gripper-1-closed.png') });
      await page.locator('#teach-gripper-open').click();
      await tp.gripperAt(ARM, 0);
    });

    await tp.withArm(async () => {
      // (again after a watchdog stop: from the gripper open, so G closes it)
      if ((await tp.teach()).gripper.closure !== 0) {
        await page.locator('#teach-gripper-open').click();
        await tp.gripperAt(ARM, 0);
      }
      const q = (await tp.teach()).positions!;
      const A = { 0: q[0]! + 0.4 };
      const B = { 1: q[1]! - 0.3 };
      const before = (await tp.teach()).gripper;
      await tp.record('0');
      await tp.hold(15);
      await tp.slide(A);
      await tp.arrive(A);
      // G on the sliders closes it while the arm holds still
      await page.locator('.teach-sliders input').nth(0).focus();
      await page.keyboard.press('g');
      await tp.gripperAt(ARM, 1);
      await tp.hold(20);
      await tp.slide(B);
      await tp.arrive(B);
      await page.locator('#teach-gripper-open').click();
      await tp.gripperAt(ARM, 0);
      await tp.hold(15);
      await tp.stopRecording();
      const t = await tp.teach();
      expect(t.phase).toBe('recorded');
      expect({ sent: t.gripper.sent - before.sent, refused: t.gripper.refused - before.refused, error: t.gripper.error }).toEqual({ sent: 2, refused: 0, error: null });
    });
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

    type Replay = { gripper?: { events: number; performed: number }; stopped?: boolean; stopReason?: string; error?: string };
    const result = await tp.withArm(async () => {
      await page.locator('#teach-replay').click();
      await page.waitForFunction(() => window.engramTeach.replay.result !== null, undefined, { timeout: 30_000 });
      const r = (await tp.teach()).replay.result as Replay;
      if (r.stopped || r.error) throw new Error(`the replay did not finish: ${r.stopReason ?? r.error}`);
      return r;
    });
    expect(result).toMatchObject({ stopped: false, gripper: { events: 3, sent: 3, performed: 3 } });
    await tp.gripperAt(ARM, 0);
    await page.screenshot({ path: join(artifacts, 'teach-gripper-3-replayed.png') });
  }, 180_000);
});
