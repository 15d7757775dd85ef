import mqtt from 'mqtt';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Fleet, FleetError } from '../../bridge/fleet.js';
import { mqttMember } from '../../bridge/members.js';
import { startEmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { SimMqttRobot } from '../../bridge/mqtt/sim-robot.js';
import type { JointState, TrajectoryPoint } from '../../robots/driver.js';
import { loadKeyboard } from '../../robots/load.js';
import { localMotion } from '../../robots/motion/motion-source.js';
import { simulatedIndustrialArm } from '../../sim/simulated-robots.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { Rng } from '../../src/snn/rng.js';
import { recallSkill, robotJoints, teachSkill, type DemoSample } from '../../src/skills/index.js';
import { accessFiles } from '../helpers/mqtt-access.js';
import { readFileSync } from 'node:fs';
import { describeRobotMessage } from '../../robots/urdf.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentCore } from '../../src/agent/agent-core.js';
import { checkCommand } from '../../src/agent/command-schemas.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { HOME, SIX } from '../helpers/six-joint-arm.js';

/** Pick and place on the six-joint arm at 100 Hz: reach, pause and close at 2.1 s, carry, open at 3.2 s while moving. */
function pickAndPlace(seed = 1): DemoSample[] {
  const rng = new Rng(seed);
  const a = HOME;
  const b = HOME.map((q, j) => q + [0.15, -0.1, 0.12, 0.05, -0.1, 0.15][j]!);
  const c = HOME.map((q, j) => q + [-0.15, 0.05, -0.1, 0.1, 0.05, -0.15][j]!);
  const plan = [
    { from: a, to: a, seconds: 0.5 },
    { from: a, to: b, seconds: 1.2 },
    { from: b, to: b, seconds: 0.8 },
    { from: b, to: c, seconds: 1.5 },
  ];
  const out: DemoSample[] = [];
  let t = 0;
  for (const seg of plan) {
    for (let k = 0; k < seg.seconds * 100; k++, t += 0.01) {
      const s = (1 - Math.cos((Math.PI * k) / (seg.seconds * 100))) / 2;
      out.push({ time: t, positions: seg.from.map((x, j) => x + s * (seg.to[j]! - x) + (rng.next() - 0.5) * 0.004), gripper: t >= 2.1 - 1e-9 && t < 3.2 - 1e-9 ? 1 : 0 });
    }
  }
  out.push({ time: t, positions: [...c], gripper: 0 });
  return out;
}

describe('gripper events of a skill on a simulated arm over MQTT (embedded broker, shipped ACL)', () => {
  const files = accessFiles(['sim-arm', 'bare-arm']);
  afterAll(() => files.remove());
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
    cleanup.length = 0;
  });

  async function setup(id: string, gripper: boolean) {
    const memory = new SequenceMemory();
    teachSkill(memory, 'pick', pickAndPlace(), robotJoints(SIX));
    const broker = await startEmbeddedBroker({ port: 0, access: files.access() });
    cleanup.push(() => broker.close());
    const sim = new SimMqttRobot({ url: broker.url, robotId: id, robot: simulatedIndustrialArm(SIX, { start: HOME, ...(gripper ? {} : { gripper: false }) }), ...files.login(id) });
    // what the robot's controller was told: trajectories and gripper commands, on its clock
    const followed: TrajectoryPoint[][] = [];
    const grips: Array<{ closure: number; at: number | undefined }> = [];
    const arm = sim.arm;
    const follow = arm.follow.bind(arm);
    arm.follow = (p) => (followed.push(p), follow(p));
    if (arm.grip) {
      const grip = arm.grip.bind(arm);
      arm.grip = (closure, at) => (grips.push({ closure, at }), grip(closure, at));
    }
    await sim.start();
    cleanup.push(() => sim.stop());
    const client = await mqtt.connectAsync(broker.url, { clientId: 'engram-agent-gripper', reconnectPeriod: 200, queueQoSZero: false, ...files.agent });
    cleanup.push(() => client.endAsync(true));
    const fleet = new Fleet(localMotion(memory), { keyboard: loadKeyboard() });
    cleanup.push(() => fleet.close());
    fleet.add(await mqttMember(client, id));
    const states: JointState[] = [];
    fleet.events.on('state', ({ state }) => states.push(state));
    return { memory, sim, fleet, followed, grips, states };
  }

  it('the robot gets each gripper command at the time the memory recalls it (1x and 2x), opens and closes, and reports it', async () => {
    const env = await setup('sim-arm', true);
    const { fleet, followed, grips, states, memory } = env;
    expect(fleet.describe().robots[0]!.description.gripper).toEqual({ seconds: 0.4 });
    for (const tempo of [1, 2]) {
      followed.length = 0;
      grips.length = 0;
      const events: Array<{ type: string; [k: string]: unknown }> = [];
      const r = (await fleet.performSkill('pick', 'sim-arm', { tempo }, (e) => void events.push(e))) as Record<string, unknown>;
      expect(r).toMatchObject({ stopped: false, gripper: { events: 3, sent: 3, performed: 3 } });
      expect(r).not.toHaveProperty('warning');
      expect(events.filter((e) => e.type === 'gripper').map((e) => [e.closure, e.ok])).toEqual([[0, true], [1, true], [0, true]]);
      // the skill's first keyframe is the trajectory's third point (after the move to it): the gripper
      // commands are due at the recalled times after it, halved at 2x
      const start = followed[0]![2]!.time;
      const recalled = recallSkill(memory, 'pick', { tempo }).gripper!;
      expect(grips.map((g) => g.closure)).toEqual([0, 1, 0]);
      grips.forEach((g, i) => expect(g.at! - start).toBeCloseTo(recalled[i]!.time, 6));
      [0, 2.1, 3.2].forEach((t, i) => expect(Math.abs(grips[i]!.at! - start - t / tempo)).toBeLessThan(0.003));
      // the arm's gripper, as it reports it with its joint states: closed from the close, open again after the opening
      const during = states.filter((s) => s.time > grips[1]!.at! + 0.45 && s.time < grips[2]!.at!);
      expect(during.length).toBeGreaterThan(0);
      expect(during.every((s) => s.gripper === 1)).toBe(true);
      expect(states.filter((s) => s.time > grips[1]!.at! - 0.3 && s.time < grips[1]!.at!).every((s) => s.gripper === 0)).toBe(true);
      expect(states[states.length - 1]!.gripper).toBe(0);
    }
    // an operator's grip command on the idle arm: answered when the gripper got there
    await expect(fleet.grip('sim-arm', 1)).resolves.toEqual({ robot: 'sim-arm', closure: 1, position: 1 });
    await expect.poll(() => states[states.length - 1]!.gripper).toBe(1);
  }, 60_000);

  it('a stop cancels the gripper commands still ahead: the gripper stays where it was', async () => {
    const { fleet, grips, states } = await setup('sim-arm', true);
    const run = fleet.performSkill('pick', 'sim-arm', {}, () => undefined);
    // stopped once the arm has reached the first keyframe, well before the close
    await expect.poll(() => grips.length, { timeout: 5000 }).toBe(3);
    const closeAt = grips[1]!.at!;
    await expect.poll(() => states[states.length - 1]!.time > closeAt - 1.5, { timeout: 5000 }).toBe(true);
    fleet.stop('stop command', ['sim-arm']);
    const r = (await run) as Record<string, unknown>;
    expect(r).toMatchObject({ stopped: true, stopReason: 'stop command' });
    expect(r.warning).toMatch(/gripper events were not performed/);
    // past the time it would have closed: still open
    await expect.poll(() => states[states.length - 1]!.time > closeAt + 0.6, { timeout: 5000 }).toBe(true);
    expect(states.filter((s) => s.time > closeAt).every((s) => s.gripper === 0)).toBe(true);
    // and while stopped no gripper command goes out
    await expect(fleet.grip('sim-arm', 1)).rejects.toThrow(/is stopped/);
  }, 60_000);

  it('a robot without a gripper performs the joints, and the result says the gripper events were not performed', async () => {
    const { fleet, followed, grips } = await setup('bare-arm', false);
    expect(fleet.describe().robots[0]!.description.gripper).toBeUndefined();
    const r = (await fleet.performSkill('pick', 'bare-arm', { tempo: 2 }, () => undefined)) as Record<string, unknown>;
    expect(r).toMatchObject({ stopped: false, gripper: { events: 3, sent: 0, performed: 0 }, warning: "robot 'bare-arm' has no gripper: the skill's 3 gripper events were not performed" });
    expect(r.reached).toBe(r.keyframes);
    expect(followed.length).toBe(1);
    expect(grips).toEqual([]);
    await expect(fleet.grip('bare-arm', 1)).rejects.toThrow(new FleetError("gripper: robot 'bare-arm' has no gripper"));
  }, 60_000);

  it('the teach command takes the gripper as numbers or words, the grip command moves it; a bad one is refused naming the field', async () => {
    const { fleet, states } = await setup('sim-arm', true);
    const dir = mkdtempSync(join(tmpdir(), 'engram-gripper-'));
    const service = new MemoryOnThread(new SequenceMemory(), join(dir, 'memory.engram'));
    const core = new AgentCore({ memory: service });
    core.robots = fleet;
    cleanup.push(() => (core.dispose(), rmSync(dir, { recursive: true, force: true })));
    const ask = async (command: Record<string, unknown>) => {
      const checked = checkCommand(JSON.stringify({ id: 'c', replyTo: 'me', ...command }));
      if (!checked.ok) return { error: checked.error };
      try {
        return { result: (await core.run(checked.message, 'test')) as Record<string, unknown> };
      } catch (err) {
        return { error: (err as Error).message };
      }
    };
    const samples = pickAndPlace().map((x) => ({ ...x, gripper: x.gripper === 1 ? 'closed' : 'open' }));
    const taught = await ask({ command: 'teach', skill: 'pick', robot: 'sim-arm', samples });
    expect(taught.result).toMatchObject({ skill: 'pick', gripperEvents: 3 });
    expect((await service.recallSkill('pick', {})).gripper!.map((g) => g.closure)).toEqual([0, 1, 0]);
    expect((await ask({ command: 'teach', skill: 'bad', robot: 'sim-arm', samples: samples.map((x, i) => (i === 7 ? { ...x, gripper: 'ajar' } : x)) })).error).toMatch(/^samples\.7\.gripper: /);
    expect((await ask({ command: 'teach', skill: 'bad', robot: 'sim-arm', samples: samples.map((x, i) => (i === 7 ? { ...x, gripper: 2 } : x)) })).error).toMatch(/^samples\.7\.gripper: /);
    expect((await ask({ command: 'teach', skill: 'bad', robot: 'sim-arm', samples: samples.map((x, i) => (i === 9 ? { time: x.time, positions: x.positions } : x)) })).error).toMatch(/samples\[9\]\.gripper: is missing/);
    expect(await service.has('bad')).toBe(false);
    expect((await ask({ command: 'grip', robot: 'sim-arm', gripper: 'closed' })).result).toEqual({ robot: 'sim-arm', closure: 1, position: 1 });
    await expect.poll(() => states[states.length - 1]!.gripper).toBe(1);
    expect((await ask({ command: 'grip', robot: 'sim-arm', gripper: 0 })).result).toEqual({ robot: 'sim-arm', closure: 0, position: 0 });
    expect((await ask({ command: 'grip', robot: 'sim-arm', gripper: 'ajar' })).error).toMatch(/^gripper: /);
    expect((await ask({ command: 'grip', robot: 'nope', gripper: 1 })).error).toMatch(/robot 'nope': not connected/);
  }, 60_000);

  it('a robot that announces itself by its URDF and sidecar says in the sidecar that it has a gripper; a bad one is refused naming the field', () => {
    const dir = new URL('../../robots/arms/', import.meta.url);
    const urdf = readFileSync(new URL('ur5e.urdf', dir), 'utf8');
    const engram = { ...(JSON.parse(readFileSync(new URL('ur5e.engram.json', dir), 'utf8')) as Record<string, unknown>), urdf: undefined };
    expect(describeRobotMessage({ urdf, engram: { ...engram, gripper: { seconds: 0.6 } } }, 'd').gripper).toEqual({ seconds: 0.6 });
    expect(describeRobotMessage({ urdf, engram }, 'd').gripper).toBeUndefined();
    expect(() => describeRobotMessage({ urdf, engram: { ...engram, gripper: { seconds: -1 } } }, 'd')).toThrow(/d: engram: gripper\.seconds: must be a number > 0 and <= 60/);
    expect(() => describeRobotMessage({ urdf, engram: { ...engram, gripper: 'yes' } }, 'd')).toThrow(/d: engram: gripper: must be an object/);
  });
});
