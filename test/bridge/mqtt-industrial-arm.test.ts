import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mqttMember } from '../../bridge/members.js';
import { startEmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { robotTopics } from '../../bridge/mqtt/robot-topics.js';
import { SimMqttRobot } from '../../bridge/mqtt/sim-robot.js';
import type { GoalResult, JointState } from '../../robots/driver.js';
import { loadRobot } from '../../robots/load.js';
import { simulatedIndustrialArm } from '../../sim/simulated-robots.js';
import { HOME, SIX, SIX_NAMES } from '../helpers/six-joint-arm.js';
import { accessFiles } from '../helpers/mqtt-access.js';

const six = SIX;
const names = SIX_NAMES;

describe('a simulated industrial arm over MQTT (embedded broker), driven through the safety gate', () => {
  const files = accessFiles(['my-ur', 'bad-ur', 'sim-arm']);
  afterAll(() => files.remove());
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
    cleanup.length = 0;
  });

  it('takes a robot that announces itself by its URDF and sidecar ({urdf, engram}): every joint, limits from the URDF; a malformed one is refused naming the field', async () => {
    const broker = await startEmbeddedBroker({ port: 0, access: files.access() });
    cleanup.push(() => broker.close());
    const dir = new URL('../../robots/arms/', import.meta.url);
    const urdf = readFileSync(new URL('ur5e.urdf', dir), 'utf8');
    const engram = JSON.parse(readFileSync(new URL('ur5e.engram.json', dir), 'utf8')) as Record<string, unknown>;
    const robot = await mqtt.connectAsync(broker.url, { clientId: 'my-ur', ...files.login('my-ur') });
    cleanup.push(() => robot.endAsync(true));
    const announce = async (id: string, description: unknown, via = robot) => {
      const t = robotTopics(id);
      await via.publishAsync(t.description, JSON.stringify(description), { qos: 1, retain: true });
      const q = HOME.map((x) => x);
      for (let k = 0; k < 3; k++) await via.publishAsync(t.state, JSON.stringify({ time: k * 0.01, positions: q, velocities: q.map(() => 0) }));
    };
    const client = await mqtt.connectAsync(broker.url, { clientId: 'engram-agent-urdf', reconnectPeriod: 200, queueQoSZero: false, ...files.agent });
    cleanup.push(() => client.endAsync(true));
    const states = setInterval(() => void robot.publish(robotTopics('my-ur').state, JSON.stringify({ time: Date.now() / 1000, positions: HOME, velocities: HOME.map(() => 0) })), 20);
    cleanup.push(() => clearInterval(states));
    await announce('my-ur', { urdf, engram: { ...engram, urdf: undefined, defaultAcceleration: 9 } });
    const member = await mqttMember(client, 'my-ur');
    cleanup.push(() => (member.gate.dispose(), member.dispose?.()));
    expect(member.jointNames).toEqual(names);
    expect(member.gate.description.joints.map((j) => [j.maxSpeed, j.maxAccel])).toEqual(names.map(() => [Math.PI, 9]));
    expect(member.gate.description.urdf).toBe(urdf);
    // no acceleration limits: refused, naming the joint; the agent learns nothing of it
    // (another robot: each publishes only its own topics)
    const badRobot = await mqtt.connectAsync(broker.url, { clientId: 'bad-ur', ...files.login('bad-ur') });
    cleanup.push(() => badRobot.endAsync(true));
    await announce('bad-ur', { urdf, engram: { source: 'mine' } }, badRobot);
    await expect(mqttMember(client, 'bad-ur', { timeoutMs: 2000 })).rejects.toThrow(/engram\/robots\/bad-ur\/description: engram: accelerations\.shoulder_pan_joint: is missing/);
  });

  it('performs a trajectory on the bundled UR5e (all 6 joints) and gets the controller result; a goal the controller refuses comes back with its code', async () => {
    const broker = await startEmbeddedBroker({ port: 0, access: files.access() });
    cleanup.push(() => broker.close());
    const ur5e = loadRobot('ur5e');
    const sim = new SimMqttRobot({ url: broker.url, robotId: 'sim-arm', robot: simulatedIndustrialArm(ur5e, { start: HOME }), ...files.login('sim-arm') });
    await sim.start();
    cleanup.push(() => sim.stop());
    const client = await mqtt.connectAsync(broker.url, { clientId: 'engram-agent-test', reconnectPeriod: 200, queueQoSZero: false, ...files.agent });
    cleanup.push(() => client.endAsync(true));
    const member = await mqttMember(client, 'sim-arm');
    cleanup.push(() => (member.gate.dispose(), member.dispose?.()));
    const gate = member.gate;
    // the retained description: every joint, and the URDF it came from
    expect(member.jointNames).toEqual(names);
    expect(gate.description.joints).toEqual(ur5e.joints);
    expect(gate.description.urdf).toBe(ur5e.urdf);
    const states: JointState[] = [];
    const results: GoalResult[] = [];
    gate.events.on('state', (s) => states.push(s));
    gate.events.on('result', (r) => results.push(r));
    const next = () => new Promise<GoalResult>((resolve) => gate.events.once('result', resolve));

    const now = gate.state().time;
    expect(gate.state().positions).toEqual(HOME);
    const target = HOME.map((q, j) => q + [0.4, -0.3, 0.3, 0.5, -0.4, 0.6][j]!);
    const zero = HOME.map(() => 0);
    const done = next();
    gate.follow([
      { time: now + 0.1, positions: HOME, velocities: zero },
      { time: now + 1.1, positions: target, velocities: zero },
    ]);
    expect(await done).toEqual({ ok: true, code: 0 });
    await expect.poll(() => gate.state().positions.every((q, j) => Math.abs(q - target[j]!) < 1e-6)).toBe(true);
    expect(gate.stopped).toBe(false);
    // joint states at the arm's 125 Hz, by its clock
    const steps = states.slice(1).map((s, i) => Math.round((s.time - states[i]!.time) * 1000));
    expect(steps.filter((ms) => ms === 8).length).toBeGreaterThanOrEqual(0.95 * steps.length);
    expect(states.every((s) => s.positions.length === 6 && s.velocities.length === 6)).toBe(true);

    // a client that names 3 of the 6 joints, past any gate: the arm refuses it as its controller would
    const t = robotTopics('sim-arm');
    const refused = next();
    const at = gate.state().time + 0.2;
    await client.publishAsync(t.trajectory, JSON.stringify({ points: [{ time: at, positions: [0, 0, 0] }], until: at }));
    const r = await refused;
    expect(r).toMatchObject({ ok: false, code: -2 });
    expect(r.error).toMatch(/ur5e: point 0 gives 3 joint positions; the goal must name all 6 joints/);
    // a malformed goal is answered too
    const malformed = next();
    await client.publishAsync(t.trajectory, JSON.stringify({ points: [{ time: at, positions: 'home' }], until: at }));
    expect(await malformed).toMatchObject({ ok: false, code: -1, error: expect.stringMatching(/cmd\/trajectory: points\.0\.positions: must be array/) });
    expect(results.map((x) => x.code)).toEqual([0, -2, -1]);
    gate.state().positions.forEach((q, j) => expect(q).toBeCloseTo(target[j]!, 6));
  }, 30_000);

  it('stops by itself when the agent goes quiet while a goal is ahead, and answers the goal saying so', async () => {
    const broker = await startEmbeddedBroker({ port: 0, access: files.access() });
    cleanup.push(() => broker.close());
    const sim = new SimMqttRobot({ url: broker.url, robotId: 'sim-arm', robot: simulatedIndustrialArm(six, { start: HOME }), watchdogMs: 300, ...files.login('sim-arm') });
    await sim.start();
    cleanup.push(() => sim.stop());
    // a bare client as the agent: one heartbeat, one goal, then only heartbeats that do not count
    const client = await mqtt.connectAsync(broker.url, { clientId: 'quiet-agent', ...files.agent });
    cleanup.push(() => client.endAsync(true));
    const t = robotTopics('sim-arm');
    const results: GoalResult[] = [];
    const states: JointState[] = [];
    client.on('message', (topic, payload) => {
      if (topic === t.result) results.push(JSON.parse(payload.toString()));
      if (topic === t.state) states.push(JSON.parse(payload.toString()));
    });
    await client.subscribeAsync([t.result, t.state]);
    await expect.poll(() => states.length).toBeGreaterThan(0);
    const now = states.at(-1)!.time;
    const target = HOME.map((q) => q + 1);
    await client.publishAsync(t.heartbeat, JSON.stringify({ time: now, until: now + 1 }));
    await client.publishAsync(t.trajectory, JSON.stringify({ points: [{ time: now + 0.1, positions: HOME }, { time: now + 20, positions: target }], until: now + 1 }));
    // malformed or stale: neither is word from the agent
    const bad = [JSON.stringify({}), 'beat', JSON.stringify({ until: 'later' }), JSON.stringify({ time: now, until: now - 1 })];
    let k = 0;
    const junk = setInterval(() => void client.publish(t.heartbeat, bad[k++ % bad.length]!, { qos: 0 }), 50);
    cleanup.push(() => clearInterval(junk));
    await expect.poll(() => results.length, { timeout: 10_000 }).toBe(1);
    clearInterval(junk);
    expect(sim.heartbeats).toBe(1);
    expect(results[0]).toMatchObject({ ok: false, code: -1, error: expect.stringMatching(/goal cancelled \(watchdog: no word from the agent for 300 ms\)/) });
    expect(sim.watchdogStops).toBe(1);
    // it brakes to a hold well short of the target
    await expect.poll(() => states.at(-1)!.velocities.every((v) => v === 0)).toBe(true);
    expect(states.at(-1)!.positions[0]!).toBeLessThan(target[0]! - 0.5);
  }, 30_000);
});
