import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../../bridge/fleet.js';
import { rosMember } from '../../bridge/members.js';
import { RosAgent } from '../../bridge/ros/ros-agent.js';
import { RosArmDriver } from '../../bridge/ros/ros-arm-driver.js';
import { RosLink } from '../../bridge/ros/ros-link.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { armBehind, kb, left, NAMES } from '../helpers/ros-arm.js';
import { startRosbridge, type TestRosbridge } from '../helpers/rosbridge-server.js';
import { checkRoutedText } from '../../src/agent/command-schemas.js';

/** What the agent published on a String topic, parsed. */
const published = (bridge: TestRosbridge, topic: string) => (bridge.published.get(topic) ?? []).map((m) => JSON.parse((m as { data: string }).data));

describe('the agent on ROS: services, command topic, events, a ROS arm taught and driven', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  for (const version of [1, 2] as const) {
    it(`ROS ${version}: teach from /joint_states, perform the skill by action, stop and status as Trigger services`, async () => {
      const bridge = await startRosbridge();
      const sim = armBehind(bridge, version === 2);
      const memory = new SequenceMemory();
      for (const m of bundledMelodies().slice(0, 3)) memory.learn(m.title, m.sequence);
      const service = new MemoryOnThread(memory);
      const core = new AgentCore({ memory: service });
      const fleet = new Fleet(service, { keyboard: kb });
      // the agent and the arm share one WebSocket, as engram serve does
      const link = new RosLink(bridge.url);
      const driver = new RosArmDriver({ link, description: left, jointNames: NAMES, rosVersion: version, command: 'action' });
      await driver.connect();
      await expect.poll(() => driver.state().positions.length).toBe(3);
      fleet.add(rosMember('arm', driver));
      core.robots = fleet;
      const agent = new RosAgent({ handle: core.handle, check: checkRoutedText, events: core.events, link, rosVersion: version });
      await agent.start();
      cleanup.push(() => link.close(), () => agent.stop(), () => fleet.close(), sim.stop, () => bridge.close());
      await expect.poll(() => bridge.advertisedServices.size).toBe(5);
      const t = (pkg: string, kind: string, name: string) => (version === 2 ? `${pkg}/${kind}/${name}` : `${pkg}/${name}`);
      expect(bridge.advertisedServices.get('/engram/status')).toBe(t('std_srvs', 'srv', 'Trigger'));
      expect(bridge.advertisedServices.get('/engram/run')).toBe(t('engram_msgs', 'srv', 'Command'));

      const status = await bridge.callService('/engram/status', {});
      expect(status.result).toBe(true);
      expect(status.values.success).toBe(true);
      const s = JSON.parse(status.values.message);
      expect(s.titles).toBe(3);
      expect(s.robots[0]).toMatchObject({ id: 'arm', transport: 'ros', joints: NAMES, connected: true, stopped: false, activity: 'idle' });

      // teach: a command on the topic; while it records, the arm is moved (as a person guiding it would)
      bridge.publish('/engram/command', { data: JSON.stringify({ id: 't1', command: 'teach', skill: 'reach', robot: 'arm', seconds: 2.6 }) });
      await new Promise((r) => setTimeout(r, 200));
      const q0 = sim.arm.state().positions;
      const clock = driver.state().time;
      sim.arm.follow([
        { time: clock + 0.1, positions: q0, velocities: [0, 0, 0] },
        { time: clock + 0.9, positions: [q0[0]! + 0.3, q0[1]! - 0.2, q0[2]! + 0.25], velocities: [0, 0, 0] },
        { time: clock + 1.5, positions: [q0[0]! + 0.3, q0[1]! - 0.2, q0[2]! + 0.25], velocities: [0, 0, 0] },
        { time: clock + 2.2, positions: q0, velocities: [0, 0, 0] },
      ]);
      await expect.poll(() => published(bridge, '/engram/response').length, { timeout: 8000 }).toBe(1);
      const taught = published(bridge, '/engram/response')[0];
      expect(taught.error).toBeUndefined();
      expect(taught).toMatchObject({ id: 't1', ok: true, result: { skill: 'reach' } });
      expect(taught.result.keyframes).toBeGreaterThanOrEqual(3);

      // perform it through the engram_msgs/Command service: FollowJointTrajectory goes to the arm
      const perf = await bridge.callService('/engram/run', { json: JSON.stringify({ id: 'p1', command: 'perform', title: 'reach', robots: ['arm'] }) }, 15_000);
      const answer = JSON.parse(perf.values.json);
      expect(answer.error).toBeUndefined();
      expect(perf.values.ok).toBe(true);
      expect(answer.result.reached).toBe(answer.result.keyframes);
      expect(answer.result.maxError).toBeLessThan(0.05);
      const goalTopic = version === 1 ? bridge.published.get('/arm_controller/follow_joint_trajectory/goal') : undefined;
      if (version === 1) expect(goalTopic!.length).toBe(1);
      const events = published(bridge, '/engram/events');
      expect(events.filter((e) => e.type === 'keyframe').length).toBe(answer.result.keyframes);
      expect(events.some((e) => e.type === 'learned' && e.title === 'reach')).toBe(true);

      // stop by service wins; then perform is refused until resume
      const stop = await bridge.callService('/engram/stop', {});
      expect(JSON.parse(stop.values.message)).toEqual({ stopped: ['arm'] });
      bridge.publish('/engram/command', { data: JSON.stringify({ id: 'p2', command: 'perform', title: 'reach', robots: ['arm'] }) });
      await expect.poll(() => published(bridge, '/engram/response').length).toBe(2);
      expect(published(bridge, '/engram/response')[1]).toMatchObject({ id: 'p2', ok: false, error: "robot 'arm' is stopped (stop command): resume it first" });
      expect(JSON.parse((await bridge.callService('/engram/resume', {})).values.message)).toEqual({ resumed: ['arm'] });
    }, 40_000);
  }

  it('bad messages on the command topic and service each get a clear error and move nothing', async () => {
    const bridge = await startRosbridge();
    const sim = armBehind(bridge);
    const memory = new SequenceMemory();
    const service = new MemoryOnThread(memory);
    const core = new AgentCore({ memory: service });
    const fleet = new Fleet(service, { keyboard: kb });
    const driver = new RosArmDriver({ url: bridge.url, description: left, jointNames: NAMES });
    await driver.connect();
    await expect.poll(() => driver.state().positions.length).toBe(3);
    fleet.add(rosMember('arm', driver));
    core.robots = fleet;
    const agent = new RosAgent({ handle: core.handle, check: checkRoutedText, events: core.events, url: bridge.url });
    await agent.start();
    cleanup.push(() => agent.stop(), () => fleet.close(), sim.stop, () => bridge.close());
    await expect.poll(() => bridge.advertisedServices.size).toBe(5);
    const still = sim.arm.state().positions;
    const q = sim.q0;
    const demo = (positions: number[]) => [{ time: 0, positions: q }, { time: 1, positions }, { time: 1.5, positions }];
    const cases: Array<[string, RegExp]> = [
      ['{"id": "a", "command": ', /message: not valid JSON/],
      [JSON.stringify({ id: 'b', command: 'dance' }), /command: unknown command 'dance'/],
      [JSON.stringify({ id: 'c', command: 'perform', title: 7 }), /title: must be string/],
      [JSON.stringify({ id: 'd', command: 'perform', title: 'x', tempo: 'fast' }), /tempo: must be number/],
      [JSON.stringify({ id: 'e', command: 'teach', skill: 's', joints: [{ name: 'hip', min: -1, max: 1 }], samples: [{ time: 0, positions: [0] }, { time: 1, positions: [0.1] }, { time: 1.5, positions: [0.1] }] }), /^$/],
      [JSON.stringify({ id: 'f', command: 'perform', title: 's', robots: ['arm'] }), /skill 's' moves joints hip; robot 'arm' has shoulder_joint, elbow_joint, wrist_joint/],
      [JSON.stringify({ id: 'g', command: 'teach', skill: 'big', robot: 'arm', samples: demo([q[0]!, 3.5, q[2]!]) }), /samples\[1\]\.positions\[1\]: joint 'elbow_joint' at 3\.5 rad is outside its range -3\.1416\.\.3\.1416/],
      [JSON.stringify({ id: 'h', command: 'perform', title: 'Ode to Joy', robots: ['arm'] }), /unknown title 'Ode to Joy'/],
    ];
    for (const [json, message] of cases) {
      const r = await bridge.callService('/engram/run', { json });
      const answer = JSON.parse(r.values.json);
      if (message.source === '^$') expect(answer.ok, json).toBe(true);
      else {
        expect(r.values.ok, json).toBe(false);
        expect(answer.error).toMatch(message);
      }
    }
    // the same on the topic: an answer with the id, or an error event when there is no id
    bridge.publish('/engram/command', { data: 'not json' });
    bridge.publish('/engram/command', { data: JSON.stringify({ id: 'z', command: 'recall' }) });
    await expect.poll(() => published(bridge, '/engram/response').length).toBe(1);
    expect(published(bridge, '/engram/response')[0]).toMatchObject({ id: 'z', ok: false, error: 'title: is required' });
    expect(published(bridge, '/engram/events').some((e) => e.type === 'error' && /message on \/engram\/command refused: message: not valid JSON/.test(e.error))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    sim.arm.state().positions.forEach((x, j) => expect(Math.abs(x - still[j]!)).toBeLessThan(1e-3));
    expect(bridge.published.get('/arm_controller/command')).toBeUndefined();
    expect(memory.titles().map((e) => e.title)).toEqual(['s']);
  }, 30_000);
});
