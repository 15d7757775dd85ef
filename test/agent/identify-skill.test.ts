import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../bridge/fleet.js';
import { mqttMember } from '../../bridge/members.js';
import { MqttAgent } from '../../bridge/mqtt/agent.js';
import { startEmbeddedBroker } from '../../bridge/mqtt/broker.js';
import { SimMqttRobot } from '../../bridge/mqtt/sim-robot.js';
import { agentTopics } from '../../bridge/mqtt/topics.js';
import { loadKeyboard, loadPianoArm } from '../../robots/load.js';
import { armPair } from '../../robots/motion/piano.js';
import { planArm } from '../../robots/motion/planner.js';
import { simulatedPianoArm } from '../../sim/simulated-robots.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import type { AgentEvent } from '../../src/agent/commands.js';
import { checkCommand } from '../../src/agent/command-schemas.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';
import type { DemoSample } from '../../src/skills/demonstration.js';
import { Rng } from '../../src/snn/rng.js';
import { accessFiles } from '../helpers/mqtt-access.js';

const kb = loadKeyboard();
const [left] = armPair(loadPianoArm(), kb);
const q0 = planArm(left, kb, []).startQ;

/** Smooth rest-to-rest moves through `poses` (offsets from q0), `move` s each, held `hold` s at each. */
function motion(poses: number[][], move = 1.2, hold = 0.4): { at: (t: number) => number[]; length: number } {
  const pts = [[0, 0, 0], ...poses];
  const seg = move + hold;
  return {
    length: hold + (pts.length - 1) * seg,
    at: (t) => {
      const k = Math.min(pts.length - 2, Math.max(0, Math.floor((t - hold) / seg)));
      const u = Math.min(1, Math.max(0, (t - hold - k * seg) / move));
      const s = u * u * u * (10 - 15 * u + 6 * u * u); // minimum jerk
      return q0.map((q, j) => q + pts[k]![j]! + s * (pts[k + 1]![j]! - pts[k]![j]!));
    },
  };
}

/** The motion as a sensor records it: 50 Hz, 2 mrad gaussian noise (seeded), until `until` s. */
function record(m: { at: (t: number) => number[]; length: number }, seed: number, until = m.length): DemoSample[] {
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const out: DemoSample[] = [];
  for (let k = 0; k / 50 <= until + 1e-9; k++) out.push({ time: k / 50, positions: m.at(k / 50).map((q) => q + 0.002 * gauss()) });
  return out;
}

// three skills that share an opening (out to one pose and a pause there), then part
const OPENING = [0.4, -0.3, 0.3];
const SKILLS: Record<string, ReturnType<typeof motion>> = {
  'reach left': motion([OPENING, [0.9, 0.1, 0.3]]),
  'reach down': motion([OPENING, [0.4, -0.9, 0.9]]),
  'reach back': motion([OPENING, [0.0, 0.2, -0.3]]),
};

describe('identify-skill: "what is this skill?" from joint samples, and completing it on the robot', () => {
  const cleanup: Array<() => Promise<void>> = [];
  let ask: (command: Record<string, unknown>) => Promise<{ ok: boolean; result?: any; error?: string }>;
  let events: AgentEvent[];
  let robot: SimMqttRobot;

  beforeAll(async () => {
    const files = accessFiles(['left']);
    cleanup.push(async () => files.remove());
    const broker = await startEmbeddedBroker({ port: 0, access: files.access() });
    cleanup.push(() => broker.close());
    robot = new SimMqttRobot({ url: broker.url, robotId: 'left', robot: simulatedPianoArm(kb, left, q0), ...files.login('left') });
    await robot.start();
    cleanup.push(() => robot.stop());
    const memory = new SequenceMemory();
    for (const m of bundledMelodies().slice(0, 4)) memory.learn(m.title, m.sequence);
    const dir = mkdtempSync(join(tmpdir(), 'engram-identify-skill-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const service = new MemoryOnThread(memory, join(dir, 'memory.engram'));
    const core = new AgentCore({ memory: service });
    cleanup.push(async () => core.dispose());
    const robotClient = await mqtt.connectAsync(broker.url, { clientId: 'engram-fleet', reconnectPeriod: 200, queueQoSZero: false, ...files.agent });
    cleanup.push(() => robotClient.endAsync(true));
    const fleet = new Fleet(service, { keyboard: kb });
    fleet.add(await mqttMember(robotClient, 'left'));
    core.robots = fleet;
    cleanup.push(async () => fleet.close());
    const agent = new MqttAgent({ handle: core.handle, check: checkCommand, events: core.events, url: broker.url, ...files.agent });
    await agent.start();
    cleanup.push(() => agent.stop());
    const user = await mqtt.connectAsync(broker.url, { clientId: 'user', ...files.operator });
    cleanup.push(() => user.endAsync(true));
    const t = agentTopics();
    await user.subscribeAsync([t.resp('user'), t.events]);
    events = [];
    const waiting = new Map<string, (r: { ok: boolean; result?: any; error?: string }) => void>();
    user.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString());
      if (topic === t.events) events.push(body);
      else waiting.get(body.id)?.(body);
    });
    ask = (command) =>
      new Promise((resolve) => {
        const id = randomUUID();
        waiting.set(id, resolve);
        void user.publishAsync(t.cmd, JSON.stringify({ id, replyTo: 'user', ...command }));
      });
    let seed = 1;
    for (const [skill, m] of Object.entries(SKILLS)) {
      const taught = await ask({ command: 'teach', skill, robot: 'left', samples: record(m, seed++) });
      expect(taught.error).toBeUndefined();
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('names the skill once the motion has left the shared opening, with its evidence', async () => {
    for (const [i, [skill, m]] of Object.entries(SKILLS).entries()) {
      // a fresh demonstration of the same motion (other noise), cut two thirds of the way into the move that parts it
      const r = await ask({ command: 'identify-skill', robot: 'left', samples: record(m, 100 + i, 2.8) });
      expect(r.error).toBeUndefined();
      expect(r.result.best).toBe(skill);
      expect(r.result.tie).toBeNull();
      expect(r.result.matches[0]).toMatchObject({ skill });
      expect(r.result.matches[0].evidence).toBeGreaterThan(r.result.matches[0].notes * 0.9);
      // every other skill it names has less evidence, by more than a tie's margin
      for (const other of r.result.matches.slice(1)) expect((r.result.matches[0].score - other.score) * other.notes).toBeGreaterThan(1);
    }
  }, 60_000);

  it('reports a tie among the skills while the motion is still inside their shared opening', async () => {
    const r = await ask({ command: 'identify-skill', robot: 'left', samples: record(SKILLS['reach down']!, 200, 1.5) });
    expect(r.error).toBeUndefined();
    expect(r.result.best).toBeNull();
    expect([...r.result.tie].sort()).toEqual(Object.keys(SKILLS).sort());
    // and refuses to complete it: nothing moves
    const before = robot.arm.state().positions;
    const c = await ask({ command: 'identify-skill', robot: 'left', samples: record(SKILLS['reach down']!, 200, 1.5), complete: true });
    expect(c.ok).toBe(false);
    expect(c.error).toMatch(/samples: the motion so far fits 3 skills equally \('reach \w+', 'reach \w+', 'reach \w+'\).*nothing was performed/);
    robot.arm.state().positions.forEach((q, j) => expect(Math.abs(q - before[j]!)).toBeLessThan(1e-3));
  }, 30_000);

  it('answers no match for a motion no skill makes, and will not complete it', async () => {
    // the wrist turning the other way, far from every skill's cells
    const other = motion([[-0.6, 0.5, -1.2]]);
    const r = await ask({ command: 'identify-skill', robot: 'left', samples: record(other, 300) });
    expect(r.error).toBeUndefined();
    expect(r.result).toMatchObject({ matches: [], tie: null, best: null });
    const c = await ask({ command: 'identify-skill', robot: 'left', samples: record(other, 300), complete: true });
    expect(c.ok).toBe(false);
    expect(c.error).toBe('samples: no skill taught in these joints moves like this');
  }, 30_000);

  it('completes the skill named on the robot from where the motion got to', async () => {
    const m = SKILLS['reach down']!;
    const cut = 2.6;
    const samples = record(m, 400, cut);
    // the person left the arm where the motion got to
    const jog = await ask({ command: 'jog', robot: 'left', positions: samples[samples.length - 1]!.positions });
    expect(jog.error).toBeUndefined();
    const performedBefore = events.filter((e) => e.type === 'keyframe').length;
    const r = await ask({ command: 'identify-skill', robot: 'left', samples, complete: true });
    expect(r.error).toBeUndefined();
    expect(r.result.best).toBe('reach down');
    // placed in the move that parts it (which starts at 2.0 s), before the cut
    expect(r.result.place).toBeGreaterThan(1.6);
    expect(r.result.place).toBeLessThanOrEqual(cut);
    const p = r.result.performed;
    expect(p.stopped).toBe(false);
    expect(p.reached).toBe(p.keyframes);
    // only the rest of it: fewer keyframes than the whole skill
    const whole = await ask({ command: 'recall', title: 'reach down' });
    expect(p.keyframes).toBeLessThan(whole.result.keyframes.length);
    expect(events.filter((e) => e.type === 'keyframe').length - performedBefore).toBe(p.keyframes);
    // and the arm ends where the skill ends
    const end = m.at(m.length);
    robot.arm.state().positions.forEach((q, j) => expect(Math.abs(q - end[j]!)).toBeLessThan(0.02));
  }, 60_000);

  it('refuses bad samples naming the field, without echoing them', async () => {
    const ok = record(SKILLS['reach left']!, 500, 1);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ command: 'identify-skill', robot: 'left', samples: 'EVIL-INPUT' }, /^samples: must be array$/],
      [{ command: 'identify-skill', robot: 'left', samples: [ok[0]] }, /^samples: must NOT have fewer than 2 items$/],
      [{ command: 'identify-skill', robot: 'left', samples: ok.map((s, i) => (i === 3 ? { ...s, positions: [0, 0] } : s)) }, /^identify-skill\.samples\[3\]\.positions: must hold 3 joint positions/],
      [{ command: 'identify-skill', robot: 'left', samples: ok.map((s, i) => (i === 4 ? { ...s, time: ok[2]!.time } : s)) }, /^identify-skill\.samples\[4\]\.time: must be later/],
      [{ command: 'identify-skill', robot: 'left', samples: ok.map((s, i) => (i === 5 ? { ...s, label: 'EVIL-INPUT' } : s)) }, /^label: is not a field of this command$/],
      [{ command: 'identify-skill', robot: 'EVIL-INPUT', samples: ok }, /^robot: no connected robot and no bundled robot description of that name$/],
      [{ command: 'identify-skill', robot: 'EVIL-INPUT', samples: ok, complete: true }, /^robot: no connected robot of that id/],
      [{ command: 'identify-skill', samples: ok }, /^robot: name the robot/],
    ];
    for (const [command, message] of cases) {
      const r = await ask(command);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(message);
      expect(r.error).not.toContain('EVIL');
    }
  }, 30_000);
});

describe('engram identify-skill: the same question of a memory file, from a demonstration file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engram-identify-skill-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const CLI = resolve('src/agent/cli.ts');
  const engram = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--memory', join(dir, 'm.engram')], { encoding: 'utf8', env: { ...process.env, ENGRAM_MEMORY: '' } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  /** A recording as a CSV demonstration file (the bundled planar arm's joints). */
  const csv = (name: string, samples: DemoSample[]) => {
    const file = join(dir, `${name}.csv`);
    writeFileSync(file, ['time,shoulder,elbow,wrist', ...samples.map((s) => [s.time, ...s.positions].map((x) => x.toFixed(5)).join(','))].join('\n'));
    return file;
  };

  it('names the skill, or the tie in a shared opening, and says what is wrong with a bad file', () => {
    let seed = 1;
    for (const [skill, m] of Object.entries(SKILLS)) expect(engram('teach', skill, '--demo', csv(skill, record(m, seed++))).code).toBe(0);
    const parted = engram('identify-skill', '--demo', csv('parted', record(SKILLS['reach back']!, 600, 2.8)));
    expect(parted.err).toBe('');
    expect(parted.out).toMatch(/^this is 'reach back'\n {2}1\. reach back {2}\d+\.\d% \([\d.]+ of \d+ notes\)/);
    const opening = engram('identify-skill', '--demo', csv('opening', record(SKILLS['reach back']!, 601, 1.5)), '--json');
    expect(JSON.parse(opening.out)).toMatchObject({ best: null, tie: expect.arrayContaining(Object.keys(SKILLS)) });
    expect(engram('identify-skill')).toMatchObject({ code: 2, err: expect.stringMatching(/identify-skill: give the motion with --demo/) });
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'time,shoulder,elbow,wrist\n0,0,0,0\n0.1,0,x,0\n');
    const r = engram('identify-skill', '--demo', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.csv\D*3\b/); // the line
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  }, 120_000);
});
