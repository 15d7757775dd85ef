import { describe, expect, it } from 'vitest';
import { loadRobot } from '../../robots/load.js';
import { fitFactor } from '../../robots/motion/curve-limits.js';
import { keyframesToTrajectory } from '../../robots/motion/skill-trajectory.js';
import { completeVelocities, curvePeaks, retime, sampleCurve } from '../../robots/motion/spline.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/memory/snapshot.js';
import type { Sequence } from '../../src/memory/types.js';
import { Rng } from '../../src/snn/rng.js';
import { extractKeyframes, PoseCode, recallSkill, robotJoints, teachSkill, type DemoSample } from '../../src/skills/index.js';
import { gaussian, recordDemo, skillDemos } from '../bench/skill-demos.js';

const ARMS = { 3: 'ur5e-planar', 6: 'ur5e', 7: 'panda' } as const;

describe('pose code: resolution per joint', () => {
  it('resolves every joint of the 3-, 6- and 7-joint arms below the 2 mrad sensor noise, each from its own range', () => {
    for (const arm of Object.values(ARMS)) {
      const joints = robotJoints(loadRobot(arm));
      const code = PoseCode.forJoints(joints, { maxSymbol: 1023 });
      // within the memory's symbols, above the MIDI pitches, one band per joint
      expect(code.base).toBe(128);
      expect(code.lastSymbol).toBeLessThanOrEqual(1023);
      joints.forEach((j, i) => {
        expect(code.resolution(i)).toBeLessThan(0.0025);
        // what the shared single-column code gave: the range over an equal share of 896 columns
        expect(code.resolution(i)).toBeLessThan((j.max - j.min) / Math.floor(896 / joints.length) / 8);
      });
      const rng = new Rng(joints.length);
      for (let n = 0; n < 200; n++) {
        const q = joints.map((j) => j.min + rng.next() * (j.max - j.min));
        const symbols = code.encode(q);
        expect(symbols.length).toBe(2 * joints.length);
        expect(symbols.map((s) => code.jointOf(s))).toEqual(joints.flatMap((_, i) => [i, i]));
        const back = code.decodePose(symbols);
        expect(back.complete).toBe(true);
        back.positions.forEach((x, i) => expect(Math.abs(x! - q[i]!)).toBeLessThanOrEqual(code.resolution(i) / 2 + 1e-12));
      }
    }
    // a joint's resolution follows its own range: the panda's narrower joint 2 is finer than its joint 1
    const panda = PoseCode.forJoints(robotJoints(loadRobot('panda')));
    expect(panda.resolution(1)).toBeLessThan(panda.resolution(0) * 0.75);
  });

  it('recalls keyframes of noisy demonstrations within the sensor noise of the noiseless motion, on 3, 6 and 7 joints', () => {
    for (const arm of Object.values(ARMS)) {
      const robot = loadRobot(arm);
      const memory = new SequenceMemory();
      const demos = skillDemos(robot, 5, 3);
      const errors: number[] = [];
      demos.forEach((d, i) => {
        teachSkill(memory, d.name, recordDemo(d, robot, 100 + i, { noise: 0.002, rate: 50 }), robotJoints(robot));
        const r = recallSkill(memory, d.name);
        expect(r.incomplete).toBe(0);
        for (const k of r.keyframes) {
          // a pause's pose is what the arm held over it; a moving keyframe's, where it was at that time
          const truth = k.dwell > 0 ? d.at(k.time + k.dwell / 2) : d.at(k.time);
          k.positions.forEach((q, j) => errors.push(q - truth[j]!));
        }
      });
      const rms = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
      expect(rms, arm).toBeLessThan(0.002);
    }
  });
});

describe('pauses under sensor noise', () => {
  it('finds every pause of a 7-joint demonstration once, at its length, over many noise seeds', () => {
    const robot = loadRobot('panda');
    const joints = robotJoints(robot);
    let pauses = 0;
    let found = 0;
    for (const d of skillDemos(robot, 11, 6)) {
      for (let seed = 0; seed < 4; seed++) {
        const kf = extractKeyframes(recordDemo(d, robot, seed, { noise: 0.002, rate: 50 }));
        const held = kf.filter((k) => k.dwell > 0);
        for (const [a, b] of d.pauses) {
          pauses++;
          const over = held.filter((k) => k.time < b && k.time + k.dwell > a);
          // one keyframe per pause (not split), starting and ending within 0.25 s of the true pause (a slow
          // move creeps its last millimetre for about that long: still to the sensor)
          expect(over.length).toBe(1);
          expect(Math.abs(over[0]!.time - a)).toBeLessThan(0.25);
          expect(Math.abs(over[0]!.time + over[0]!.dwell - b)).toBeLessThan(0.25);
          found++;
        }
        expect(held.length).toBe(d.pauses.length);
      }
    }
    expect(found).toBe(pauses);
    expect(pauses).toBeGreaterThan(40);
    expect(joints.length).toBe(7);
  });

  it('keeps a long still stretch as one pause however the noise falls', () => {
    const rng = new Rng(3);
    const samples: DemoSample[] = [];
    for (let k = 0; k < 500; k++) samples.push({ time: k / 50, positions: [0.3, -0.2, 1.1, 0, 0.5, -1, 2].map((q) => q + 0.002 * gaussian(rng)) });
    const kf = extractKeyframes(samples);
    expect(kf.length).toBe(1);
    expect(kf[0]!.dwell).toBeCloseTo(9.98, 5);
    // its pose is the mean of 500 samples: far closer than one sample's noise
    kf[0]!.positions.forEach((q, j) => expect(Math.abs(q - [0.3, -0.2, 1.1, 0, 0.5, -1, 2][j]!)).toBeLessThan(0.0005));
  });
});

describe('replay: smooth and inside the limits', () => {
  it('passes through the keyframes with continuous speed and acceleration, at rest at pauses', () => {
    const robot = loadRobot('ur5e');
    const memory = new SequenceMemory();
    const d = skillDemos(robot, 21, 1)[0]!;
    teachSkill(memory, 'move', recordDemo(d, robot, 1), robotJoints(robot));
    const r = recallSkill(memory, 'move');
    const pts = completeVelocities(keyframesToTrajectory(r.keyframes, 0));
    expect(pts.every((p) => p.accelerations?.length === 6)).toBe(true);
    for (let i = 1; i < pts.length - 1; i++) {
      const t = pts[i]!.time;
      const before = sampleCurve(pts, t - 1e-7);
      const after = sampleCurve(pts, t + 1e-7);
      for (let j = 0; j < 6; j++) {
        expect(Math.abs(before.positions[j]! - pts[i]!.positions[j]!)).toBeLessThan(1e-6);
        expect(Math.abs(before.velocities[j]! - after.velocities[j]!)).toBeLessThan(1e-4);
        expect(Math.abs(before.accelerations[j]! - after.accelerations[j]!)).toBeLessThan(1e-2);
      }
    }
    for (const k of r.keyframes.filter((x) => x.dwell > 0)) {
      const mid = sampleCurve(pts, k.time + k.dwell / 2);
      mid.velocities.forEach((v) => expect(v).toBe(0));
    }
  });

  it('stays inside every speed and acceleration limit at 0.5x, 1x and 2x, and the gate fit slows a faster one until it does', () => {
    for (const arm of Object.values(ARMS)) {
      const robot = loadRobot(arm);
      const memory = new SequenceMemory();
      // a demonstration with room for twice its speed (a quarter of its acceleration at 2x)
      const calm = skillDemos(robot, 31, 1, { speedShare: 0.3, accelShare: 0.05 })[0]!;
      teachSkill(memory, 'calm', recordDemo(calm, robot, 2), robotJoints(robot));
      for (const tempo of [0.5, 1, 2]) {
        const pts = completeVelocities(keyframesToTrajectory(recallSkill(memory, 'calm', { tempo }).keyframes, 0));
        curvePeaks(pts).forEach((p, j) => {
          expect(p.maxSpeed, `${arm} ${tempo}x joint ${j}`).toBeLessThanOrEqual(robot.joints[j]!.maxSpeed);
          expect(p.maxAccel, `${arm} ${tempo}x joint ${j}`).toBeLessThanOrEqual(robot.joints[j]!.maxAccel);
        });
      }
      // near the limits at 1x: over them at 2x, and the gate's fit finds the slowing that fits
      const brisk = skillDemos(robot, 32, 1, { speedShare: 0.6, accelShare: 0.5 })[0]!;
      teachSkill(memory, 'brisk', recordDemo(brisk, robot, 3), robotJoints(robot));
      const fast = completeVelocities(keyframesToTrajectory(recallSkill(memory, 'brisk', { tempo: 2 }).keyframes, 0));
      const over = curvePeaks(fast).some((p, j) => p.maxSpeed > robot.joints[j]!.maxSpeed || p.maxAccel > robot.joints[j]!.maxAccel);
      expect(over).toBe(true);
      const f = fitFactor(robot.joints, fast, { ...fast[0]!, time: -1 })!;
      expect(f).toBeGreaterThan(0.2);
      expect(f).toBeLessThan(1);
      curvePeaks(retime(fast, f, -1)).forEach((p, j) => {
        expect(p.maxSpeed).toBeLessThanOrEqual(robot.joints[j]!.maxSpeed * (1 + 1e-6));
        expect(p.maxAccel).toBeLessThanOrEqual(robot.joints[j]!.maxAccel * (1 + 1e-6));
      });
    }
  });
});

describe('skills taught in the old single-column code', () => {
  it('still decode from their meta, also after a snapshot round trip', () => {
    const joints = robotJoints(loadRobot('ur5e'));
    // what engram wrote before per-joint resolution: one column per joint, 896 / 6 = 149 bins each
    const bins = 149;
    const poses = [
      [0, 0.5, -0.5, 1, -1, 2],
      [0.8, -0.3, 0.2, 1.4, -0.6, 2.5],
      [-0.4, 1.0, 0.6, 0.9, -1.3, 2.2],
    ];
    const oldSymbol = (q: number, j: number) => 128 + j * bins + Math.min(bins - 1, Math.floor(((q - joints[j]!.min) / (joints[j]!.max - joints[j]!.min)) * bins));
    const seq: Sequence = {
      tracks: [{ name: 'joints', notes: poses.flatMap((p, k) => p.map((q, j) => ({ symbol: oldSymbol(q, j), tick: k * 500, duration: k === 1 ? 200 : 0 }))) }],
      timing: [{ tick: 0, secondsPerTick: 0.001 }],
      meta: { kind: 'skill', robot: 'ur5e', joints: joints.map((j) => j.name), ranges: joints.map((j) => `${j.min},${j.max}`), bins, symbolBase: 128 },
    };
    const memory = new SequenceMemory();
    memory.learn('old wave', seq);
    for (const m of [memory, decodeSnapshot(encodeSnapshot(memory))]) {
      const r = recallSkill(m, 'old wave');
      expect(r.incomplete).toBe(0);
      expect(r.keyframes.map((k) => Math.round(k.time * 1000))).toEqual([0, 500, 1000]);
      expect(r.keyframes[1]!.dwell).toBeCloseTo(0.2, 3);
      r.keyframes.forEach((k, i) => k.positions.forEach((q, j) => expect(Math.abs(q - poses[i]![j]!)).toBeLessThanOrEqual((joints[j]!.max - joints[j]!.min) / bins / 2 + 1e-9)));
    }
    // a new skill beside it uses the coarse+fine code and its coarse track
    const d = skillDemos(loadRobot('ur5e'), 4, 1)[0]!;
    teachSkill(memory, 'new wave', recordDemo(d, loadRobot('ur5e'), 4), joints);
    expect(memory.entry('new wave').meta).toMatchObject({ poseCode: 'coarse-fine', symbolBase: 128 });
    expect(memory.entry('new wave').tracks).toBe(2);
    expect(memory.entry('old wave').tracks).toBe(1);
  });
});
