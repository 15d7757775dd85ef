import { describe, expect, it } from 'vitest';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/memory/snapshot.js';
import { Rng } from '../../src/snn/rng.js';
import { checkDemonstration, DemonstrationRecorder, gripperChanges, GRIPPER_TRACK, recallSkill, teachSkill, type DemoSample, type SkillJoint } from '../../src/skills/index.js';

const JOINTS: SkillJoint[] = [
  { name: 'shoulder', min: -Math.PI, max: Math.PI },
  { name: 'elbow', min: -Math.PI, max: Math.PI },
  { name: 'wrist', min: -Math.PI, max: Math.PI },
];

/**
 * Pick and place at 100 Hz with sensor noise: rest open, reach, pause and close in the middle of it,
 * carry, and open while still moving (at `openAt` s). Without `gripper` the same motion, no gripper.
 */
function pickAndPlace(seed = 1, gripper = true, openAt = 3.2): DemoSample[] {
  const rng = new Rng(seed);
  const poses = [[0, 0.5, -0.5], [0.8, -0.3, 0.2], [-0.4, 1.0, 0.6]];
  const plan = [
    { from: poses[0]!, to: poses[0]!, seconds: 0.5 },
    { from: poses[0]!, to: poses[1]!, seconds: 1.2 },
    { from: poses[1]!, to: poses[1]!, seconds: 0.8 },
    { from: poses[1]!, to: poses[2]!, seconds: 1.5 },
  ];
  const out: DemoSample[] = [];
  let t = 0;
  for (const seg of plan) {
    for (let k = 0; k < seg.seconds * 100; k++, t += 0.01) {
      const s = (1 - Math.cos((Math.PI * k) / (seg.seconds * 100))) / 2;
      const sample: DemoSample = { time: t, positions: seg.from.map((a, j) => a + s * (seg.to[j]! - a) + (rng.next() - 0.5) * 0.004) };
      // closed from the middle of the pause (2.1 s) until openAt
      if (gripper) sample.gripper = t >= 2.1 - 1e-9 && t < openAt - 1e-9 ? 1 : 0;
      out.push(sample);
    }
  }
  out.push({ time: t, positions: [...poses[2]!], ...(gripper ? { gripper: 0 } : {}) });
  return out;
}

describe('gripper events learned in the memory', () => {
  it('finds the start state and each change, a sensor sweep as one event', () => {
    expect(gripperChanges(pickAndPlace()).map((c) => [Number(c.time.toFixed(2)), c.closure])).toEqual([[0, 0], [2.1, 1], [3.2, 0]]);
    expect(gripperChanges(pickAndPlace(1, false))).toEqual([]);
    // a position sensor reporting the close over 0.2 s: one event, to where it settles
    const sweep = Array.from({ length: 60 }, (_, i) => ({ time: i * 0.02, positions: [0], gripper: Math.min(1, Math.max(0, (i - 20) / 10)) }));
    expect(gripperChanges(sweep).map((c) => [Number(c.time.toFixed(2)), c.closure])).toEqual([[0, 0], [0.42, 1]]);
    // a switch's chatter (one sample closed, one open, ...) is no change; a close that holds is one
    const chatter = Array.from({ length: 60 }, (_, i) => ({ time: i * 0.02, positions: [0], gripper: i < 40 ? i % 2 : 1 }));
    expect(gripperChanges(chatter).map((c) => [Number(c.time.toFixed(2)), c.closure])).toEqual([[0, 0], [0.78, 1]]);
  });

  it('recalls the gripper events from spikes at the times they happened, scaled by the tempo', () => {
    const m = new SequenceMemory();
    const taught = teachSkill(m, 'pick', pickAndPlace(), JOINTS);
    expect(taught.gripperEvents).toBe(3);
    expect(m.entry('pick').trackNames).toContain(GRIPPER_TRACK);
    const r = recallSkill(m, 'pick');
    expect(r.gripper!.map((g) => g.closure)).toEqual([0, 1, 0]);
    const want = [0, 2.1, 3.2];
    r.gripper!.forEach((g, i) => expect(Math.abs(g.time - want[i]!)).toBeLessThan(0.002));
    // the opening happens while the arm moves: a keyframe was forced there, so the replay passes the pose it opened at
    expect(r.keyframes.some((k) => Math.abs(k.time - 3.2) < 0.002)).toBe(true);
    // the close is inside the pause: the pause's keyframe holds the arm there
    expect(r.keyframes.some((k) => k.dwell > 0 && k.time < 2.1 && k.time + k.dwell > 2.1)).toBe(true);
    // twice the pacemaker's rate: the same events in half the time
    const fast = recallSkill(m, 'pick', { tempo: 2 });
    expect(fast.gripper!.map((g) => g.closure)).toEqual([0, 1, 0]);
    fast.gripper!.forEach((g, i) => expect(Math.abs(g.time - want[i]! / 2)).toBeLessThan(0.002));
    // and through a snapshot (the meta says where the gripper's symbols are; the events are in the synapses)
    const back = decodeSnapshot(encodeSnapshot(m));
    expect(recallSkill(back, 'pick').gripper).toEqual(r.gripper);
    expect(JSON.stringify(back.entry('pick').meta)).not.toMatch(/2\.1|3\.2/);
  });

  it('a skill without a gripper recalls as before: no gripper track, the same keyframes beside one with', () => {
    const m = new SequenceMemory();
    teachSkill(m, 'plain', pickAndPlace(2, false), JOINTS);
    const before = JSON.stringify(recallSkill(m, 'plain'));
    expect(recallSkill(m, 'plain')).not.toHaveProperty('gripper');
    expect(m.entry('plain').trackNames).not.toContain(GRIPPER_TRACK);
    teachSkill(m, 'pick', pickAndPlace(), JOINTS);
    expect(JSON.stringify(recallSkill(m, 'plain'))).toBe(before);
    // without a gripper change the same motion gives the same keyframes (only the forced one differs)
    const alone = new SequenceMemory();
    teachSkill(alone, 'plain', pickAndPlace(2, false), JOINTS);
    expect(JSON.stringify(recallSkill(alone, 'plain'))).toBe(before);
  });

  it('cutting sequence synapses degrades the gripper events like the rest of the recall', () => {
    let lost = 0;
    for (const seed of [1, 2, 3, 4]) {
      const m = new SequenceMemory();
      teachSkill(m, 'pick', pickAndPlace(seed), JOINTS);
      const whole = recallSkill(m, 'pick').gripper!;
      expect(whole.length).toBe(3);
      m.lesion(0.7, { seed });
      const cut = recallSkill(m, 'pick').gripper!;
      lost += whole.length - cut.filter((g, i) => whole[i] && g.closure === whole[i]!.closure && Math.abs(g.time - whole[i]!.time) < 0.002).length;
    }
    expect(lost).toBeGreaterThan(0);
  });

  it('refuses a bad gripper field, naming the sample', () => {
    const demo = pickAndPlace();
    const bad = (i: number, g: unknown) => demo.map((s, k) => (k === i ? { ...s, gripper: g as number } : s));
    expect(() => checkDemonstration(bad(5, 1.5), JOINTS, 'd')).toThrow(/^d\.samples\[5\]\.gripper: must be a number from 0 \(open\) to 1 \(closed\)$/);
    expect(() => checkDemonstration(bad(7, 'half'), JOINTS, 'd')).toThrow(/d\.samples\[7\]\.gripper: must be a number/);
    expect(() => checkDemonstration(demo.map((s, k) => (k === 9 ? { time: s.time, positions: s.positions } : s)), JOINTS, 'd')).toThrow(/d\.samples\[9\]\.gripper: is missing/);
    expect(() => checkDemonstration(pickAndPlace(1, false).map((s, k) => (k === 3 ? { ...s, gripper: 1 } : s)), JOINTS, 'd')).toThrow(/d\.samples\[3\]\.gripper: is given, but sample 0 has none/);
  });

  it('the recorder keeps the gripper a robot reports with its joint states', () => {
    const rec = new DemonstrationRecorder(JOINTS);
    rec.add(0, [0, 0, 0], undefined, 0);
    rec.add(0.1, [0, 0, 0.1], undefined, 1);
    rec.add(0.2, [0, 0, 0.2]);
    expect(rec.samples.map((s) => s.gripper)).toEqual([0, 1, 1]);
  });
});
