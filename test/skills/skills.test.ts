import { describe, expect, it } from 'vitest';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/memory/snapshot.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { Rng } from '../../src/snn/rng.js';
import {
  DemonstrationError,
  DemonstrationRecorder,
  PoseCode,
  demonstrationFragment,
  extractKeyframes,
  recallSkill,
  teachSkill,
  type DemoSample,
  type SkillJoint,
} from '../../src/skills/index.js';
import { keyframesToTrajectory } from '../../robots/motion/skill-trajectory.js';

const JOINTS: SkillJoint[] = [
  { name: 'shoulder', min: -Math.PI, max: Math.PI },
  { name: 'elbow', min: -Math.PI, max: Math.PI },
  { name: 'wrist', min: -Math.PI, max: Math.PI },
];

/** A taught move: rest, reach along a curve, rest, sweep, end; 100 Hz with sensor noise. */
function demonstration(seed = 1, poses: number[][] = [[0, 0.5, -0.5], [0.8, -0.3, 0.2], [-0.4, 1.0, 0.6]]): DemoSample[] {
  const rng = new Rng(seed);
  const out: DemoSample[] = [];
  const plan: Array<{ from: number[]; to: number[]; seconds: number; curve: number }> = [
    { from: poses[0]!, to: poses[0]!, seconds: 0.5, curve: 0 },
    { from: poses[0]!, to: poses[1]!, seconds: 1.2, curve: 0.3 },
    { from: poses[1]!, to: poses[1]!, seconds: 0.4, curve: 0 },
    { from: poses[1]!, to: poses[2]!, seconds: 1.5, curve: -0.4 },
  ];
  let t = 0;
  for (const seg of plan) {
    for (let k = 0; k < seg.seconds * 100; k++, t += 0.01) {
      const u = k / (seg.seconds * 100);
      const s = (1 - Math.cos(Math.PI * u)) / 2;
      out.push({
        time: t,
        positions: seg.from.map((a, j) => a + s * (seg.to[j]! - a) + (j === 1 ? seg.curve * Math.sin(Math.PI * u) : 0) + (rng.next() - 0.5) * 0.004),
      });
    }
  }
  out.push({ time: t, positions: [...poses[2]!] });
  return out;
}

/** Largest joint error of a piecewise-straight trajectory through `kf` against the demonstration. */
function trackingError(samples: DemoSample[], kf: Array<{ time: number; positions: number[]; dwell: number }>): number {
  const pts = kf.flatMap((k) => (k.dwell > 0 ? [{ t: k.time, q: k.positions }, { t: k.time + k.dwell, q: k.positions }] : [{ t: k.time, q: k.positions }]));
  let worst = 0;
  const t0 = samples[0]!.time;
  for (const s of samples) {
    const t = s.time - t0;
    let i = pts.findIndex((p) => p.t >= t);
    if (i < 0) i = pts.length - 1;
    const b = pts[i]!;
    const a = pts[Math.max(0, i - 1)]!;
    const u = b.t > a.t ? Math.min(1, Math.max(0, (t - a.t) / (b.t - a.t))) : 1;
    s.positions.forEach((q, j) => (worst = Math.max(worst, Math.abs(q - (a.q[j]! + u * (b.q[j]! - a.q[j]!))))));
  }
  return worst;
}

describe('keyframes from a demonstration', () => {
  it('keeps the pauses with their length and few poses in between, within tolerance', () => {
    const demo = demonstration();
    const kf = extractKeyframes(demo, { tolerance: 0.03 });
    expect(kf[0]!.time).toBe(0);
    expect(kf[0]!.dwell).toBeGreaterThan(0.4);
    const pauses = kf.filter((k) => k.dwell > 0);
    expect(pauses.length).toBe(2);
    expect(pauses[1]!.dwell).toBeGreaterThan(0.3);
    expect(kf.length).toBeLessThan(demo.length / 10);
    expect(trackingError(demo, kf)).toBeLessThan(0.03 + 0.011);
  });

  it('the pose code puts each joint in its own band above the MIDI pitches and decodes within half a position', () => {
    const code = PoseCode.forJoints(JOINTS);
    const q = [0.1234, -2.5, 3.1];
    const s = code.encode(q);
    expect(s.every((x) => x >= 128 && x <= 1023)).toBe(true);
    expect(s.map((x) => code.jointOf(x))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(s.map((x) => code.isFine(x))).toEqual([false, true, false, true, false, true]);
    code.decodePose(s).positions.forEach((x, j) => expect(Math.abs(x! - q[j]!)).toBeLessThanOrEqual(code.resolution(j) / 2 + 1e-12));
    expect(() => PoseCode.forJoints(Array.from({ length: 200 }, (_, i) => ({ name: `j${i}`, min: 0, max: 1 })))).toThrow(/joints leave/);
  });
});

describe('a skill taught by demonstration, recalled from the network', () => {
  it('recalls the keyframes from spikes, at the tempo the pacemaker sets', () => {
    const demo = demonstration();
    const m = new SequenceMemory();
    for (const mel of bundledMelodies().slice(0, 4)) m.learn(mel.title, mel.sequence);
    const taught = teachSkill(m, 'reach', demo, JOINTS, { robot: 'ur5e-planar' });
    expect(taught.keyframes).toBeGreaterThan(3);
    const code = PoseCode.forJoints(JOINTS);
    const direct = extractKeyframes(demo, { tolerance: Math.max(0.02, code.resolution(0)) });
    const r = recallSkill(m, 'reach');
    expect(r.incomplete).toBe(0);
    expect(r.keyframes.length).toBe(direct.length);
    r.keyframes.forEach((k, i) => {
      expect(Math.abs(k.time - direct[i]!.time)).toBeLessThan(0.002);
      expect(Math.abs(k.dwell - direct[i]!.dwell)).toBeLessThan(0.002);
      k.positions.forEach((q, j) => expect(Math.abs(q - direct[i]!.positions[j]!)).toBeLessThanOrEqual(code.resolution(j) / 2 + 1e-9));
    });
    expect(trackingError(demo, r.keyframes)).toBeLessThan(0.03 + code.resolution(0));
    // the pacemaker at twice the rate: the same poses in half the time
    const fast = recallSkill(m, 'reach', { tempo: 2 });
    const last = r.keyframes[r.keyframes.length - 1]!.time;
    expect(fast.keyframes[fast.keyframes.length - 1]!.time).toBeCloseTo(last / 2, 2);
    expect(fast.keyframes[0]!.dwell).toBeCloseTo(r.keyframes[0]!.dwell / 2, 2);
    expect(fast.keyframes.map((k) => k.positions)).toEqual(r.keyframes.map((k) => k.positions));
    // the skill survives a snapshot round trip (meta carries the joints, not the poses)
    const back = decodeSnapshot(encodeSnapshot(m));
    expect(recallSkill(back, 'reach').keyframes).toEqual(r.keyframes);
    expect(JSON.stringify(back.entry('reach').meta)).not.toMatch(/0\.8|-0\.3/);
  });

  it('cutting sequence synapses degrades the recalled skill', () => {
    const demo = demonstration();
    const m = new SequenceMemory();
    teachSkill(m, 'reach', demo, JOINTS);
    const whole = recallSkill(m, 'reach');
    m.lesion(0.6, { seed: 3 });
    const cut = recallSkill(m, 'reach');
    const lost = whole.keyframes.length - cut.keyframes.length + cut.incomplete;
    expect(lost).toBeGreaterThan(0);
  });

  it('turns keyframes into a trajectory that stops at pauses and passes through other poses', () => {
    const m = new SequenceMemory();
    teachSkill(m, 'reach', demonstration(), JOINTS);
    const r = recallSkill(m, 'reach');
    const pts = keyframesToTrajectory(r.keyframes, 10);
    expect(pts[0]!.time).toBe(10);
    expect(pts.length).toBe(r.keyframes.length + r.keyframes.filter((k) => k.dwell > 0).length);
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.time).toBeGreaterThan(pts[i - 1]!.time);
    expect(pts[0]!.velocities).toEqual([0, 0, 0]);
    expect(pts.some((p) => p.velocities!.some((v) => Math.abs(v) > 0.1))).toBe(true);
  });

  it('recognises a skill from the start of a demonstration', () => {
    const m = new SequenceMemory();
    for (const mel of bundledMelodies().slice(0, 4)) m.learn(mel.title, mel.sequence);
    teachSkill(m, 'reach', demonstration(1), JOINTS);
    teachSkill(m, 'sweep', demonstration(2, [[-1, 0.2, 0.3], [-0.2, -1.2, 0.9], [1.1, 0.4, -0.8]]), JOINTS);
    // a new demonstration of the same move (other noise), cut after 2 s
    const start = demonstration(7).filter((s) => s.time <= 2.0);
    const frag = demonstrationFragment(start, JOINTS, { keyframes: 3 });
    const best = m.identify(frag, { limit: 3 });
    expect(best[0]?.title).toBe('reach');
    const other = demonstrationFragment(demonstration(9, [[-1, 0.2, 0.3], [-0.2, -1.2, 0.9], [1.1, 0.4, -0.8]]).filter((s) => s.time <= 2.0), JOINTS, { keyframes: 3 });
    expect(m.identify(other)[0]?.title).toBe('sweep');
  });

  it('refuses bad demonstrations by field, and keeps what was learned', () => {
    const m = new SequenceMemory();
    teachSkill(m, 'reach', demonstration(), JOINTS);
    const before = encodeSnapshot(m);
    const good = demonstration(3);
    const cases: Array<[DemoSample[], RegExp]> = [
      [good.slice(0, 1), /samples: needs at least 2 samples/],
      [good.map((s, i) => (i === 5 ? { ...s, time: good[3]!.time } : s)), /samples\[5\]\.time: must be later/],
      [good.map((s, i) => (i === 7 ? { ...s, positions: [0, 0] } : s)), /samples\[7\]\.positions: must hold 3 joint positions/],
      [good.map((s, i) => (i === 9 ? { ...s, positions: [0, 4, 0] } : s)), /samples\[9\]\.positions\[1\]: joint 'elbow' at 4 rad is outside/],
      [good.map((s, i) => (i === 2 ? { ...s, positions: [0, Number.NaN, 0] } : s)), /samples\[2\]\.positions\[1\]: joint 'elbow' must be a finite/],
    ];
    for (const [demo, message] of cases) {
      expect(() => teachSkill(m, 'other', demo, JOINTS)).toThrow(DemonstrationError);
      expect(() => teachSkill(m, 'other', demo, JOINTS)).toThrow(message);
    }
    expect(() => teachSkill(m, 'reach', good, JOINTS)).toThrow(/already/);
    expect(encodeSnapshot(m).equals(before)).toBe(true);
  });

  it('records joint states by name, skipping what it cannot use', () => {
    const rec = new DemonstrationRecorder(JOINTS, { minInterval: 0.01 });
    rec.add(0, [9, 0.1, 0.2, 0.3], ['gripper', 'shoulder', 'elbow', 'wrist']);
    rec.add(0.005, [9, 0.1, 0.2, 0.3], ['gripper', 'shoulder', 'elbow', 'wrist']); // too soon
    rec.add(0.02, [0.1, 0.2], ['shoulder', 'elbow']); // wrist missing
    rec.add(0.03, [0.4, 0.5, 0.6]);
    expect(rec.samples).toEqual([{ time: 0, positions: [0.1, 0.2, 0.3] }, { time: 0.03, positions: [0.4, 0.5, 0.6] }]);
    expect(rec.dropped.get("joint 'wrist' missing from the joint state")).toBe(1);
  });
});
