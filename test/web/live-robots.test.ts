import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../bridge/fleet.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { loadRobot } from '../../robots/load.js';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.js';
import { webDir } from '../../src/agent/serve.js';
import { MqttUrdfArm, SIX_JOINTS } from '../helpers/mqtt-urdf-arm.js';
import { accessFiles } from '../helpers/mqtt-access.js';
import { CHROMIUM, launchChromium } from '../helpers/browser.js';

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
  let chainOnly: MqttUrdfArm;
  let agent: RunningAgent;
  let fleet: Fleet;
  let browser: Browser;
  let page: Page;
  /** The agent's own 6-joint arm (what npm start runs) and a robot of someone else's on the broker. */
  const SIM = 'sim-arm';
  const ARM = 'arm6';
  const CHAIN = 'chain7';
  const UR5E = loadRobot('ur5e').joints.map((j) => j.name);
  /** Every joint state the agent had from the sim arm, by its time. */
  const simStates = new Map<number, number[]>();
  let memoryDir = '';

  // the same logins an external mosquitto would have: the agent, the robots by their ids (the simulated
  // ones share a password the agent is given), an operator
  const SIM_PASSWORD = 'sim-robots-test-password';
  const files = accessFiles([ARM, CHAIN, 'sim-left', 'sim-right', SIM], ['operator'], { 'sim-left': SIM_PASSWORD, 'sim-right': SIM_PASSWORD, [SIM]: SIM_PASSWORD });

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0, access: files.access() });
    arm = new MqttUrdfArm({ url: broker.url, robotId: ARM, ...files.login(ARM) });
    await arm.start();
    // a robot that sends its kinematic chain but no URDF: drawn as a skeleton from the chain
    const { urdf: _, ...panda } = loadRobot('panda');
    chainOnly = new MqttUrdfArm({ url: broker.url, robotId: CHAIN, description: panda, ...files.login(CHAIN) });
    await chainOnly.start();
    // as npm start: the piano arms and the 6-joint sim arm; and the other robot, named
    memoryDir = mkdtempSync(join(tmpdir(), 'engram-live-'));
    agent = await runAgent({ memoryFile: join(memoryDir, 'memory.engram'), bundled: false, host: '127.0.0.1', port: 0, broker: broker.url, ...files.agent, simRobotPassword: SIM_PASSWORD, mqttPort: 0, simRobots: 2, mqttRobots: [ARM, CHAIN], log: () => undefined });
    fleet = agent.core.robots as Fleet;
    fleet.events.on('state', ({ id, state }) => {
      if (id === SIM) simStates.set(state.time, [...state.positions]);
    });
    const port = (agent.http.address() as { port: number }).port;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => window.__engramView?.robots().length === 5, undefined, { timeout: 30_000 });
    mkdirSync(artifacts, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await arm?.stop();
    await chainOnly?.stop();
    await broker?.close();
    files.remove();
    if (memoryDir) rmSync(memoryDir, { recursive: true, force: true });
  });

  const view = <T>(fn: (id: string) => T, id: string) => page.evaluate(fn, id);
  const boxUnion = (a: Box, b: Box): Box => {
    const x = Math.min(a.x, b.x);
    const y = Math.min(a.y, b.y);
    return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
  };

  it('shows the 6-joint sim arm and the robot on MQTT from their URDFs, a robot from its chain alone, and the two piano arms, each live', async () => {
    const robots = await page.evaluate(() => window.__engramView.robots());
    expect(robots.map((r) => [r.id, r.kind, r.connected]).sort()).toEqual([
      [ARM, 'urdf', true],
      [CHAIN, 'urdf', true],
      [SIM, 'urdf', true],
      ['sim-left', 'planar', true],
      ['sim-right', 'planar', true],
    ]);
    // stopped as the agent says (on a starved machine its watchdog may have stopped one: the page says so)
    const truth = new Map(fleet.list().map((r) => [r.id, r.stopped]));
    await expect.poll(() => page.evaluate(() => window.__engramView.robots().map((r) => [r.id, r.stopped]))).toEqual(robots.map((r) => [r.id, truth.get(r.id)]));
    expect(Object.keys((await view((id) => window.__engramView.jointValues(id), SIM))!).sort()).toEqual([...UR5E].sort());
    expect(Object.keys((await view((id) => window.__engramView.jointValues(id), ARM))!).sort()).toEqual([...SIX_JOINTS].sort());
    // states keep arriving for every robot (a live view, not a snapshot)
    expect(Object.keys((await view((id) => window.__engramView.jointValues(id), CHAIN))!)).toHaveLength(7);
    const ids = [SIM, ARM, CHAIN, 'sim-left', 'sim-right'];
    const before = await page.evaluate((ids) => ids.map((id) => window.__engramView.statesShown(id)), ids);
    await page.waitForFunction(([ids, b]) => ids.every((id, i) => window.__engramView.statesShown(id) > b[i]! + 5), [ids, before] as const, { timeout: 20_000 });
    // every robot is in the picture
    for (const id of ids) {
      const box = (await view((i) => window.__engramView.screenBox(i), id))!;
      expect(box.width * box.height, id).toBeGreaterThan(400);
    }
    await page.locator('#stage').screenshot({ path: join(artifacts, 'live-robots.png') });
  }, 60_000);

  it("the 6-joint arm's pose on screen follows its joint states: every pose drawn is a state it reported, and the pixels move with it", async () => {
    fleet.resume([SIM]);
    const gate = fleet.member(SIM).gate;
    const from = gate.state().positions;
    const target = from.map((q, j) => q + [0.8, -0.6, 0.9, -0.7, 0.6, 1.0][j]!);
    await snapshot(page, 'sim before');
    const boxBefore = (await view((id) => window.__engramView.screenBox(id), SIM))!;
    const toolBefore = (await view((id) => window.__engramView.toolOnScreen(id), SIM))!;
    // in the page, every frame: the robot time of the state drawn and the joint values drawn
    await page.evaluate((id) => {
      const w = window as unknown as { __samples: Array<{ t: number; v: Record<string, number> }>; __sampling: boolean };
      w.__samples = [];
      w.__sampling = true;
      const tick = () => {
        const t = window.__engramView.stateTime(id);
        if (t !== null && t !== w.__samples[w.__samples.length - 1]?.t) w.__samples.push({ t, v: window.__engramView.jointValues(id)! });
        if (w.__sampling) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }, SIM);
    const now = gate.state().time;
    const zero = from.map(() => 0);
    gate.follow([
      { time: now + 0.1, positions: from, velocities: zero },
      { time: now + 2.6, positions: target, velocities: zero },
    ]);
    await page.waitForFunction(
      ([id, names, want]) => {
        const v = window.__engramView.jointValues(id)!;
        return names.every((n, i) => Math.abs(v[n]! - want[i]!) < 1e-6);
      },
      [SIM, UR5E, target] as const,
      { timeout: 20_000 },
    );
    const samples = await page.evaluate(() => {
      const w = window as unknown as { __samples: Array<{ t: number; v: Record<string, number> }>; __sampling: boolean };
      w.__sampling = false;
      return w.__samples;
    });
    // many poses along the way, each one exactly a joint state the robot reported at that time
    const moving = samples.filter((s) => Math.abs(s.v[UR5E[0]!]! - from[0]!) > 1e-3 && Math.abs(s.v[UR5E[0]!]! - target[0]!) > 1e-3);
    expect(moving.length).toBeGreaterThan(15);
    for (const s of samples) {
      const reported = simStates.get(s.t);
      expect(reported, `a state at ${s.t}`).toBeDefined();
      UR5E.forEach((n, j) => expect(s.v[n]).toBe(reported![j]));
    }
    await snapshot(page, 'sim after');
    const boxAfter = (await view((id) => window.__engramView.screenBox(id), SIM))!;
    const toolAfter = (await view((id) => window.__engramView.toolOnScreen(id), SIM))!;
    await page.locator('#stage').screenshot({ path: join(artifacts, 'sim-arm-moved.png') });
    expect(Math.hypot(toolAfter.x - toolBefore.x, toolAfter.y - toolBefore.y)).toBeGreaterThan(20);
    // the pixels changed where the arm is (was, or is now), and not elsewhere: the other robots hold
    // still and the camera stays put
    const moved = await pixelChanges(page, 'sim before', 'sim after', boxUnion(boxBefore, boxAfter));
    expect(moved.inside).toBeGreaterThan(500);
    expect(moved.outside).toBeLessThan(moved.inside / 50);
  }, 60_000);

  it("a robot of someone else's on MQTT is drawn from the URDF in its description and follows what it reports", async () => {
    const rest = [0, 0, 0, 0, 0, 0];
    const bent = [0.9, 0.8, 0.9, -0.6, 0.5, 1.2];
    const shows = (q: number[]) =>
      page.waitForFunction(
        ([id, names, want]) => {
          const v = window.__engramView.jointValues(id)!;
          return names.every((n, i) => Math.abs(v[n]! - want[i]!) < 1e-9);
        },
        [ARM, SIX_JOINTS, q] as const,
        { timeout: 10_000 },
      );
    arm.hold(rest);
    await shows(rest);
    await snapshot(page, 'rest');
    const boxRest = (await view((id) => window.__engramView.screenBox(id), ARM))!;
    const toolRest = (await view((id) => window.__engramView.toolOnScreen(id), ARM))!;
    arm.hold(bent);
    await shows(bent);
    await snapshot(page, 'bent');
    const boxBent = (await view((id) => window.__engramView.screenBox(id), ARM))!;
    const toolBent = (await view((id) => window.__engramView.toolOnScreen(id), ARM))!;
    await page.locator('#stage').screenshot({ path: join(artifacts, 'arm6-bent.png') });
    expect(Math.hypot(toolBent.x - toolRest.x, toolBent.y - toolRest.y)).toBeGreaterThan(20);
    const region = boxUnion(boxRest, boxBent);
    const moved = await pixelChanges(page, 'rest', 'bent', region);
    expect(moved.inside).toBeGreaterThan(500);
    expect(moved.outside).toBeLessThan(moved.inside / 50);
    // and back: the same picture as before
    arm.hold(rest);
    await shows(rest);
    await snapshot(page, 'rest again');
    const back = await pixelChanges(page, 'rest', 'rest again', region);
    expect(back.inside + back.outside).toBeLessThan(50);
  }, 60_000);

  it('a skill on the sim arm: its planned path is drawn while it runs, and the tool on screen moves along it', async () => {
    fleet.resume([SIM]);
    const from = fleet.member(SIM).gate.state().positions;
    // a demonstration (as if recorded from the arm): lean over, turn, come back part way
    const samples = Array.from({ length: 301 }, (_, k) => {
      const t = k / 50;
      const s = (1 - Math.cos((Math.PI * t) / 6)) / 2; // 0 -> 1 over 6 s, smoothly
      return { time: t, positions: from.map((q, j) => q + [1.2 * s, -0.7 * Math.sin(Math.PI * s), 0.9 * s, -0.4 * s, 0.6 * s, 0][j]!) };
    });
    const taught = await page.evaluate(async (body) => (await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json(), { command: 'teach', skill: 'lean and turn', robot: SIM, samples });
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
    }, SIM);
    // the path shows up while it runs (or the answer says why it did not run)
    const first = await Promise.race([run.then(() => 'answered'), page.waitForFunction((id) => window.__engramView.pathPoints(id) > 0, SIM, { timeout: 20_000 }).then(() => 'path')]);
    if (first === 'path') {
      await page.waitForFunction((id) => window.__engramView.robots().find((r) => r.id === id)?.activity === 'performing lean and turn', SIM);
      await page.waitForTimeout(1000); // part way along, for the picture
      await page.locator('#stage').screenshot({ path: join(artifacts, 'sim-arm-skill-path.png') });
    }
    const r = await run;
    expect(r.answer.ok, r.answer.error).toBe(true);
    expect(r.answer.result.stopped).toBe(false);
    expect(r.path.length).toBeGreaterThan(20);
    expect(r.seen.length).toBeGreaterThan(20);
    // every tool position shown lies on the drawn path (within a few pixels of the polyline), and the
    // tool went all the way along it
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
    const shown = (await view((id) => window.__engramView.jointValues(id), SIM))!;
    fleet.member(SIM).gate.state().positions.forEach((q, i) => expect(shown[UR5E[i]!]).toBeCloseTo(q, 3));
  }, 90_000);

  it('a robot that goes quiet is shown stopped, and the Resume button brings it back', async () => {
    arm.pause(true); // no joint states: the agent's watchdog stops it
    await page.waitForFunction((id) => window.__engramView.robots().find((r) => r.id === id)?.stopped === true, ARM, { timeout: 10_000 });
    const label = page.locator('.robot-label', { hasText: /^arm6 · / });
    await expect.poll(() => label.textContent()).toBe('arm6 · stopped');
    expect(await label.getAttribute('class')).toBe('robot-label stopped');
    expect(await label.getAttribute('title')).toMatch(/^stopped: no joint state/);
    // the robots panel hears it from the same stream
    await expect.poll(() => page.locator('#robots').textContent()).toMatch(/arm6 \(mqtt\) stopped: no joint state/);
    await page.locator('#stage').screenshot({ path: join(artifacts, 'arm6-stopped.png') });
    arm.pause(false);
    await page.locator('#resume-robots').click();
    await page.waitForFunction((id) => window.__engramView.robots().find((r) => r.id === id)?.stopped === false, ARM, { timeout: 10_000 });
    await expect.poll(() => label.getAttribute('class')).toBe('robot-label up');
    await expect.poll(() => page.locator('#robots').textContent()).toMatch(/arm6 \(mqtt\) idle/);
  }, 30_000);
});
