import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Fleet, FleetError } from '../../bridge/fleet.js';
import { SafetyGate } from '../../bridge/safety-gate.js';
import type { JointLimits, RobotDescription } from '../../robots/description.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { completeVelocities, sampleCurve, type FullPoint } from '../../robots/motion/spline.js';
import { loadKeyboard } from '../../robots/load.js';
import { localMotion } from '../../robots/motion/motion-source.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { robotJoints } from '../../src/skills/demonstration.js';
import { recallSkill, teachSkill } from '../../src/skills/skill.js';

/**
 * What a perform answer says when things go wrong on the robot: a goal the controller rejects, a stop
 * nobody asked for (watchdog), a link that drops; a piece asked of an arm without a keyboard; resume
 * while the link is down. In-process robots on fake timers: nothing here depends on the wall clock.
 */
const joint = (name: string): JointLimits => ({ name, type: 'revolute', min: -3, max: 3, maxSpeed: 3, maxAccel: 15, maxEffort: 100 });
const ARM: RobotDescription = { name: 'six', source: 'test', joints: ['j1', 'j2', 'j3', 'j4', 'j5', 'j6'].map(joint) };

/** A 6-joint arm that follows the executed curve exactly; it can reject goals, go quiet and lose its link. */
class TestArm implements RobotDriver {
  readonly description = ARM;
  readonly events = new Emitter<DriverEvents>();
  q = [0, 0, 0, 0, 0, 0];
  time = 0;
  #curve: FullPoint[] | null = null;
  reject: { code: number; error: string } | null = null;
  quiet = false;
  up = true;
  followed: TrajectoryPoint[][] = [];
  readonly #timer = setInterval(() => {
    this.time += 0.02;
    if (this.#curve) this.q = sampleCurve(this.#curve, this.time).positions;
    if (!this.quiet) this.events.emit('state', this.state());
  }, 20);

  follow(points: TrajectoryPoint[]): void {
    this.followed.push(points);
    if (this.reject) return void queueMicrotask(() => this.events.emit('result', { ok: false, ...this.reject! }));
    this.#curve = completeVelocities(points);
  }
  press(): void {
    throw new Error('no fingers');
  }
  release(): void {
    throw new Error('no fingers');
  }
  state(): JointState {
    return { time: this.time, positions: [...this.q], velocities: this.q.map(() => 0), fingers: [] };
  }
  stop(): void {
    this.#curve = null;
  }
  dispose(): void {
    clearInterval(this.#timer);
  }
}

function demo() {
  const samples = [];
  for (let i = 0; i <= 100; i++) {
    const t = i * 0.02;
    samples.push({ time: t, positions: [0.5 * Math.sin(t), 0.3 * t, -0.2 * t, 0.1, 0.4 * Math.cos(t), 0.2] });
  }
  return samples;
}

describe('honest results from the fleet', () => {
  let arm: TestArm;
  let fleet: Fleet;
  const events: Array<{ type: string; [k: string]: unknown }> = [];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date'] });
    const memory = new SequenceMemory();
    teachSkill(memory, 'reach', demo(), robotJoints(ARM));
    arm = new TestArm();
    fleet = new Fleet(localMotion(memory), { keyboard: loadKeyboard() });
    const gate = new SafetyGate(arm, { watchdogMs: 200 });
    fleet.add({ id: 'six', transport: 'mqtt', gate, jointNames: ARM.joints.map((j) => j.name), linkUp: () => arm.up, dispose: () => arm.dispose() });
    events.length = 0;
  });
  afterEach(() => {
    fleet.close();
    vi.useRealTimers();
  });
  const emit = (e: { type: string; [k: string]: unknown }) => void events.push(e);

  it('performs a skill on all six joints and says how many keyframes it reached', async () => {
    const run = fleet.performSkill('reach', 'six', {}, emit);
    await vi.advanceTimersByTimeAsync(20_000);
    const r = (await run) as { keyframes: number; reached: number; stopped: boolean };
    expect(r.stopped).toBe(false);
    expect(r.reached).toBe(r.keyframes);
    expect(arm.followed[0]![0]!.positions).toHaveLength(6);
  });

  it('a goal the controller rejects makes perform fail with its code and text', async () => {
    arm.reject = { code: -2, error: 'follow_joint_trajectory: error_code -2 (Joints on incoming goal don\'t match the controller joints.)' };
    const run = fleet.performSkill('reach', 'six', {}, emit).catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(20_000);
    const err = await run;
    expect(err).toBeInstanceOf(FleetError);
    expect((err as Error).message).toMatch(/robot 'six': follow_joint_trajectory: error_code -2 \(Joints on incoming goal/);
    expect((err as Error).message).toMatch(/0 of \d+ keyframes were due/);
    expect(fleet.list()[0]!.stopped).toBe(true);
  });

  it('a watchdog stop mid-skill is an error, not a finished skill', async () => {
    const run = fleet.performSkill('reach', 'six', {}, emit).catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(700);
    arm.quiet = true; // joint states stop arriving
    await vi.advanceTimersByTimeAsync(20_000);
    const err = await run;
    expect(err).toBeInstanceOf(FleetError);
    expect((err as Error).message).toMatch(/robot 'six' was stopped: no joint state for 200 ms/);
  });

  it('an operator stop is reported as stopped, with the reason', async () => {
    const run = fleet.performSkill('reach', 'six', {}, emit);
    await vi.advanceTimersByTimeAsync(700);
    fleet.stop('stop command');
    await vi.advanceTimersByTimeAsync(100);
    const r = (await run) as { stopped: boolean; stopReason: string; reached: number; keyframes: number };
    expect(r.stopped).toBe(true);
    expect(r.stopReason).toBe('stop command');
    expect(r.reached).toBeLessThan(r.keyframes);
  });

  it('refuses a piece on an arm with no keyboard, naming the robot', async () => {
    await expect(fleet.performPiece('Ode to Joy', ['six'], {}, emit)).rejects.toThrow(/robot 'six' \(six\) has no keyboard and fingers/);
    expect(arm.followed).toHaveLength(0);
  });

  it('refuses resume while the link is down, and a stopped robot stays stopped after the link comes back', async () => {
    fleet.stop('stop command');
    arm.up = false;
    arm.events.emit('connection', false);
    expect(fleet.resume()).toEqual({ resumed: [], refused: [{ robot: 'six', reason: 'the link is down: resume once it is back' }] });
    arm.up = true;
    arm.events.emit('connection', true);
    await vi.advanceTimersByTimeAsync(100);
    expect(fleet.list()[0]!.stopped).toBe(true);
    await expect(fleet.performSkill('reach', 'six', {}, emit)).rejects.toThrow(/robot 'six' is stopped \(.*\): resume it first/);
    expect(fleet.resume()).toEqual({ resumed: ['six'], refused: [] });
  });
});

/** The same arm with a gripper that refuses (or aborts) every command, and one whose link can be cut. */
class GripArm extends TestArm {
  override readonly description: RobotDescription = { ...ARM, gripper: { seconds: 0.3 } };
  grips: Array<{ closure: number; at?: number }> = [];
  refuse: string | null = 'gripper_cmd: goal ABORTED (the gripper is blocked)';
  grip(closure: number, at?: number): void {
    this.grips.push({ closure, at });
    const refuse = this.refuse;
    if (refuse !== null) return void queueMicrotask(() => this.events.emit('gripper', { ok: false, closure, error: refuse }));
    // there once its time comes on the arm's clock
    const off = this.events.on('state', (s) => s.time >= (at ?? 0) + 0.1 && (off(), this.events.emit('gripper', { ok: true, closure, position: closure })));
  }
}

describe('honest gripper results from the fleet', () => {
  let arm: GripArm;
  let fleet: Fleet;
  let gate: SafetyGate;
  let memory: SequenceMemory;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date'] });
    memory = new SequenceMemory();
    teachSkill(memory, 'pick', demo().map((s) => ({ ...s, gripper: s.time >= 1 ? 1 : 0 })), robotJoints(ARM));
    arm = new GripArm();
    fleet = new Fleet(localMotion(memory), { keyboard: loadKeyboard() });
    gate = new SafetyGate(arm, { watchdogMs: 200 });
    fleet.add({ id: 'six', transport: 'ros', gate, jointNames: ARM.joints.map((j) => j.name), linkUp: () => arm.up, dispose: () => arm.dispose() });
  });
  afterEach(() => {
    fleet.close();
    vi.useRealTimers();
  });

  it('a gripper goal the robot aborts makes the skill fail with its text, and stops the robot', async () => {
    const run = fleet.performSkill('pick', 'six', {}, () => undefined).catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(20_000);
    const err = await run;
    expect(err).toBeInstanceOf(FleetError);
    expect((err as Error).message).toMatch(/robot 'six': gripper: gripper_cmd: goal ABORTED \(the gripper is blocked\)/);
    expect(arm.grips.map((g) => g.closure)).toEqual([0, 1]);
    expect(fleet.list()[0]!.stopped).toBe(true);
  });

  it('a skill slowed to fit the robot (fit) moves its gripper events with it', async () => {
    arm.refuse = null;
    const run = fleet.performSkill('pick', 'six', { tempo: 8, fit: true }, () => undefined);
    await vi.advanceTimersByTimeAsync(30_000);
    const r = (await run) as { tempo: number; fittedFrom?: number; gripper: unknown };
    expect(r.fittedFrom).toBe(8);
    expect(r.tempo).toBeLessThan(8);
    expect(r.gripper).toEqual({ events: 2, sent: 2, performed: 2 });
    // the events at the recalled times (tempo 8), stretched as the trajectory was: by 8 / the tempo that fitted
    const start = arm.followed[0]![2]!.time;
    const recalled = recallSkill(memory, 'pick', { tempo: 8 }).gripper!;
    arm.grips.forEach((g, i) => expect(g.at! - start).toBeCloseTo((recalled[i]!.time * 8) / r.tempo, 6));
    expect(recalled[1]!.time * 8).toBeCloseTo(1, 1);
  });

  it('an operator grip is refused when the robot answers no, and never sent while the link is down', async () => {
    const run = fleet.grip('six', 1).catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(((await run) as Error).message).toBe("gripper: robot 'six': gripper_cmd: goal ABORTED (the gripper is blocked)");
    arm.up = false;
    arm.events.emit('connection', false);
    await expect(fleet.grip('six', 0)).rejects.toThrow(/not connected/);
    expect(arm.grips).toHaveLength(1);
    // the gate itself checks what it passes on
    expect(() => gate.grip(1)).toThrow(/is stopped \(link lost\)/);
  });

  it('the gate refuses a closure outside 0..1 and a robot without a gripper', () => {
    expect(() => gate.grip(1.5)).toThrow(/a gripper closure is a number from 0 \(open\) to 1 \(closed\)/);
    expect(() => gate.grip(Number.NaN)).toThrow(/a gripper closure/);
    const bare = new SafetyGate(new TestArm(), { watchdogMs: 200 });
    expect(() => bare.grip(1)).toThrow(/has no gripper/);
    bare.dispose();
    expect(arm.grips).toHaveLength(0);
  });
});
