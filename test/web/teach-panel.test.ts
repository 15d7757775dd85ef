import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { webDir } from '../../src/agent/serve.js';
import { PoseCode } from '../../src/skills/pose-code.js';
import { agentPageSession, CHROMIUM } from '../helpers/browser.js';
import { TeachPage } from '../helpers/teach-page.js';

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));
if (!haveBrowser) console.warn(`browser tests skipped: need ${CHROMIUM} (apt-get install chromium) and the built web app (npm run build)`);
it.runIf(!haveBrowser && process.env.ENGRAM_REQUIRE_BROWSER === '1')('has Chromium and the built web app', () => {
  expect(existsSync(CHROMIUM), CHROMIUM).toBe(true);
});
const artifacts = join(process.cwd(), 'test-artifacts');
const ARM = 'sim-arm';

/**
 * Acceptance 2 of issue 9: the teach panel driven as a person would, on the agent's simulated 6-joint
 * arm (a UR5e over MQTT behind its safety gate, as npm start runs it): jog (sliders, keys, dragging the
 * tool), record with a count-in, trim, edit keyframes, re-record, name and teach, replay at 2x, recognise
 * a new demonstration of it, rename and delete it. Waits are on the robot's joint states and the page's
 * state, never on the clock.
 */
describe.skipIf(!haveBrowser)('the teach panel on the simulated 6-joint arm', () => {
  const session = agentPageSession('teach', { simRobots: 0 }, (p) =>
    p.waitForFunction((id) => window.engramTeach?.robot === id && window.engramTeach.positions !== null, ARM, { timeout: 30_000 }),
  );
  const tp = new TeachPage(session);
  let page: Page;
  let api = '';
  let shot = 0;

  beforeAll(() => {
    page = session.page;
    api = session.api;
    mkdirSync(artifacts, { recursive: true });
    // this run's screenshots only (their numbers follow the steps)
    for (const f of readdirSync(artifacts)) if (/^teach-\d+-.*\.png$/.test(f)) rmSync(join(artifacts, f));
  });

  const screenshot = async (name: string) => {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(artifacts, `teach-${String(++shot).padStart(2, '0')}-${name}.png`) });
  };
  // poses at the centres of the pose code's bins: a new demonstration through the same poses is cut into the same symbols
  let code: PoseCode;
  // the centre of each joint's coarse column (what recognition matches on)
  const centre = (q: number[]) => code.decodePose(code.encodeCoarse(q)).positions.map((x) => x!);
  let start: number[] = [];
  let A: Record<number, number> = {};
  let B: Record<number, number> = {};

  /** Back to the start pose. */
  const toStart = async () => {
    const pose = Object.fromEntries(start.map((q, j) => [j, q]));
    await tp.slide(pose);
    await tp.arrive(pose);
  };

  /** From the start pose: Record (count-in `countIn` s), move to A (hold), to B (hold), and Stop unless `stop` is false. */
  const demonstrate = (countIn: '0' | '1' | '3', stop = true) =>
    tp.withArm(async () => {
      await toStart();
      await tp.record(countIn);
      await tp.hold(15);
      await tp.slide(A);
      await tp.arrive(A);
      await tp.hold(20);
      await tp.slide(B);
      await tp.arrive(B);
      if (!stop) return;
      await tp.hold(15);
      await tp.stopRecording();
    });

  it('jogs the arm by its joint sliders, by keys and by dragging its tool; the arm is drawn live', async () => {
    await tp.ready();
    const robot = await page.evaluate((id) => {
      const r = window.__engramView.robots().find((x) => x.id === id)!;
      return { kind: r.kind, sliders: [...document.querySelectorAll<HTMLInputElement>('.teach-sliders input')].map((i) => [Number(i.min), Number(i.max)] as [number, number]) };
    }, ARM);
    expect(robot.kind).toBe('urdf'); // drawn from its URDF
    expect(robot.sliders).toHaveLength(6);
    for (const [min, max] of robot.sliders) expect(max).toBeGreaterThan(min); // within the joint's limits

    await tp.withArm(async () => {
      // sliders: joints 0 and 1 to new places; the arm (its joint states) and its drawing follow
      const q0 = (await tp.teach()).positions!;
      const drawnBefore = await page.evaluate((id) => window.__engramView.toolOnScreen(id), ARM);
      await tp.slide({ 0: q0[0]! + 0.4, 1: q0[1]! - 0.3 });
      await tp.arrive({ 0: q0[0]! + 0.4, 1: q0[1]! - 0.3 });
      const drawnAfter = await page.evaluate((id) => window.__engramView.toolOnScreen(id), ARM);
      expect(Math.hypot(drawnAfter!.x - drawnBefore!.x, drawnAfter!.y - drawnBefore!.y)).toBeGreaterThan(10);
      await screenshot('jogged-by-sliders');
    });
    await tp.withArm(async () => {
      // keys: 3 picks the third joint, two Right presses move it 0.2 rad, Shift+Left 0.02 back
      const q1 = (await tp.teach()).positions!;
      await page.locator('.teach-sliders input').nth(0).focus();
      await page.keyboard.press('3');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Shift+ArrowLeft');
      await tp.arrive({ 2: q1[2]! + 0.18 });
      // the keys moved the arm, not the page's transport
      expect((await tp.teach()).jog.error).toBeNull(); // the last jog was made
    });
    await tp.withArm(async () => {
      // the tool dragged up and to the left in the 3D view: inverse kinematics jogs the arm after it
      const tool = (await page.evaluate((id) => window.__engramView.toolOnScreen(id), ARM))!;
      const before = (await tp.teach()).positions!;
      await page.mouse.move(tool.x, tool.y);
      await page.mouse.down();
      for (let k = 1; k <= 10; k++) await page.mouse.move(tool.x - 4 * k, tool.y - 3 * k);
      await page.mouse.up();
      const t = await tp.teach();
      expect(t.drag.solved).toBeGreaterThan(0);
      await page.waitForFunction((b) => window.engramTeach.positions!.some((q, j) => Math.abs(q - b[j]!) > 0.02) && !document.querySelector('#teach-status')!.textContent!.startsWith('jog refused'), before, { timeout: 20_000 });
      // settle, then the tool is nearer where it was dragged to than where it was
      await tp.settle(3, 20);
      const dropped = (await page.evaluate((id) => window.__engramView.toolOnScreen(id), ARM))!;
      expect(Math.hypot(dropped.x - (tool.x - 40), dropped.y - (tool.y - 30))).toBeLessThan(Math.hypot(tool.x - (tool.x - 40), tool.y - (tool.y - 30)));
      await screenshot('jogged-by-dragging-the-tool');
    });
  }, 120_000);

  it('refuses a recording in which the arm did not move, in the page and in the agent', async () => {
    await tp.ready();
    await tp.record('1');
    await tp.hold(20);
    await page.locator('#teach-stop').click();
    const t = await tp.teach();
    expect(t.phase).toBe('idle');
    expect(t.message).toMatch(/the arm did not move while recording/);
    expect(await page.locator('#teach-save').isDisabled()).toBe(true);
    // the agent refuses it too, whoever sends it
    const q = t.positions!;
    const res = await fetch(`${api}/api/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'teach', skill: 'nothing', robot: ARM, samples: [0, 0.5, 1].map((time) => ({ time, positions: q })) }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/demonstration 'nothing': the arm did not move/);
  }, 60_000);

  it('records with a count-in, draws joint curves with keyframes, trims the idle ends, moves and deletes keyframes, records again, and teaches it by name', async () => {
    await tp.ready();
    // the pose code of the arm's joints (their ranges are the sliders')
    code = PoseCode.forJoints(
      await page.evaluate(() => [...document.querySelectorAll<HTMLInputElement>('.teach-sliders input')].map((i, k) => ({ name: `j${k}`, min: Number(i.min), max: Number(i.max) }))),
    );
    // a start pose at bin centres, then two moves that end at bin centres
    start = centre((await tp.teach()).positions!);
    const a = centre(start.map((q, j) => (j === 0 ? q + 0.45 : q)));
    const b = centre(a.map((q, j) => (j === 1 ? q - 0.4 : j === 2 ? q + 0.3 : q)));
    A = { 0: a[0]! };
    B = { 1: b[1]!, 2: b[2]! };

    await demonstrate('3');
    let t = await tp.teach();
    expect(t.phase).toBe('recorded');
    expect(t.samples).toBeGreaterThan(40);
    expect(t.keyframes.length).toBeGreaterThanOrEqual(3);
    expect(t.identified).toBeGreaterThan(0); // "what is this skill?" was asked (no skills yet)
    const curves = (await page.evaluate(() => window.engramTeachCurves()))!;
    expect(curves.joints).toBe(6);
    expect(curves.points).toBe(t.samples * 6); // every sample, in every joint's lane
    expect(curves.keyframes).toHaveLength(t.keyframes.length);
    await screenshot('recorded-joint-curves');

    // trim: the still start and end are cut
    await page.locator('#teach-trim').click();
    t = await tp.teach();
    expect(t.trim!.from).toBeGreaterThan(0);
    expect(t.trim!.to).toBeLessThan(t.duration);
    const keyframes = t.keyframes.length;

    // a keyframe pressed on the curves is selected, dragged later in time, then deleted
    const shown = (await page.evaluate(() => window.engramTeachCurves()))!;
    const i = 1;
    const was = t.keyframes[i]!.time;
    const k = shown.keyframes[i]!;
    const y = shown.box.y + shown.box.height * 0.5;
    await page.mouse.move(k.x, y);
    await page.mouse.down();
    await page.mouse.move(k.x + 10, y);
    await page.mouse.move(k.x + 25, y);
    await page.mouse.up();
    t = await tp.teach();
    expect(t.selected).toBe(i);
    expect(t.edited).toBe(true);
    expect(t.keyframes[i]!.time).toBeGreaterThan(was);
    await screenshot('keyframe-moved');
    await page.locator('#teach-delete-keyframe').click();
    t = await tp.teach();
    expect(t.keyframes).toHaveLength(keyframes - 1);
    await screenshot('keyframe-deleted');

    // record again: the edited recording is dropped, a new one made
    expect(await page.locator('#teach-record').textContent()).toBe('Record again');
    await demonstrate('1');
    t = await tp.teach();
    expect(t.phase).toBe('recorded');
    expect(t.edited).toBe(false);
    await page.locator('#teach-trim').click();
    t = await tp.save('reach');
    expect(t.message).toMatch(/learned reach: \d+ keyframes/);
    expect(t.skill).toBe('reach');
    expect(t.phase).toBe('skill');
    expect(t.skills).toEqual(['reach']);
    // the library lists it as a skill, and its path is drawn in 3D for the arm
    expect(await page.locator('#library button[data-title="reach"]').count()).toBe(1);
    expect(await page.evaluate((id) => window.__engramView.pathPoints(id), ARM)).toBeGreaterThan(1);
    await screenshot('taught-skill-path');
  }, 180_000);

  it('replays the skill on the arm at 2x on the timeline, through the safety gate', async () => {
    await tp.ready();
    const at1 = await tp.teach();
    const length1 = at1.keyframes.at(-1)!.time + at1.keyframes.at(-1)!.dwell;
    await page.locator('#teach-tempo').fill('2');
    await page.locator('#teach-tempo').dispatchEvent('change');
    await page.waitForFunction((l) => {
      const k = window.engramTeach.keyframes.at(-1);
      return window.engramTeach.replay.tempo === 2 && !!k && k.time + k.dwell < l * 0.75;
    }, length1, { timeout: 20_000 });
    const at2 = await tp.teach();
    const length2 = at2.keyframes.at(-1)!.time + at2.keyframes.at(-1)!.dwell;
    expect(length2 / length1, `${length2} s at 2x, ${length1} s at 1x`).toBeCloseTo(0.5, 1); // the timeline at 2x is half as long
    type Replay = { tempo: number; due: number; reached: number; stopped: boolean; stopReason?: string; error?: string };
    const r = await tp.withArm(async () => {
      await page.locator('#teach-replay').click();
      await page.waitForFunction(() => (window.engramTeach.replay.running && (window.engramTeach.replay.playhead ?? 0) > 0) || window.engramTeach.replay.result !== null, undefined, { timeout: 30_000 });
      expect((await tp.teach()).replay.result).toBeNull(); // still running
      await screenshot('replaying-at-2x');
      await page.waitForFunction(() => !window.engramTeach.replay.running, undefined, { timeout: 60_000 });
      const result = (await tp.teach()).replay.result as Replay;
      if (result.stopped || result.error) throw new Error(`the replay did not finish: ${result.stopReason ?? result.error}`);
      return result;
    });
    expect(r.error).toBeUndefined();
    expect(r.stopped).toBe(false);
    expect(r.tempo).toBeGreaterThan(1); // 2x, or what of it fits the arm's limits (then the answer says it was slowed)
    expect(r.due).toBe(at2.keyframes.length);
    expect(r.reached).toBe(r.due);
    // the skill's path stays drawn once the arm is idle again: the idle status comes on the robot
    // stream, the answer on the command, in either order, and neither clears the path the panel shows
    await page.waitForFunction((id) => window.__engramView.robots().find((x) => x.id === id)?.activity === 'idle', ARM, { timeout: 20_000 });
    expect(await page.evaluate((id) => window.__engramView.pathPoints(id), ARM)).toBeGreaterThan(1);
  }, 120_000);

  it('names the skill from a new demonstration of it while the arm moves', async () => {
    await tp.ready();
    await demonstrate('0', false);
    // live, before Stop: the memory names it
    await page.waitForFunction(() => window.engramTeach.guesses[0]?.title === 'reach', undefined, { timeout: 20_000 });
    await screenshot('recognised-while-moving');
    await page.locator('#teach-stop').click();
    const t = await tp.teach();
    expect(t.guesses[0]!.title).toBe('reach');
    expect(t.guesses[0]!.score).toBeGreaterThan(0);
    expect(await page.locator('#teach-guesses').textContent()).toMatch(/What is this skill\? reach \d+%/);
  }, 90_000);

  it('completes the skill named from where the arm stopped: the rest of it, on the robot', async () => {
    await tp.ready();
    // a new demonstration that stops half way, at A
    await tp.withArm(async () => {
      await toStart();
      await tp.record('0');
      await tp.hold(15);
      await tp.slide(A);
      await tp.arrive(A);
      await tp.hold(20);
      await tp.stopRecording();
    });
    await page.waitForFunction(() => window.engramTeach.best === 'reach', undefined, { timeout: 20_000 });
    expect(await page.locator('#teach-complete').textContent()).toBe('Complete “reach” on the robot');
    await page.locator('#teach-complete').click();
    await page.waitForFunction(() => window.engramTeach.completed !== null, undefined, { timeout: 30_000 });
    const done = (await tp.teach()).completed as { error?: string; best: string; place: number; performed: { reached: number; due: number; stopped: boolean } };
    expect(done.error).toBeUndefined();
    expect(done.best).toBe('reach');
    expect(done.performed.stopped).toBe(false);
    expect(done.performed.reached).toBe(done.performed.due);
    // the rest of the skill: on to B (where the skill, as the memory holds it, ends: within its keyframes' error)
    const end = (await tp.teach()).positions!;
    for (const [j, q] of Object.entries(B)) expect(Math.abs(end[Number(j)]! - q)).toBeLessThan(0.03);
    expect(await page.locator('#teach-status').textContent()).toMatch(/completed reach from [\d.]+ s into it: (\d+) of \1 keyframes reached/);
    await screenshot('completed-on-the-robot');
  }, 90_000);

  it('renames the skill and deletes it', async () => {
    await tp.ready();
    await page.locator('#teach-skills button[data-skill="reach"]').click();
    await page.waitForFunction(() => window.engramTeach.phase === 'skill' && window.engramTeach.skill === 'reach');
    await page.locator('#teach-new-name').fill('reach out');
    await page.locator('#teach-rename').click();
    await page.waitForFunction(() => window.engramTeach.skills.includes('reach out') && !window.engramTeach.skills.includes('reach'), undefined, { timeout: 20_000 });
    expect((await tp.teach()).skill).toBe('reach out');
    await page.locator('#teach-forget').click();
    expect(await page.locator('#teach-forget').textContent()).toBe('Really delete reach out?');
    await page.locator('#teach-forget').click();
    await page.waitForFunction(() => window.engramTeach.skills.length === 0, undefined, { timeout: 20_000 });
    const titles = (await (await fetch(`${api}/api/titles`)).json()) as Array<{ title: string }>;
    expect(titles.map((x) => x.title)).not.toContain('reach out');
    expect(await page.evaluate((id) => window.__engramView.pathPoints(id), ARM)).toBe(0);
    await screenshot('deleted');
  }, 60_000);

  it('freedrive: the forearm grabbed in the 3D view and pulled, the shoulder and elbow give way, the wrist stays; released, the arm holds; a recording of it is taught', async () => {
    await tp.ready();
    type Freedrive = Window['engramFreedrive']['state'];
    const freedrive = () => page.evaluate(() => JSON.parse(JSON.stringify(window.engramFreedrive.state)) as Freedrive);
    await page.locator('#teach-freedrive').click();
    expect(await page.locator('#teach-freedrive').getAttribute('aria-pressed')).toBe('true');
    expect((await freedrive()).on).toBe(true);
    const skill = await tp.withArm(async () => {
      await tp.record('0');
      await tp.hold(10);
      const before = (await tp.teach()).positions!;
      const jogs = (await tp.teach()).jog.sent;
      // press on the forearm (the link after the elbow) and pull it up and to the left
      const at = await page.evaluate((id) => window.engramFreedrive.linkOnScreen(id, 'forearm_link'), ARM);
      expect(at, 'the forearm is on screen').not.toBeNull();
      await page.mouse.move(at!.x, at!.y);
      await page.mouse.down();
      let f = await freedrive();
      expect(f.link).toBe('forearm_link');
      expect(f.moving).toEqual([0, 1, 2]); // pan, lift and elbow move the forearm; the wrist joints do not
      for (let k = 1; k <= 12; k++) await page.mouse.move(at!.x - 5 * k, at!.y - 6 * k);
      // held there: the arm gives way towards the hand, jogged through the agent
      await page.waitForFunction((b) => window.engramTeach.positions!.slice(0, 3).some((q, j) => Math.abs(q - b[j]!) > 0.05), before, { timeout: 20_000 });
      f = await freedrive();
      expect(f.force).toBeGreaterThan(0);
      expect(f.targets).toBeGreaterThan(0);
      await screenshot('freedrive-pulling-the-forearm');
      await page.mouse.up();
      f = await freedrive();
      expect(f.link).toBeNull();
      // released: no more poses are sent, and the arm comes to rest where the last one put it
      const targets = f.targets;
      await tp.settle();
      await tp.hold(10);
      expect((await freedrive()).targets).toBe(targets);
      const after = (await tp.teach()).positions!;
      const t = await tp.teach();
      expect(t.jog.sent).toBeGreaterThan(jogs); // the moves went through the agent's jog
      for (const j of [3, 4, 5]) expect(Math.abs(after[j]! - before[j]!), `wrist joint ${j}`).toBeLessThan(1e-3);
      expect(Math.max(...[0, 1, 2].map((j) => Math.abs(after[j]! - before[j]!)))).toBeGreaterThan(0.05);
      // the tool went up on screen with the pull
      await tp.stopRecording();
      return { before, after };
    });
    let t = await tp.teach();
    expect(t.phase).toBe('recorded');
    expect(t.keyframes.length).toBeGreaterThanOrEqual(2);
    await screenshot('freedrive-recorded');
    await page.locator('#teach-trim').click();
    t = await tp.save('freedriven');
    expect(t.message).toMatch(/learned freedriven: \d+ keyframes/);
    // what was taught is the freedriven motion: its last keyframe is where the arm was let go
    const recalled = await fetch(`${api}/api/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'recall', title: 'freedriven' }) });
    const last = ((await recalled.json()) as { result: { keyframes: Array<{ positions: number[] }> } }).result.keyframes.at(-1)!.positions;
    for (let j = 0; j < 3; j++) expect(Math.abs(last[j]! - skill.after[j]!), `joint ${j}`).toBeLessThan(0.03);

    // off: a press on the forearm turns the view, the arm is held
    await page.locator('#teach-freedrive').click();
    expect(await page.locator('#teach-freedrive').getAttribute('aria-pressed')).toBe('false');
    const grabs = (await freedrive()).grabs;
    const at = await page.evaluate((id) => window.engramFreedrive.linkOnScreen(id, 'forearm_link'), ARM);
    if (at) {
      await page.mouse.move(at.x, at.y);
      await page.mouse.down();
      await page.mouse.move(at.x - 30, at.y - 30);
      await page.mouse.up();
    }
    expect((await freedrive()).grabs).toBe(grabs);
  }, 150_000);

  it('fits a phone screen: one column, nothing wider than the page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#teach-panel').scrollIntoViewIfNeeded();
    const overflow = await page.evaluate(() => {
      const panel = document.querySelector<HTMLElement>('#teach-panel')!;
      return { panel: panel.scrollWidth - panel.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth };
    });
    expect(overflow.panel).toBeLessThanOrEqual(0);
    expect(overflow.page).toBeLessThanOrEqual(0);
    await page.locator('#teach-panel').screenshot({ path: join(artifacts, `teach-${String(++shot).padStart(2, '0')}-phone.png`) });
  }, 30_000);
});
