import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../../bridge/fleet.js';
import { mqttMember } from '../../bridge/members.js';
import { MqttAgent } from '../../bridge/mqtt/agent.js';
import { startEmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { SimMqttRobot } from '../../bridge/mqtt/sim-robot.js';
import { simulatedPianoArm } from '../../sim/simulated-robots.js';
import { agentTopics } from '../../bridge/mqtt/topics.js';
import type { PianoArm } from '../../robots/description.js';
import { loadKeyboard, loadPianoArm } from '../../robots/load.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import type { AgentEvent } from '../../src/agent/commands.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { openMemory as loadSnapshot } from '../../src/agent/library.js'; // the file as the agent reads it: snapshot and journal
import { bundledMelodies } from '../../src/music/notation.js';
import { armPair } from '../../robots/motion/piano.js';
import { planArm } from '../../robots/motion/planner.js';
import { checkCommand } from '../../src/agent/command-schemas.js';
import { accessFiles } from '../helpers/mqtt-access.js';

const kb = loadKeyboard();
const [left, right0] = armPair(loadPianoArm(), kb);
// the right robot's wrist is limited to +-1.2 rad: skills outside that must be refused for it
const right: PianoArm = { ...right0, joints: right0.joints.map((j, i) => (i === 2 ? { ...j, min: -1.2, max: 1.2 } : j)) };
const startQ = (r: PianoArm) => planArm(r, kb, []).startQ;

describe('the agent drives robots over MQTT: teach, perform, stop', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    cleanup.length = 0;
  });

  async function setup() {
    const files = accessFiles(['left', 'right']);
    cleanup.push(async () => files.remove());
    const broker = await startEmbeddedBroker({ port: 0, access: files.access() });
    const robots = [
      new SimMqttRobot({ url: broker.url, robotId: 'left', robot: simulatedPianoArm(kb, left, startQ(left)), ...files.login('left') }),
      new SimMqttRobot({ url: broker.url, robotId: 'right', robot: simulatedPianoArm(kb, right, startQ(right)), ...files.login('right') }),
    ];
    for (const r of robots) await r.start();
    const memory = new SequenceMemory();
    for (const m of bundledMelodies()) memory.learn(m.title, m.sequence);
    const dir = mkdtempSync(join(tmpdir(), 'engram-fleet-'));
    const file = join(dir, 'memory.engram');
    const service = new MemoryOnThread(memory, file);
    const core = new AgentCore({ memory: service });
    const robotClient = await mqtt.connectAsync(broker.url, { clientId: 'engram-fleet', reconnectPeriod: 200, queueQoSZero: false, ...files.agent });
    const fleet = new Fleet(service, { keyboard: kb });
    for (const id of ['left', 'right']) fleet.add(await mqttMember(robotClient, id));
    core.robots = fleet;
    const agent = new MqttAgent({ handle: core.handle, check: checkCommand, events: core.events, url: broker.url, ...files.agent });
    await agent.start();
    const user = await mqtt.connectAsync(broker.url, { clientId: 'user', ...files.operator });
    const t = agentTopics();
    await user.subscribeAsync([t.resp('user'), t.events]);
    const events: AgentEvent[] = [];
    const waiting = new Map<string, (r: { ok: boolean; result?: any; error?: string }) => void>();
    user.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString());
      if (topic === t.events) events.push(body);
      else waiting.get(body.id)?.(body);
    });
    const ask = (command: Record<string, unknown>) =>
      new Promise<{ ok: boolean; result?: any; error?: string }>((resolve) => {
        const id = randomUUID();
        waiting.set(id, resolve);
        void user.publishAsync(t.cmd, JSON.stringify({ id, replyTo: 'user', ...command }));
      });
    cleanup.push(async () => {
      fleet.close();
      await user.endAsync(true);
      await agent.stop();
      await robotClient.endAsync(true);
      for (const r of robots) await r.stop();
      await broker.close();
      core.dispose();
      rmSync(dir, { recursive: true, force: true });
    });
    return { memory, fleet, robots, ask, events, saved: () => loadSnapshot(file), client: robotClient as MqttClient };
  }

  it('records a demonstration from a robot, learns it as a skill, performs it at two tempi with keyframe events', async () => {
    const { fleet, ask, events, saved, memory } = await setup();
    const gate = fleet.member('left').gate;
    const teaching = ask({ command: 'teach', skill: 'wave', robot: 'left', seconds: 3.2 });
    // the operator moves the arm while it records: out, pause, further, back
    await new Promise((r) => setTimeout(r, 300));
    const q0 = gate.state().positions;
    const now = gate.state().time;
    const at = (dq: number[]) => q0.map((q, j) => q + dq[j]!);
    const zero = [0, 0, 0];
    gate.follow([
      { time: now + 0.1, positions: q0, velocities: zero },
      { time: now + 0.9, positions: at([0.3, -0.25, 0.2]), velocities: zero },
      { time: now + 1.5, positions: at([0.3, -0.25, 0.2]), velocities: zero },
      { time: now + 2.3, positions: at([-0.1, 0.15, -0.3]), velocities: zero },
    ]);
    const taught = await teaching;
    expect(taught.error).toBeUndefined();
    expect(taught.ok).toBe(true);
    expect(taught.result.keyframes).toBeGreaterThanOrEqual(3);
    expect(memory.has('wave')).toBe(true);
    expect(saved().has('wave')).toBe(true);
    expect(events.some((e) => e.type === 'teach' && e.phase === 'recorded')).toBe(true);
    // back to where it started, then perform the skill from the memory
    const list = await ask({ command: 'list' });
    expect(list.result.find((e: { title: string }) => e.title === 'wave').kind).toBe('skill');
    const r1 = await ask({ command: 'perform', title: 'wave', robots: ['left'] });
    expect(r1.error).toBeUndefined();
    expect(r1.result.stopped).toBe(false);
    expect(r1.result.reached).toBe(r1.result.keyframes);
    expect(r1.result.maxError).toBeLessThan(0.05);
    const kfEvents = events.filter((e) => e.type === 'keyframe' && e.title === 'wave');
    expect(kfEvents.length).toBe(r1.result.keyframes);
    // three times the pacemaker rate asks more of the joints than they can do: refused, naming the
    // joint and the fastest tempo that fits; with fit it is slowed to that tempo and played whole
    const r3 = await ask({ command: 'perform', title: 'wave', robots: ['left'], tempo: 3 });
    expect(r3.ok).toBe(false);
    expect(r3.error).toMatch(/skill 'wave' at tempo 3: .*joint \w+ would reach [\d.]+ rad\/s\^?2?.*The fastest tempo that fits is (\d\.\d\d)/);
    const fastest = Number(/fits is (\d\.\d\d)/.exec(r3.error!)![1]);
    expect(fastest).toBeGreaterThan(1);
    expect(fastest).toBeLessThan(3);
    const rf = await ask({ command: 'perform', title: 'wave', robots: ['left'], tempo: 3, fit: true });
    expect(rf.error).toBeUndefined();
    expect(rf.result.fittedFrom).toBe(3);
    expect(rf.result.tempo).toBeCloseTo(fastest, 1);
    expect(rf.result.reached).toBe(r1.result.keyframes);
    const rq = await ask({ command: 'perform', title: 'wave', robots: ['left'], tempo: fastest });
    expect(rq.error).toBeUndefined();
    expect(rq.result.keyframes).toBe(r1.result.keyframes);
  }, 60_000);

  it('stop wins over a running performance; commands are refused until resume', async () => {
    const { ask, robots, events } = await setup();
    const performing = ask({ command: 'perform', title: 'Ode to Joy', robots: ['left', 'right'] });
    await new Promise((r) => setTimeout(r, 1500));
    const stop = await ask({ command: 'stop' });
    expect(stop.ok).toBe(true);
    expect(stop.result.stopped.sort()).toEqual(['left', 'right']);
    const perf = await performing;
    expect(perf.ok).toBe(true);
    expect(perf.result.stopped).toBe(true);
    expect(perf.result.stopReason).toBe('stop command');
    // it ended there: most of the piece was never played
    expect(perf.result.notes).toBeLessThan(perf.result.report.reference / 2);
    expect(events.some((e) => e.type === 'note')).toBe(true);
    // the arms hold still
    const before = robots.map((r) => r.arm.state().positions);
    await new Promise((r) => setTimeout(r, 300));
    robots.forEach((r, i) => r.arm.state().positions.forEach((q, j) => expect(Math.abs(q - before[i]![j]!)).toBeLessThan(1e-3)));
    const status = await ask({ command: 'status' });
    expect(status.result.robots.map((r: { stopped: boolean; stopReason: string }) => [r.stopped, r.stopReason])).toEqual([
      [true, 'stop command'],
      [true, 'stop command'],
    ]);
    const refused = await ask({ command: 'perform', title: 'Ode to Joy', robots: ['left'] });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/robot 'left' is stopped \(stop command\): resume it first/);
    expect((await ask({ command: 'resume' })).result.resumed.sort()).toEqual(['left', 'right']);
    const again = await ask({ command: 'perform', title: 'Twinkle, Twinkle, Little Star', robots: ['left'], seconds: 2 });
    expect(again.error).toBeUndefined();
    expect(again.result.notes).toBeGreaterThan(0);
  }, 60_000);

  it('bad commands get a clear error and move nothing', async () => {
    const { ask, robots, memory } = await setup();
    const still = robots.map((r) => r.arm.state().positions);
    const joints = [{ name: 'shoulder', min: -3, max: 3 }, { name: 'elbow', min: -3, max: 3 }, { name: 'wrist', min: -3, max: 3 }];
    const sample = (t: number, q: number[]) => ({ time: t, positions: q });
    const demo = (wrist: number) => [sample(0, startQ(right)), sample(1, [startQ(right)[0]!, startQ(right)[1]!, wrist]), sample(1.5, [startQ(right)[0]!, startQ(right)[1]!, wrist])];
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ command: 'perform', title: 'Ode to Joy', robots: ['nope'] }, /robot 'nope': not connected \(connected: left, right\)/],
      [{ command: 'perform', title: 'No Such Piece', robots: ['left'] }, /No Such Piece/],
      [{ command: 'perform', title: 'Ode to Joy', robots: ['left', 'left'] }, /named twice/],
      [{ command: 'teach', skill: 'x' }, /give the demonstration as samples, or name the robot/],
      [{ command: 'teach', skill: 'x', samples: [sample(0, [0, 0, 0]), sample(1, [0, 0])] }, /samples\[1\]\.positions: must hold 3 joint positions/],
      [{ command: 'teach', skill: 'x', samples: [sample(0, [0, 0, 0]), sample(1, [0, 9, 0])] }, /joint 'elbow' at 9 rad is outside/],
      [{ command: 'teach', skill: 'x', robot: 'ghost', seconds: 1 }, /robot 'ghost': not connected/],
      [{ command: 'teach', skill: 'x', samples: 'lots' }, /samples: must be array/],
      [{ command: 'stop', robots: ['bad id!'] }, /robots\.0: must match pattern/],
    ];
    for (const [cmd, message] of cases) {
      const r = await ask(cmd);
      expect(r.ok, JSON.stringify(cmd)).toBe(false);
      expect(r.error).toMatch(message);
    }
    // a skill in joints this robot lacks, and one whose wrist goes past the right robot's limit
    expect((await ask({ command: 'teach', skill: 'abc', joints: [{ name: 'a', min: -3, max: 3 }, { name: 'b', min: -3, max: 3 }, { name: 'c', min: -3, max: 3 }], samples: demo(0.5) })).ok).toBe(true);
    const lacks = await ask({ command: 'perform', title: 'abc', robots: ['right'] });
    expect(lacks.error).toMatch(/skill 'abc' moves joints a, b, c; robot 'right' has shoulder, elbow, wrist/);
    expect((await ask({ command: 'teach', skill: 'far', joints, samples: demo(2.0) })).ok).toBe(true);
    const far = await ask({ command: 'perform', title: 'far', robots: ['right'] });
    expect(far.error).toMatch(/joint wrist would reach [12](\.\d+)? rad, outside its -1\.2\.\.1\.2 rad/);
    await new Promise((r) => setTimeout(r, 300));
    robots.forEach((r, i) => r.arm.state().positions.forEach((q, j) => expect(Math.abs(q - still[i]![j]!)).toBeLessThan(1e-3)));
    expect(memory.has('x')).toBe(false);
  }, 60_000);

  it('jogs an idle robot through its safety gate and answers once it is there; refuses what the gate or the fleet would not do', async () => {
    const { fleet, ask } = await setup();
    const gate = fleet.member('left').gate;
    const q = gate.state().positions;
    const target = q.map((x, j) => (j === 0 ? x + 0.2 : x));
    const asked = gate.state().time;
    const jog = await ask({ command: 'jog', robot: 'left', positions: target });
    expect(jog.error).toBeUndefined();
    expect(jog.result.until).toBeGreaterThan(asked);
    // answered once the robot's clock passed the end of the move: it is there
    expect(gate.state().time).toBeGreaterThanOrEqual(jog.result.until);
    expect(Math.abs(gate.state().positions[0]! - target[0]!)).toBeLessThan(0.02);
    // a second jog starts where the first ended
    const back = await ask({ command: 'jog', robot: 'left', positions: q });
    expect(back.ok).toBe(true);
    expect(Math.abs(gate.state().positions[0]! - q[0]!)).toBeLessThan(0.02);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ command: 'jog', robot: 'left', positions: [q[0]!, 9, q[2]!] }, /joint elbow would reach 9 rad, outside its/],
      [{ command: 'jog', robot: 'left', positions: [0, 0] }, /jog: robot 'left' has 3 joints \(shoulder, elbow, wrist\), got 2 positions/],
      [{ command: 'jog', robot: 'ghost', positions: q }, /robot 'ghost': not connected/],
      [{ command: 'jog', robot: 'left' }, /positions: is required/],
      [{ command: 'jog', robot: 'left', positions: ['a'] }, /positions\.0: must be number/],
    ];
    for (const [command, error] of cases) expect((await ask(command)).error, JSON.stringify(command)).toMatch(error);
    // while it records a demonstration it is busy; once stopped it is stopped
    const recording = ask({ command: 'teach', skill: 'still', robot: 'left', seconds: 1 });
    await expect.poll(() => fleet.list().find((r) => r.id === 'left')!.activity).toMatch(/recording/);
    expect((await ask({ command: 'jog', robot: 'left', positions: target })).error).toMatch(/robot 'left' is busy \(recording for 1 s\)/);
    // nobody moved it: refused, and nothing learned
    expect((await recording).error).toMatch(/demonstration 'still': the arm did not move/);
    await ask({ command: 'stop', robots: ['left'] });
    expect((await ask({ command: 'jog', robot: 'left', positions: target })).error).toMatch(/is stopped .*resume before sending commands/);
  }, 60_000);
});
