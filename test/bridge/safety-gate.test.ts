import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastestTempo, SafetyError, SafetyGate } from '../../bridge/safety-gate.js';
import type { JointLimits, RobotDescription } from '../../robots/description.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { loadRobot } from '../../robots/load.js';
import { completeVelocities, curvePeaks, sampleCurve, type FullPoint } from '../../robots/motion/spline.js';

const robot = loadRobot('ur5e-planar');
const HOME = [0.5, -0.5, 0];

/** A driver that records what reaches it; its joint state is set by the test. */
function fakeDriver(description: RobotDescription = robot, pose: JointState = { time: 0, positions: [...HOME], velocities: [0, 0, 0], fingers: [] }) {
  const sent: string[] = [];
  const followed: TrajectoryPoint[][] = [];
  const events = new Emitter<DriverEvents>();
  const driver: RobotDriver = {
    description,
    events,
    follow: (p: TrajectoryPoint[]) => void (sent.push(`follow ${p.length}`), followed.push(p)),
    press: (f: number) => void sent.push(`press ${f}`),
    release: (f: number) => void sent.push(`release ${f}`),
    state: (): JointState => pose,
    stop: () => void (sent.push('stop'), events.emit('stopped', { reason: 'stop command' })),
  };
  return { driver, sent, followed, pose, events };
}

function gate(opts: { watchdogMs?: number } = {}) {
  const fake = fakeDriver();
  let now = 0;
  let tick: () => void = () => {};
  const g = new SafetyGate(fake.driver, { ...opts, now: () => now, setInterval: (fn) => ((tick = fn), 1), clearInterval: () => {} });
  const stops: string[] = [];
  g.events.on('stopped', (s) => stops.push(s.reason));
  return { g, ...fake, stops, advance: (ms: number) => ((now += ms), tick()) };
}

const ok = (t: number, q = HOME): TrajectoryPoint => ({ time: t, positions: q });

/** The SafetyError a call throws (the test fails when it throws none). */
function refusal(fn: () => unknown): SafetyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SafetyError) return err;
    throw err;
  }
  throw new Error('expected a SafetyError');
}

describe('the safety gate', () => {
  it('passes commands inside the limits, sending the velocities it checked', () => {
    const { g, sent, followed } = gate();
    g.follow([ok(0.1), ok(1.1, [0.6, -0.5, 0]), ok(2.1, [0.7, -0.5, 0])]);
    g.press(3, 0.01);
    g.release(3);
    expect(sent).toEqual(['follow 3', 'press 3', 'release 3']);
    // the controller interpolates these velocities: the gate sent what it checked, not the bare positions
    const v = followed[0]!.map((p) => p.velocities!);
    expect(v[0]).toEqual([0, 0, 0]);
    expect(v[1]![0]).toBeCloseTo(0.1, 12);
    expect(v[2]).toEqual([0, 0, 0]);
  });

  it('refuses targets outside joint limits and malformed trajectories, naming the joint, and sends nothing', () => {
    const { g, sent } = gate();
    expect(() => g.follow([ok(1, [4, 0, 0])])).toThrow(/joint shoulder would reach 4 rad, outside its -3.14..3.14 rad/);
    expect(() => g.follow([ok(0.1), ok(0.2, [1.5, -0.5, 0])])).toThrow(/joint shoulder would reach 600 rad\/s\^2, over its 15 rad\/s\^2; it fits at 0.158 times this speed/);
    expect(() => g.follow([{ time: 1, positions: HOME, velocities: [0, 9, 0] }])).toThrow(/joint elbow would reach 9 rad\/s, over its 3.14 rad\/s/);
    expect(() => g.follow([{ time: 0, positions: [0, 0] }])).toThrow(/needs a time and 3 joint positions/);
    expect(() => g.follow([{ time: 1, positions: HOME, velocities: [0, NaN, 0] }])).toThrow(/velocities need 3 finite numbers/);
    expect(() => g.press(30, 0.01)).toThrow(/finger 30 does not exist/);
    expect(() => g.press(2, 0.5)).toThrow(/extension 0.5 m is outside/);
    expect(sent).toEqual([]);
  });

  it('checks the peak of the executed curve, not the average between points', () => {
    const { g, sent } = gate();
    // 2.5 rad in 1 s from rest to rest: 2.5 rad/s on average, but the cubic peaks at 3.75 rad/s
    const err = refusal(() => g.follow([ok(0.1), ok(1.1, [3, -0.5, 0])]));
    expect(err.reason).toBe('limits');
    expect(err.message).toMatch(/^ur5e-planar: joint shoulder would reach 3.75 rad\/s, over its 3.14 rad\/s; it fits at 0.838 times this speed$/);
    expect(err.data).toMatchObject({ robot: 'ur5e-planar', joint: 'shoulder', quantity: 'speed', limit: 3.1416 });
    expect(err.data!.value).toBeCloseTo(3.75, 9);
    expect(err.data!.fitFactor).toBeCloseTo(3.1416 / 3.75, 6);
    expect(fastestTempo(err, 1.5)).toBeCloseTo((1.5 * 3.1416) / 3.75, 6);
    expect(sent).toEqual([]);
  });

  it('counts the move from where the arm is to the first point, and fit() slows that too', () => {
    const { g, sent, followed } = gate();
    // 1 rad in 0.5 s from where the arm rests: 3 rad/s peak (under 3.14) but 24 rad/s^2 (over 15)
    const points = [ok(0.5, [1.5, -0.5, 0]), ok(1.5, [1.5, -0.5, 0])];
    const err = refusal(() => g.follow(points));
    expect(err.data).toMatchObject({ joint: 'shoulder', quantity: 'acceleration', limit: 15 });
    expect(err.data!.value).toBeCloseTo(24, 9);
    expect(err.data!.fitFactor).toBeCloseTo(Math.sqrt(15 / 24), 6);
    const fitted = g.fit(points);
    expect(fitted.factor).toBeCloseTo(Math.sqrt(15 / 24), 6);
    expect(fitted.points[0]!.time).toBeCloseTo(0.5 / fitted.factor, 6); // retimed about where the arm is (clock 0)
    expect(fitted.points[1]!.time - fitted.points[0]!.time).toBeCloseTo(1 / fitted.factor, 6);
    g.follow(fitted.points);
    expect(sent).toEqual(['follow 2']);
    expect(followed[0]![0]!.positions).toEqual([1.5, -0.5, 0]);
    // a trajectory that fits (from the end of the queued one) comes back as it is
    const fine = [ok(3, [1.5, -0.5, 0])];
    expect(g.fit(fine)).toEqual({ points: fine, factor: 1 });
  });

  it('checks positions along the curve: a cubic overshoots the points', () => {
    const { g } = gate();
    // leaving 3.1 rad at 2 rad/s to come back to it: the curve peaks near 3.4 rad, past the 3.1416 limit
    const points: TrajectoryPoint[] = [
      { time: 1, positions: [3, -0.5, 0], velocities: [0, 0, 0] },
      { time: 2, positions: [3.1, -0.5, 0], velocities: [2, 0, 0] },
      { time: 3, positions: [3.1, -0.5, 0], velocities: [0, 0, 0] },
    ];
    const err = refusal(() => g.follow(points));
    expect(err.message).toMatch(/joint shoulder would reach 3.4 rad, outside its -3.14..3.14 rad$/);
    expect(err.data).toMatchObject({ quantity: 'position', limit: 3.1416 });
    expect(err.data!.fitFactor).toBeUndefined();
    expect(() => g.fit(points)).toThrow(/outside its/); // slowing down does not help
  });

  it('times must increase, the first point must not be in the past, nor before what is queued', () => {
    const { g, pose, sent } = gate();
    pose.time = 5;
    expect(() => g.follow([ok(4)])).toThrow(/the first point \(4 s\) is in the robot's past \(its clock reads 5 s\)/);
    expect(() => g.follow([ok(6), ok(6)])).toThrow(/point 1: time 6 s does not come after 6 s/);
    expect(() => g.follow([ok(5.5), ok(5.4)])).toThrow(/does not come after/);
    g.follow([ok(5.5), ok(7, [0.6, -0.5, 0])]);
    expect(() => g.follow([ok(6.5)])).toThrow(/before the end of its queued trajectory \(7 s\)/);
    // the next trajectory starts from the end of the queued one, not from where the arm is now
    expect(() => g.follow([ok(7.5, [0.6, -0.5, 0])])).not.toThrow();
    expect(() => g.follow([ok(7.6, [1.6, -0.5, 0])])).toThrow(/joint shoulder would reach/);
    expect(sent).toEqual(['follow 2', 'follow 1']);
  });

  it('refuses (never queues) commands while disconnected, and stops the robot when the link drops', () => {
    const { g, sent } = gate();
    g.setConnected(false);
    expect(sent).toEqual(['stop']);
    expect(() => g.follow([ok(1)])).toThrow(SafetyError);
    expect(() => g.press(1, 0.01)).toThrow(/refused, not queued|stopped/);
    // resume is refused while the link is down: the arm must not move after the next reconnect by itself
    expect(refusal(() => g.resume()).reason).toBe('disconnected');
    g.setConnected(true);
    expect(() => g.follow([ok(1)])).toThrow(/is stopped \(link lost\): resume/);
    g.resume();
    g.follow([ok(1)]);
    expect(sent).toEqual(['stop', 'follow 1']);
  });

  it('stop always reaches the robot, wins over later commands, and is reported once with its reason', () => {
    const { g, sent, stops } = gate();
    g.stop();
    g.stop();
    g.setConnected(false);
    g.stop();
    expect(sent.filter((s) => s === 'stop').length).toBe(4);
    expect(() => g.follow([ok(1)])).toThrow(/stopped/);
    expect(stops).toEqual(['stop command']);
  });

  it('a robot that stops by itself stays stopped until resumed', () => {
    const { g, events, stops, sent } = gate();
    events.emit('stopped', { reason: 'controller watchdog' });
    expect(g.stopped).toBe(true);
    expect(stops).toEqual(['controller watchdog']);
    expect(() => g.follow([ok(1)])).toThrow(/stopped \(controller watchdog\)/);
    g.resume();
    g.follow([ok(1)]);
    expect(sent).toEqual(['follow 1']);
  });

  it('stops the robot when its joint states stop arriving', () => {
    const { g, sent, stops, advance } = gate({ watchdogMs: 200 });
    g.follow([ok(0)]);
    advance(150);
    g.heartbeat();
    advance(150);
    expect(sent).toEqual(['follow 1']);
    advance(100);
    expect(sent).toEqual(['follow 1', 'stop']);
    expect(g.lastStopReason).toMatch(/no joint state for 200 ms/);
    expect(stops).toEqual(['no joint state for 200 ms']);
  });

  it('stops the robot on a joint state no arm could report (forged or faulty), and plans nothing from it', () => {
    const { g, sent, stops, events, advance } = gate();
    const errors: string[] = [];
    g.events.on('error', (e) => errors.push(e.message));
    const state = (time: number, positions: number[]) => events.emit('state', { time, positions, velocities: [0, 0, 0], fingers: [] });
    // an honest arm at its full 3.14 rad/s on joint 0, 8 ms apart, with 2 mrad of noise: trusted
    for (let k = 0; k <= 50; k++) {
      advance(8);
      state(k * 0.008, [0.5 + 3.14 * 0.008 * k + (k % 2 ? 0.002 : -0.002), -0.5, 0]);
    }
    expect(stops).toEqual([]);
    // a pose 1 rad away 8 ms later: 125 rad/s, not a real arm
    advance(8);
    state(0.416, [2.8, -0.5, 0]);
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(/joint states not trusted: joint shoulder moved .* faster than its 3.14\/s limit/);
    expect(errors).toHaveLength(1);
    expect(sent).toEqual(['stop']);
    expect(() => g.follow([ok(1)])).toThrow(/stopped/);
    // a position past the joint's range, after a resume
    g.resume();
    advance(8);
    state(0.5, [2.8, -0.5, 0]);
    advance(8);
    state(0.508, [2.8, -0.5, 9]);
    expect(stops[1]).toMatch(/joint wrist reported 9, outside its range -3.14..3.14/);
  });

  it('while a commanded curve runs, an arm far from it (held back, pushed, or a forged state) is stopped; one on it is not', () => {
    const { g, stops, events, advance, pose } = gate();
    const state = (time: number, positions: number[]) => {
      Object.assign(pose, { time, positions });
      events.emit('state', { time, positions, velocities: [0, 0, 0], fingers: [] });
    };
    const target = [1.5, -0.5, 0];
    g.follow([{ time: 1, positions: target, velocities: [0, 0, 0] }]);
    // an arm on the curve (a smooth move from HOME to target over 1 s), sampled at 100 Hz
    const on = (t: number) => HOME.map((h, j) => h + (target[j]! - h) * (3 * t * t - 2 * t * t * t));
    for (let k = 1; k <= 100; k++) {
      advance(10);
      state(k / 100, on(k / 100));
    }
    expect(stops).toEqual([]);
    // a second move, then an arm that stays behind: stopped once it is 0.25 rad off
    g.follow([{ time: 2, positions: HOME, velocities: [0, 0, 0] }]);
    for (let k = 101; k <= 200 && stops.length === 0; k++) {
      advance(10);
      state(k / 100, target);
    }
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(/joint shoulder is at 1.5, 0.25\d* from where it was commanded to be/);
    // after the curve has ended (and settled), a hand moving the arm is no longer judged against it
    g.resume();
    g.follow([{ time: 3, positions: target, velocities: [0, 0, 0] }]);
    for (let k = 201; k <= 400; k++) {
      advance(10);
      state(k / 100, target);
    }
    for (let k = 401; k <= 600; k++) {
      advance(10);
      state(k / 100, [1.5 - (k - 400) * 0.005, -0.5, 0]);
    }
    expect(stops.slice(1)).toEqual([]);
  });

  it('a continuous joint that wraps around is not a jump, and a reconnect starts the judgement afresh', () => {
    const continuous: RobotDescription = { ...robot, joints: robot.joints.map((j, i) => (i === 2 ? { ...j, type: 'continuous' as const } : j)) };
    const fake = fakeDriver(continuous);
    let now = 0;
    const g = new SafetyGate(fake.driver, { now: () => now, setInterval: () => 1, clearInterval: () => {} });
    const stops: string[] = [];
    g.events.on('stopped', (s) => stops.push(s.reason));
    const state = (time: number, positions: number[]) => fake.events.emit('state', { time, positions, velocities: [0, 0, 0], fingers: [] });
    state(0, [0.5, -0.5, Math.PI - 0.005]);
    now += 8;
    state(0.008, [0.5, -0.5, -Math.PI + 0.005]);
    expect(stops).toEqual([]);
    fake.events.emit('connection', false);
    fake.events.emit('connection', true);
    g.resume();
    now += 8;
    state(0.016, [1.5, -0.5, 0]); // the arm moved while the link was down: the first state after it is the new baseline
    now += 8;
    state(0.024, [1.5, -0.5, 0]);
    expect(stops).toEqual(['link lost']);
  });
});

/** A random arm: limits, where it is and how it moves now, and a trajectory for it (cubic or quintic). */
const scenario = fc
  .integer({ min: 1, max: 7 })
  .chain((n) =>
    fc.record({
      joints: fc.array(
        fc.record({
          min: fc.double({ min: -3, max: -0.5, noNaN: true }),
          max: fc.double({ min: 0.5, max: 3, noNaN: true }),
          maxSpeed: fc.double({ min: 0.3, max: 4, noNaN: true }),
          maxAccel: fc.double({ min: 1, max: 30, noNaN: true }),
        }),
        { minLength: n, maxLength: n },
      ),
      clock: fc.double({ min: 0, max: 100, noNaN: true }),
      at: fc.array(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { minLength: n, maxLength: n }),
      moving: fc.option(fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }), { minLength: n, maxLength: n }), { nil: undefined }),
      quintic: fc.boolean(),
      points: fc.array(
        fc.record({
          dt: fc.double({ min: 0.01, max: 1.5, noNaN: true }),
          at: fc.array(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { minLength: n, maxLength: n }),
          accel: fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: n, maxLength: n }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
    }),
  );

describe('gate.fit() on random trajectories', () => {
  it('the fitted curve, sampled densely, breaks no position, speed or acceleration limit, and the gate accepts it', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const joints: JointLimits[] = sc.joints.map((j, i) => ({ name: `j${i}`, type: 'revolute', ...j, maxEffort: 100 }));
        const place = (u: readonly number[]) => u.map((x, i) => joints[i]!.min + x * (joints[i]!.max - joints[i]!.min));
        const from: FullPoint = { time: sc.clock, positions: place(sc.at), velocities: joints.map((lim, i) => (sc.moving?.[i] ?? 0) * lim.maxSpeed) };
        let t = sc.clock;
        const points: TrajectoryPoint[] = sc.points.map((p) => ({ time: (t += p.dt), positions: place(p.at), ...(sc.quintic ? { accelerations: p.accel } : {}) }));
        const description: RobotDescription = { name: 'random', source: 'fast-check', joints };
        const { driver } = fakeDriver(description, { ...from, fingers: [] });
        const g = new SafetyGate(driver, { setInterval: () => 0, clearInterval: () => {} });

        let fitted: ReturnType<SafetyGate['fit']>;
        try {
          fitted = g.fit(points);
        } catch (err) {
          // refused: only when slowing down cannot help; the original curve really leaves a joint's range then
          expect(err).toBeInstanceOf(SafetyError);
          const data = (err as SafetyError).data!;
          expect(data.fitFactor).toBeUndefined();
          if (data.quantity === 'position') {
            const j = joints.findIndex((l) => l.name === data.joint);
            expect(extremes(completeVelocities(points), from, j).some((q) => q < joints[j]!.min - 1e-9 || q > joints[j]!.max + 1e-9)).toBe(true);
          } else expect(sc.moving).toBeDefined(); // only an arm already moving can defeat the retiming
          return;
        }
        expect(fitted.factor).toBeGreaterThan(0);
        expect(fitted.factor).toBeLessThanOrEqual(1);
        const full = completeVelocities(fitted.points);
        // the worst sample, relative to its limit (1 = at the limit)
        let worst = 0;
        const all = [from, ...full];
        for (let k = 0; k + 1 < all.length; k++) {
          const t0 = all[k]!.time;
          const t1 = all[k + 1]!.time;
          for (let i = 0; i <= 200; i++) {
            const s = sampleCurve(full, t0 + ((t1 - t0) * i) / 200, from);
            joints.forEach((lim, j) => {
              const q = s.positions[j]!;
              const outside = q < lim.min ? 1 + (lim.min - q) : q > lim.max ? 1 + (q - lim.max) : 0;
              worst = Math.max(worst, outside, Math.abs(s.velocities[j]!) / lim.maxSpeed, Math.abs(s.accelerations[j]!) / lim.maxAccel);
            });
          }
        }
        expect(worst).toBeLessThanOrEqual(1 + 1e-9);
        expect(() => g.checkTrajectory(fitted.points)).not.toThrow();
        if (fitted.factor < 1 && !sc.moving) {
          // from rest the fit is tight: some joint reaches a speed or acceleration limit
          const peaks = curvePeaks(full, from);
          const use = Math.max(...peaks.map((p, j) => Math.max(p.maxSpeed / joints[j]!.maxSpeed, p.maxAccel / joints[j]!.maxAccel)));
          expect(use).toBeGreaterThan(1 - 1e-6);
        }
        g.dispose();
      }),
      { numRuns: 300 },
    );
  });
});

/** A joint's positions along the executed curve, sampled densely. */
function extremes(full: FullPoint[], from: FullPoint, j: number): number[] {
  const all = [from, ...full];
  const out: number[] = [];
  for (let k = 0; k + 1 < all.length; k++) {
    for (let i = 0; i <= 400; i++) out.push(sampleCurve(full, all[k]!.time + ((all[k + 1]!.time - all[k]!.time) * i) / 400, from).positions[j]!);
  }
  return out;
}
