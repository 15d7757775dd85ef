import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GoalResult, JointState, TrajectoryPoint } from '../../robots/driver.js';
import { completeVelocities, curvePeaks, sampleCurve, type FullPoint } from '../../robots/motion/spline.js';
import { CONTROL_HZ, GoalCode, IndustrialArm } from '../../sim/industrial-arm.js';
import { HOME, SIX } from '../helpers/six-joint-arm.js';

const six = SIX;
const joints = SIX.joints;
const DT = 1 / CONTROL_HZ;

function arm(options: ConstructorParameters<typeof IndustrialArm>[1] = {}) {
  const a = new IndustrialArm(six, { start: HOME, ...options });
  const states: JointState[] = [];
  const results: Array<GoalResult & { at: number }> = [];
  a.events.on('state', (s) => states.push(s));
  a.events.on('result', (r) => results.push({ ...r, at: a.time }));
  return { a, states, results };
}

const plus = (q: number[], dq: number[]) => q.map((x, j) => x + dq[j]!);
const rest = (time: number, q: number[]): FullPoint => ({ time, positions: q, velocities: q.map(() => 0) });

describe('a simulated industrial arm (position-controlled, 125 Hz)', () => {
  it('emits 125 joint states per simulated second, stamped on its clock', () => {
    const { a, states } = arm();
    a.advance(1);
    expect(states.length).toBe(125);
    a.advance(2.5);
    expect(states.length).toBe(312);
    expect(states[0]!.time).toBeCloseTo(DT, 12);
    expect(states[124]!.time).toBe(1);
    states.forEach((s, i) => i > 0 && expect(s.time - states[i - 1]!.time).toBeCloseTo(DT, 12));
    expect(states.at(-1)!.fingers).toEqual([]);
    expect(states.at(-1)!.positions).toEqual(HOME);
  });

  it('follows a goal along the curve the controller interpolates (cubic, and quintic with accelerations), then answers ok', () => {
    for (const quintic of [false, true]) {
      const { a, states, results } = arm();
      a.advance(0.5);
      const t0 = a.time;
      const q1 = plus(HOME, [0.4, -0.3, 0.5, 0.2, -0.2, 0.3]);
      const q2 = plus(HOME, [-0.2, 0.1, 0.2, -0.3, 0.4, -0.5]);
      const points: TrajectoryPoint[] = [
        { time: 0.6, positions: HOME },
        { time: 1.5, positions: q1, ...(quintic ? { velocities: [0.3, -0.2, 0.3, 0, 0, 0.1], accelerations: [0, 0, 0, 0, 0, 0] } : {}) },
        { time: 2.4, positions: q2, ...(quintic ? { velocities: [0, 0, 0, 0, 0, 0], accelerations: [0, 0, 0, 0, 0, 0] } : {}) },
      ];
      if (quintic) points[0] = { ...points[0]!, velocities: [0, 0, 0, 0, 0, 0], accelerations: [0, 0, 0, 0, 0, 0] };
      const full = completeVelocities(points);
      const from = rest(t0, HOME);
      // the goal is within every limit: the arm follows it exactly
      curvePeaks(full, from).forEach((p, j) => {
        expect(p.maxSpeed).toBeLessThan(joints[j]!.maxSpeed);
        expect(p.maxAccel).toBeLessThan(joints[j]!.maxAccel);
      });
      a.follow(points);
      a.advance(3);
      const during = states.filter((s) => s.time > t0);
      expect(during.length).toBe(3 * CONTROL_HZ - 62);
      for (const s of during) {
        const want = sampleCurve(full, s.time, from).positions;
        s.positions.forEach((q, j) => expect(q).toBeCloseTo(want[j]!, 9));
      }
      expect(results).toEqual([{ ok: true, code: 0, at: 2.4 }]);
      expect(a.state().positions.map((q, j) => q - q2[j]!).every((e) => Math.abs(e) < 1e-9)).toBe(true);
    }
  });

  it('splices a second goal in at its first point: what was queued before it stays, the rest is replaced', () => {
    const { a, states, results } = arm();
    const qa = plus(HOME, [0.3, 0.2, -0.3, 0.2, 0.2, 0.2]);
    const qb = plus(HOME, [0.6, 0.3, -0.5, 0.4, 0.3, 0.5]);
    const qc = plus(HOME, [0.8, 0.5, -0.2, 0.6, 0.2, 0.7]);
    const first: TrajectoryPoint[] = [
      { time: 0.1, positions: HOME },
      { time: 0.8, positions: qa },
      { time: 1.6, positions: qb },
      { time: 2.4, positions: qc },
    ];
    const qd = plus(HOME, [0.1, 0.3, -0.4, 0.1, 0, 0.1]);
    const second: TrajectoryPoint[] = [
      { time: 1.2, positions: plus(HOME, [0.4, 0.3, -0.4, 0.3, 0.3, 0.3]) },
      { time: 2.0, positions: qd },
    ];
    a.follow(first);
    a.advance(0.5);
    a.follow(second);
    a.advance(2.6);
    const f1 = completeVelocities(first);
    const f2 = completeVelocities(second);
    const from = rest(0, HOME);
    const spliced = [f1[0]!, f1[1]!, ...f2];
    for (const s of states) {
      const want = sampleCurve(s.time <= 0.5 ? f1 : spliced, s.time, from).positions;
      s.positions.forEach((q, j) => expect(q).toBeCloseTo(want[j]!, 9));
    }
    // the first goal lost its last two points: it is answered as cancelled when the second comes in
    expect(results.map((r) => [r.ok, r.code, r.at])).toEqual([
      [false, GoalCode.INVALID_GOAL, 0.496],
      [true, 0, 2],
    ]);
    expect(results[0]!.error).toMatch(/six-joint test arm: goal cancelled from 1\.200 s by a newer goal/);
    a.state().positions.forEach((q, j) => expect(q).toBeCloseTo(qd[j]!, 9));
  });

  it('a goal that starts after the queued one ends is appended: both finish ok', () => {
    const { a, results } = arm();
    a.follow([{ time: 0.1, positions: HOME }, { time: 0.6, positions: plus(HOME, [0.2, 0, 0, 0, 0, 0]) }]);
    a.follow([{ time: 1, positions: plus(HOME, [0.25, 0, 0, 0, 0, 0]) }]);
    a.advance(1.2);
    expect(results.map((r) => [r.ok, r.code, r.at])).toEqual([
      [true, 0, 0.6],
      [true, 0, 1],
    ]);
  });

  it('refuses a goal naming 3 of its 6 joints (INVALID_JOINTS) and does not move', () => {
    const { a, states, results } = arm();
    a.advance(0.2);
    a.follow([{ time: 0.5, positions: [0.1, 0.2, 0.3] }, { time: 1, positions: [0.2, 0.3, 0.4] }]);
    a.advance(1.5);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, code: GoalCode.INVALID_JOINTS });
    expect(results[0]!.error).toMatch(/six-joint test arm: point 0 gives 3 joint positions; the goal must name all 6 joints \(shoulder_pan_joint, .*wrist_3_joint\)/);
    for (const s of states) expect(s.positions).toEqual(HOME);
  });

  it('refuses a point outside the position limits (INVALID_GOAL), naming the joint, and does not move', () => {
    const { a, states, results } = arm();
    a.follow([{ time: 0.2, positions: HOME }, { time: 1, positions: plus(HOME, [0, 0, 2, 0, 0, 0]) }]);
    a.advance(1.5);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, code: GoalCode.INVALID_GOAL });
    expect(results[0]!.error).toMatch(/point 1: joint elbow_joint position 3\.570 is outside -3\.142\.\.3\.142/);
    for (const s of states) expect(s.positions).toEqual(HOME);
    // and times that do not increase
    a.follow([{ time: 2, positions: HOME }, { time: 2, positions: HOME }]);
    expect(results[1]).toMatchObject({ ok: false, code: GoalCode.INVALID_GOAL });
    expect(results[1]!.error).toMatch(/point 1: time 2 s does not come after 2 s/);
  });

  it('refuses a goal that starts in the past (OLD_HEADER_TIMESTAMP) and does not move; within the tolerance it is taken', () => {
    const { a, states, results } = arm({ pastTolerance: 0.1 });
    a.advance(1);
    const q1 = plus(HOME, [0.2, 0, 0, 0, 0, 0]);
    a.follow([{ time: 0.5, positions: HOME }, { time: 2, positions: q1 }]);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, code: GoalCode.OLD_HEADER_TIMESTAMP });
    expect(results[0]!.error).toMatch(/the goal starts at 0\.500 s, 0\.500 s before the arm's time 1\.000 s/);
    // within the tolerance but over before it could start
    a.follow([{ time: 0.95, positions: q1 }]);
    expect(results[1]).toMatchObject({ ok: false, code: GoalCode.OLD_HEADER_TIMESTAMP, error: "six-joint test arm: the goal ends at 0.950 s, not after the arm's time 1.000 s" });
    a.advance(2.5);
    for (const s of states) expect(s.positions).toEqual(HOME);
    a.follow([{ time: 2.45, positions: HOME }, { time: 3, positions: q1 }]);
    a.advance(3.5);
    expect(results[2]).toEqual({ ok: true, code: 0, at: 3 });
  });

  it('stop brakes within its acceleration limit, holds, drops what was queued, answers the goal as cancelled', () => {
    const { a, states, results } = arm();
    const stopped: string[] = [];
    a.events.on('stopped', (s) => stopped.push(s.reason));
    a.follow([{ time: 0.1, positions: HOME }, { time: 1.5, positions: plus(HOME, [1.5, 1, -1, 1, 1, 1.5]) }]);
    a.advance(0.8);
    const moving = a.state().velocities;
    expect(Math.max(...moving.map(Math.abs))).toBeGreaterThan(1);
    a.stop();
    expect(stopped).toEqual(['stop command']);
    expect(results).toEqual([{ ok: false, code: GoalCode.INVALID_GOAL, error: 'six-joint test arm: goal cancelled (stop command)', at: 0.8 }]);
    a.advance(2);
    const after = states.filter((s) => s.time > 0.8);
    after.forEach((s, i) => {
      const prev = i === 0 ? moving : after[i - 1]!.velocities;
      s.velocities.forEach((v, j) => expect(Math.abs(v - prev[j]!) / DT).toBeLessThanOrEqual(joints[j]!.maxAccel * (1 + 1e-9)));
    });
    const held = a.state().positions;
    expect(a.state().velocities.every((v) => v === 0)).toBe(true);
    a.advance(4);
    expect(a.state().positions).toEqual(held);
    expect(results).toHaveLength(1);
  });

  it('a goal faster than its limits makes it lag; past the path tolerance the goal aborts (PATH_TOLERANCE_VIOLATED) and it brakes to a hold', () => {
    const { a, states, results } = arm({ pathTolerance: 0.05 });
    a.follow([{ time: 0.1, positions: HOME }, { time: 0.4, positions: plus(HOME, [1.5, 0, 0, 0, 0, 0]) }]);
    a.advance(2);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, code: GoalCode.PATH_TOLERANCE_VIOLATED });
    expect(results[0]!.error).toMatch(/joint shoulder_pan_joint is 0\.05\d* off its trajectory at 0\.\d+ s \(path tolerance 0\.05\)/);
    for (const s of states) expect(Math.abs(s.velocities[0]!)).toBeLessThanOrEqual(Math.PI);
    const held = a.state().positions;
    expect(held[0]!).toBeLessThan(HOME[0]! + 1.5);
    a.advance(3);
    expect(a.state().positions).toEqual(held);
  });

  it('brakes in time for its position limits where the interpolated curve overshoots them', () => {
    for (const [j, side] of [[2, 1], [2, -1], [0, 1]] as const) {
      const limit = side > 0 ? joints[j]!.max : joints[j]!.min;
      const at = (q: number) => HOME.map((x, i) => (i === j ? q : x));
      const { a, states, results } = arm({ pathTolerance: 1, start: at(limit - 1.2 * side) });
      const v = HOME.map((_, i) => (i === j ? 2.5 * side : 0));
      // arriving at the limit at 2.5 rad/s: the cubic runs on past it before it turns back
      a.follow([
        { time: 0.1, positions: at(limit - 1.2 * side) },
        { time: 1.5, positions: at(limit), velocities: v },
        { time: 2.5, positions: at(limit - 0.3 * side), velocities: HOME.map(() => 0) },
      ]);
      a.advance(4);
      const peak = sampleCurve(completeVelocities([{ time: 1.5, positions: at(limit), velocities: v }, { time: 2.5, positions: at(limit - 0.3 * side), velocities: HOME.map(() => 0) }]), 1.6).positions[j]!;
      expect(side * (peak - limit)).toBeGreaterThan(0.1);
      let prev = 0;
      for (const s of states) {
        expect(side * (s.positions[j]! - limit)).toBeLessThanOrEqual(0);
        expect(Math.abs(s.velocities[j]! - prev) / DT).toBeLessThanOrEqual(joints[j]!.maxAccel * (1 + 1e-9));
        prev = s.velocities[j]!;
      }
      expect(Math.max(...states.map((s) => side * s.positions[j]!))).toBeGreaterThan(side * limit - 0.01);
      expect(results).toHaveLength(1);
    }
  });

  it('has no fingers: press and release name the robot', () => {
    const { a } = arm();
    expect(() => a.press(0)).toThrow(/six-joint test arm has no fingers/);
    expect(() => a.release(0)).toThrow(/six-joint test arm has no fingers/);
  });

  it('never exceeds its speed, acceleration or position limits, and answers every goal exactly once, whatever it is sent', () => {
    const goal = fc.record({
      at: fc.double({ min: 0, max: 2, noNaN: true }),
      lead: fc.double({ min: -0.05, max: 0.5, noNaN: true }),
      points: fc.array(
        fc.record({
          dt: fc.double({ min: 0.02, max: 1, noNaN: true }),
          // near home, or anywhere in the joint's range up to its limits
          wide: fc.boolean(),
          q: fc.array(fc.double({ min: -1.3, max: 1.3, noNaN: true }), { minLength: 6, maxLength: 6 }),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      stop: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(goal, { minLength: 1, maxLength: 5 }), (goals) => {
        const { a, states, results } = arm({ pathTolerance: 0.3 });
        let sent = 0;
        for (const g of [...goals].sort((x, y) => x.at - y.at)) {
          a.advance(g.at);
          if (g.stop) a.stop();
          let t = a.time + g.lead;
          const within = (q: number, j: number) => Math.max(joints[j]!.min, Math.min(joints[j]!.max, q));
          const points = g.points.map((p) => ({
            time: (t += p.dt),
            positions: p.q.map((x, j) => within(p.wide ? ((joints[j]!.min + joints[j]!.max) / 2 + (x * (joints[j]!.max - joints[j]!.min)) / 2) : HOME[j]! + 0.4 * x, j)),
          }));
          a.follow(points);
          sent++;
        }
        a.advance(a.time + 10);
        // the worst of every step, over each joint's limit (<= 1: within it)
        let speed = 0;
        let accel = 0;
        let outside = 0;
        let prev = HOME.map(() => 0);
        for (const s of states) {
          s.velocities.forEach((v, j) => {
            const lim = joints[j]!;
            speed = Math.max(speed, Math.abs(v) / lim.maxSpeed);
            accel = Math.max(accel, Math.abs(v - prev[j]!) / DT / lim.maxAccel);
            outside = Math.max(outside, lim.min - s.positions[j]!, s.positions[j]! - lim.max);
          });
          prev = s.velocities;
        }
        expect(speed).toBeLessThanOrEqual(1 + 1e-9);
        expect(accel).toBeLessThanOrEqual(1 + 1e-6);
        expect(outside).toBeLessThanOrEqual(1e-9);
        expect(results.length).toBe(sent);
        expect(a.state().velocities.every((v) => v === 0 || Math.abs(v) < 1e-9)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
