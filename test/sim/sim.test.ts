import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateKeyboard, validateRobot } from '../../robots/description.js';
import { forward, inverse } from '../../robots/planar.js';
import { loadKeyboard, loadPianoArm, loadRobot } from '../../robots/load.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { armPair } from '../../robots/motion/piano.js';
import { perform } from '../../sim/perform.js';
import { planArm, planArms } from '../../robots/motion/planner.js';
import { scoreNotes } from '../../robots/motion/score.js';
import { World } from '../../sim/world.js';
import { executePlan } from '../../robots/motion/execute.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kb = loadKeyboard();
const robot = loadPianoArm('ur5e-planar');
const [left, right] = armPair(robot, kb);
const raw = () => JSON.parse(JSON.stringify(robot));

describe('robot descriptions', () => {
  it('name the field that is wrong', () => {
    const cases: Array<[(r: any) => void, RegExp]> = [
      [(r) => (r.joints[1].maxSpeed = -1), /joints\[1\]\.maxSpeed: must be a number > 0/],
      [(r) => delete r.hand.fingers, /hand\.fingers: must be a whole number/],
      [(r) => (r.joints[2].type = 'ball'), /joints\[2\]\.type: must be one of revolute, continuous, prismatic/],
      [(r) => r.joints.pop(), /piano: a piano arm is planar with 3 joints/],
      [(r) => (r.joints[0].min = 3.5), /joints\[0\]\.max: must be above min/],
      [(r) => (r.piano.elbow = 'up'), /piano\.elbow: must be "cw" or "ccw"/],
    ];
    for (const [mutate, re] of cases) {
      const r = raw();
      mutate(r);
      expect(() => validateRobot(r, 'arm.json')).toThrow(re);
    }
    expect(() => validateKeyboard({ ...kb, pressDepth: 0.02 }, 'kb.json')).toThrow(/kb.json: pressDepth: must lie between/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "name": ');
    expect(() => loadRobot(bad)).toThrow(/bad.json: \(file\): is not valid JSON/);
  });

  it('inverse kinematics inverts forward kinematics over the reach, and refuses what is out of reach', () => {
    for (let x = 0.05; x < 0.7; x += 0.05) {
      const q = inverse(left, x, 0.02)!;
      expect(q).not.toBeNull();
      const hand = forward(left, q)[2]!;
      expect(hand.x).toBeCloseTo(x, 9);
      expect(hand.y).toBeCloseTo(0.02, 9);
    }
    expect(inverse(left, 1.2, 0.02)).toBeNull();
  });
});

describe('scoring (mir_eval onset convention)', () => {
  it('matches same-pitch notes within 50 ms, each once', () => {
    const ref = [
      { pitch: 60, time: 1.0 },
      { pitch: 62, time: 1.5 },
      { pitch: 64, time: 2.0 },
      { pitch: 60, time: 1.02 },
    ];
    const est = [
      { pitch: 60, time: 1.049 }, // matches one of the two 60s
      { pitch: 62, time: 1.551 }, // 51 ms: too late
      { pitch: 65, time: 2.0 }, // wrong pitch
    ];
    const r = scoreNotes(ref, est);
    expect(r.matched).toBe(1);
    expect(r.precision).toBeCloseTo(1 / 3, 9);
    expect(r.recall).toBeCloseTo(1 / 4, 9);
    expect(r.missed.length).toBe(3);
    expect(scoreNotes(ref, ref).f1).toBe(1);
  });
});

describe('planning', () => {
  const note = (index: number, pitch: number, time: number, duration = 0.2) => ({ index, pitch, time, duration });

  it('reports out-of-reach, out-of-span and too-fast notes by number, never drops them silently', () => {
    const plan = planArm(left, kb, [
      note(0, 60, 0.5),
      note(1, 105, 1.0), // C8 is beyond the left arm's reach
      note(2, 36, 1.5),
      note(3, 60, 1.5), // C2 + C4 in one chord: two octaves, wider than the hand
      note(4, 38, 3.0),
      note(5, 70, 3.05), // a leap of 32 keys in 50 ms
    ]);
    const kinds = Object.fromEntries(plan.issues.map((i) => [i.kind, i.notes]));
    expect(kinds['out-of-reach']).toEqual([1]);
    expect(kinds['out-of-span']).toHaveLength(1);
    expect(kinds['too-fast']).toHaveLength(1);
    expect(plan.planned + 1 + 1 + 1).toBe(6);
  });

  it('lets a repeated key come back up before striking it again, across arms too', () => {
    const [a, b] = planArms(kb, [
      { robot: left, notes: [note(0, 60, 0.5, 1.0)] },
      { robot: right, notes: [note(1, 60, 1.0, 0.3)] },
    ]);
    const first = a!.strikes[0]!;
    const second = b!.strikes[0]!;
    expect(first.up).toBeLessThan(second.down - 0.02);
  });
});

describe('the simulated arm as a RobotDriver', () => {
  it('follows a trajectory, moves fingers, reports state, and stops at once', () => {
    const q0 = inverse(left, 0.3, 0.02)!;
    const q1 = inverse(left, 0.5, 0.02)!;
    const world = new World(kb, [{ robot: left, startQ: q0 }], { dtMs: 2 });
    const arm = world.arms[0]!;
    arm.follow([
      { time: 0.1, positions: q0, velocities: [0, 0, 0] },
      { time: 0.6, positions: q1, velocities: [0, 0, 0] },
    ]);
    arm.press(3, 0.01, 0.2);
    world.run(0.4);
    const mid = arm.state();
    expect(mid.fingers[3]).toBeCloseTo(0.01, 6);
    expect(forward(left, mid.positions)[2]!.x).toBeGreaterThan(0.3);
    arm.stop();
    const held = forward(left, arm.state().positions)[2]!.x;
    world.run(1.0);
    const after = arm.state();
    expect(after.fingers.every((f) => f === 0)).toBe(true);
    expect(forward(left, after.positions)[2]!.x).toBeCloseTo(held, 2); // it stayed, it did not go on to 0.5
    expect(() => arm.press(40, 0.01)).toThrow(/no finger 40/);
    expect(() => arm.follow([{ time: 2, positions: [0, 0] }])).toThrow(/3 joint positions/);
  });

  it('moves from where it is to a trajectory that starts elsewhere, as a trajectory controller does, and keeps no history', () => {
    const q0 = inverse(left, 0.3, 0.02)!;
    const q1 = inverse(left, 0.4, 0.02)!;
    const world = new World(kb, [{ robot: left, startQ: q0 }], { dtMs: 2 });
    const arm = world.arms[0]!;
    world.run(0.2);
    arm.follow([{ time: 1.2, positions: q1, velocities: [0, 0, 0] }]);
    world.run(0.7); // half way in time: on its way, not waiting to jump at 1.2 s
    const x = forward(left, arm.state().positions)[2]!.x;
    expect(x).toBeGreaterThan(0.33);
    expect(x).toBeLessThan(0.37);
    world.run(1.6);
    expect(forward(left, arm.state().positions)[2]!.x).toBeCloseTo(0.4, 2);
  });
});

describe('the simulated arm protects itself, like a real controller', () => {
  it('refuses a goal outside a joint range whoever sends it, and never runs a joint faster than its rated speed', () => {
    const q0 = inverse(left, 0.3, 0.02)!;
    const world = new World(kb, [{ robot: left, startQ: q0 }], { dtMs: 2 });
    const arm = world.arms[0]!;
    const wrist = left.joints[2]!;
    expect(() => arm.follow([{ time: 0.5, positions: [q0[0]!, q0[1]!, wrist.max + 1.5] }])).toThrow(/joint wrist target outside its range/);
    world.run(0.2); // settled at rest
    // inside the range but 1.2 rad in 10 ms (120 rad/s): it gets there at its own rated speed
    const target = [q0[0]!, q0[1]!, Math.max(wrist.min, q0[2]! - 1.2)];
    arm.follow([{ time: 0.21, positions: target, velocities: [0, 0, 0] }]);
    let fastest = 0;
    let prev = arm.state().positions[2]!;
    for (let t = 0.202; t <= 1.7; t += 0.002) {
      world.run(t);
      const q = arm.state().positions[2]!;
      fastest = Math.max(fastest, Math.abs(q - prev) / 0.002);
      prev = q;
    }
    expect(fastest).toBeGreaterThan(0.5 * wrist.maxSpeed); // it did move
    expect(fastest).toBeLessThanOrEqual(1.15 * wrist.maxSpeed);
    expect(arm.state().positions[2]!).toBeCloseTo(target[2]!, 1);
  });
});

describe('the simulated arms at the keyboard', () => {
  const memory = new SequenceMemory();
  const melodies = bundledMelodies();
  for (const m of melodies) memory.learn(m.title, m.sequence);

  it('play every bundled melody: F1 = 1.00, onset error median <= 10 ms, p95 <= 25 ms', () => {
    for (const m of melodies) {
      const p = perform(memory, m.title);
      expect(p.report.f1, m.title).toBe(1);
      expect(p.report.onsetMedianMs, m.title).toBeLessThanOrEqual(10);
      expect(p.report.onsetP95Ms, m.title).toBeLessThanOrEqual(25);
      expect(p.arms.length).toBe(m.sequence.tracks.length);
    }
  }, 300_000);

  it('hears notes from the keys, not from the plan: fingers that do not reach the keys play nothing', () => {
    const title = 'Ode to Joy';
    const r = memory.recall(title);
    const notes = r.tracks[0]!.notes.map((n, i) => ({ index: i, pitch: n.symbol, time: n.time, duration: n.seconds }));
    const plan = planArm(right, kb, notes);
    for (const s of plan.strikes) s.extension = 0.005; // strokes stop 15 mm above the keys
    const world = new World(kb, [{ robot: right, startQ: plan.startQ }], { dtMs: 2 });
    executePlan(world.arms[0]!, plan);
    world.run(5);
    expect(world.events.length).toBe(0);
  });

  it('a faster pacemaker makes the arms play faster', () => {
    const title = 'Minuet in G';
    const slow = perform(memory, title, { tempo: 1 });
    const fast = perform(memory, title, { tempo: 2 });
    expect(fast.report.f1).toBe(1);
    expect(fast.played.length).toBe(slow.played.length);
    const last = (p: typeof slow) => p.played[p.played.length - 1]!.time;
    expect(last(fast) / last(slow)).toBeCloseTo(0.5, 2);
    for (let i = 0; i < slow.played.length; i++) expect(fast.played[i]!.time * 2).toBeCloseTo(slow.played[i]!.time, 1);
  }, 120_000);
});
