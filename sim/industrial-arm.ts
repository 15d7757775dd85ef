import type { RobotDescription } from '../robots/description.js';
import type { DriverEvents, GoalResult, JointState, RobotDriver, TrajectoryPoint } from '../robots/driver.js';
import { Emitter } from '../robots/events.js';
import { completeVelocities, sampleCurveInto, type FullPoint } from '../robots/motion/spline.js';
import { SimGripper } from './gripper.js';

/** FollowJointTrajectory's result codes (control_msgs), as a ros_control trajectory controller answers. */
export const GoalCode = {
  SUCCESSFUL: 0,
  INVALID_GOAL: -1,
  INVALID_JOINTS: -2,
  OLD_HEADER_TIMESTAMP: -3,
  PATH_TOLERANCE_VIOLATED: -4,
  GOAL_TOLERANCE_VIOLATED: -5,
} as const;

/** Control rate, Hz: a UR controller's 125 Hz, one joint state per step. */
export const CONTROL_HZ = 125;
const DT = 1 / CONTROL_HZ;

export interface IndustrialArmOptions {
  /** Joint positions at time 0, rad (m for prismatic joints); default: 0, or the nearest limit when 0 is out of range. */
  start?: readonly number[];
  /** How far in the past a goal's first point may lie and still be accepted, s (default 0.1). */
  pastTolerance?: number;
  /** Tracking error that aborts the goals (PATH_TOLERANCE_VIOLATED), rad (default 0.05). */
  pathTolerance?: number;
  /** Error within which a goal has arrived at its last point, rad (default 0.01). */
  goalTolerance?: number;
  /** How long after its last point's time a goal may take to arrive before GOAL_TOLERANCE_VIOLATED, s (default 0.5). */
  goalTimeTolerance?: number;
}

/** An accepted goal not finished yet: when its last point is due. */
interface PendingGoal {
  end: number;
}

/**
 * The highest speed for this step from which a joint can still stop within `distance` (this step's move
 * included), slowing by accel * DT each step after it: the exact inverse of that staircase's length.
 */
function brakingSpeed(distance: number, accel: number): number {
  if (distance <= 0) return 0;
  const u = distance / (accel * DT * DT);
  // m whole steps of slowing fit: m (m + 1) / 2 <= u
  let m = Math.floor((Math.sqrt(1 + 8 * u) - 1) / 2);
  if (((m + 1) * (m + 2)) / 2 <= u) m++;
  else if ((m * (m + 1)) / 2 > u) m--;
  return accel * DT * (m / 2 + u / (m + 1));
}

/**
 * A simulated position-controlled industrial arm of any number of joints, deterministic and driven by
 * its clock: advance(t) runs fixed 8 ms control steps up to t (s), emitting a joint state per step.
 *
 * It behaves like ros_control's joint_trajectory_controller in front of a real arm: every goal is checked
 * as a strict controller checks it and answered with a 'result' event (synchronously when it is refused:
 * listen before calling follow). A goal naming the wrong number of joints is refused with INVALID_JOINTS
 * (allow_partial_joints_goal false), a point outside the position limits or times that do not increase
 * with INVALID_GOAL, a goal starting more than `pastTolerance` in the past (or ending before now) with
 * OLD_HEADER_TIMESTAMP; a refused goal changes nothing. An accepted goal is executed along
 * robots/motion/spline.ts's curve (cubic, quintic with accelerations) from where the arm is, spliced in
 * at its first point's time: queued points before it stay, the rest is replaced; a goal that loses
 * points that way ends ok false with INVALID_GOAL ("cancelled by a newer goal", as ros2_controllers
 * answers a preempted goal), as do goals cancelled by stop().
 *
 * Its own speed and acceleration limits are enforced on what it executes, every step, and it brakes so as
 * to stay inside its position limits; a curve beyond them makes it lag, and when the lag passes
 * `pathTolerance` the goals abort with PATH_TOLERANCE_VIOLATED and the arm brakes to a hold. A goal ends
 * ok (code 0) once the arm is within `goalTolerance` at or after its last point's time.
 */
export class IndustrialArm implements RobotDriver {
  readonly description: RobotDescription;
  /** state (one per control step), result (one per goal), stopped (stop()). */
  readonly events = new Emitter<DriverEvents>();
  readonly #n: number;
  readonly #o: Required<Omit<IndustrialArmOptions, 'start'>>;
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  readonly #vMax: Float64Array;
  readonly #aMax: Float64Array;
  /** Executed joint positions and velocities (the velocity is the last step's average). */
  readonly #q: Float64Array;
  readonly #v: Float64Array;
  /** The commanded curve at the current time, and scratch for the next step's sample. */
  readonly #ref: Float64Array;
  readonly #next: Float64Array;
  readonly #nextV: Float64Array;
  readonly #nextA: Float64Array;
  /** Control steps done since time 0: time is #steps / CONTROL_HZ, exactly. */
  #steps = 0;
  /** The curve being followed: its first point is where the arm was when it began (ros_control's start state). */
  #curve: FullPoint[];
  #segment = 0;
  /** Braking to a hold (stop, abort): the curve is ignored until every joint is still. */
  #braking = false;
  /** Accepted goals not finished, in the order they end. */
  #goals: PendingGoal[] = [];
  /** The gripper at its tool, when its description has one. */
  readonly #gripper: SimGripper | null;

  constructor(description: RobotDescription, options: IndustrialArmOptions = {}) {
    const joints = description.joints;
    const n = joints.length;
    this.description = description;
    this.#n = n;
    this.#o = {
      pastTolerance: options.pastTolerance ?? 0.1,
      pathTolerance: options.pathTolerance ?? 0.05,
      goalTolerance: options.goalTolerance ?? 0.01,
      goalTimeTolerance: options.goalTimeTolerance ?? 0.5,
    };
    for (const [k, v] of Object.entries(this.#o)) {
      if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new RangeError(`${description.name}: option ${k} must be a number >= 0`);
    }
    this.#min = Float64Array.from(joints, (j) => j.min);
    this.#max = Float64Array.from(joints, (j) => j.max);
    this.#vMax = Float64Array.from(joints, (j) => j.maxSpeed);
    this.#aMax = Float64Array.from(joints, (j) => j.maxAccel);
    const start = options.start ?? joints.map((j) => Math.min(j.max, Math.max(j.min, 0)));
    if (start.length !== n) throw new RangeError(`${description.name}: start needs ${n} joint positions, got ${start.length}`);
    start.forEach((q, j) => {
      if (!(q >= joints[j]!.min && q <= joints[j]!.max)) throw new RangeError(`${description.name}: start position of joint ${joints[j]!.name} is outside ${joints[j]!.min}..${joints[j]!.max}`);
    });
    this.#q = Float64Array.from(start);
    this.#v = new Float64Array(n);
    this.#ref = Float64Array.from(start);
    this.#next = new Float64Array(n);
    this.#nextV = new Float64Array(n);
    this.#nextA = new Float64Array(n);
    this.#curve = [this.#here()];
    this.#gripper = description.gripper ? new SimGripper(description.gripper.seconds) : null;
  }

  /** Simulated time, s. */
  get time(): number {
    return this.#steps / CONTROL_HZ;
  }

  /** Runs control steps until time `t`, s (a time already passed does nothing). */
  advance(t: number): void {
    if (!Number.isFinite(t)) throw new RangeError(`${this.description.name}: advance needs a finite time in s`);
    const target = Math.floor(t * CONTROL_HZ + 1e-9);
    while (this.#steps < target) this.#step();
  }

  follow(points: TrajectoryPoint[]): void {
    const refused = this.#check(points);
    if (refused) return void this.events.emit('result', refused);
    const goal = completeVelocities(points).map((p) => ({
      time: p.time,
      positions: [...p.positions],
      velocities: [...p.velocities],
      ...(p.accelerations ? { accelerations: [...p.accelerations] } : {}),
    }));
    this.#splice(goal);
  }

  press(finger: number): void {
    throw new RangeError(`${this.description.name} has no fingers (finger ${finger}): it cannot press keys`);
  }

  release(finger: number): void {
    throw new RangeError(`${this.description.name} has no fingers (finger ${finger}): it cannot release keys`);
  }

  /** Opens or closes the gripper at `at` (default now); answered by a 'gripper' event when it gets there, or at once when refused. */
  grip(closure: number, at?: number): void {
    if (!this.#gripper) return void this.events.emit('gripper', { ok: false, closure, error: `${this.description.name} has no gripper` });
    try {
      this.#gripper.command(closure, at ?? this.time);
    } catch (err) {
      this.events.emit('gripper', { ok: false, closure, error: `${this.description.name}: ${(err as Error).message}` });
    }
  }

  state(): JointState {
    const s: JointState = { time: this.time, positions: Array.from(this.#q), velocities: Array.from(this.#v), fingers: [] };
    if (this.#gripper) s.gripper = this.#gripper.position;
    return s;
  }

  /** Brakes to a hold within the acceleration limits, drops everything queued (its goals end cancelled). */
  stop(reason = 'stop command'): void {
    this.#endGoals({ ok: false, code: GoalCode.INVALID_GOAL, error: `${this.description.name}: goal cancelled (${reason})` });
    for (const r of this.#gripper?.stop(reason) ?? []) this.events.emit('gripper', { ...r, error: `${this.description.name}: ${r.error}` });
    this.#brake();
    this.events.emit('stopped', { reason });
  }

  /** The refusal a strict controller gives this goal, or null when it is accepted. */
  #check(points: TrajectoryPoint[]): GoalResult | null {
    const name = this.description.name;
    const joints = this.description.joints;
    const invalid = (error: string): GoalResult => ({ ok: false, code: GoalCode.INVALID_GOAL, error: `${name}: ${error}` });
    if (!Array.isArray(points) || points.length === 0) return invalid('a goal needs at least one trajectory point');
    for (let k = 0; k < points.length; k++) {
      const p = points[k];
      const count = Array.isArray(p?.positions) ? p.positions.length : 0;
      if (count !== this.#n) {
        return { ok: false, code: GoalCode.INVALID_JOINTS, error: `${name}: point ${k} gives ${count} joint positions; the goal must name all ${this.#n} joints (${joints.map((j) => j.name).join(', ')})` };
      }
    }
    for (let k = 0; k < points.length; k++) {
      const p = points[k]!;
      if (!Number.isFinite(p.time)) return invalid(`point ${k}: time must be a number`);
      if (k > 0 && !(p.time > points[k - 1]!.time)) return invalid(`point ${k}: time ${p.time} s does not come after ${points[k - 1]!.time} s`);
      for (const [field, values] of [['velocities', p.velocities], ['accelerations', p.accelerations]] as const) {
        if (values !== undefined && (!Array.isArray(values) || values.length !== this.#n || !values.every(Number.isFinite))) {
          return invalid(`point ${k}: ${field} must be ${this.#n} numbers`);
        }
      }
      for (let j = 0; j < this.#n; j++) {
        const q = p.positions[j]!;
        if (!(q >= this.#min[j]! && q <= this.#max[j]!)) return invalid(`point ${k}: joint ${joints[j]!.name} position ${q.toFixed(3)} is outside ${this.#min[j]!.toFixed(3)}..${this.#max[j]!.toFixed(3)}`);
      }
    }
    const now = this.time;
    const first = points[0]!.time;
    const last = points[points.length - 1]!.time;
    if (first < now - this.#o.pastTolerance) {
      return { ok: false, code: GoalCode.OLD_HEADER_TIMESTAMP, error: `${name}: the goal starts at ${first.toFixed(3)} s, ${(now - first).toFixed(3)} s before the arm's time ${now.toFixed(3)} s` };
    }
    if (last <= now) return { ok: false, code: GoalCode.OLD_HEADER_TIMESTAMP, error: `${name}: the goal ends at ${last.toFixed(3)} s, not after the arm's time ${now.toFixed(3)} s` };
    return null;
  }

  /**
   * Splices an accepted goal in at its first point's time: the queued points before it stay when one of
   * them is still ahead (the curve up to there is unchanged), otherwise the goal starts from where the
   * arm is now, at its current velocity. Goals that lose points end cancelled.
   */
  #splice(goal: FullPoint[]): void {
    const now = this.time;
    const at = goal[0]!.time;
    const replaced = this.#goals.filter((g) => g.end >= at);
    this.#goals = this.#goals.filter((g) => g.end < at);
    for (let i = 0; i < replaced.length; i++) this.events.emit('result', { ok: false, code: GoalCode.INVALID_GOAL, error: `${this.description.name}: goal cancelled from ${at.toFixed(3)} s by a newer goal` });
    const ahead = this.#braking ? [] : this.#curve.filter((p, i) => i > 0 && p.time > now && p.time < at);
    if (ahead.length > 0) {
      this.#curve = [...this.#curve.filter((p, i) => i === 0 || p.time < at), ...goal];
    } else {
      this.#curve = [this.#here(), ...goal.filter((p) => p.time > now)];
      this.#segment = 0;
    }
    this.#braking = false;
    this.#goals.push({ end: goal[goal.length - 1]!.time });
    // the commanded position now, on the new curve (unchanged unless it starts from here)
    this.#segment = sampleCurveInto(this.#curve, now, this.#ref, this.#nextV, this.#nextA, this.#segment);
  }

  /** Where the arm is, as a curve's start point. */
  #here(): FullPoint {
    return { time: this.time, positions: Array.from(this.#q), velocities: Array.from(this.#v) };
  }

  #brake(): void {
    this.#braking = true;
  }

  #endGoals(result: GoalResult): void {
    const goals = this.#goals;
    this.#goals = [];
    for (let i = 0; i < goals.length; i++) this.events.emit('result', result);
  }

  /** One control step: command, limit, move; then the goals' bookkeeping and the joint state. */
  #step(): void {
    const n = this.#n;
    const q = this.#q;
    const v = this.#v;
    const t = (this.#steps + 1) / CONTROL_HZ;
    let worst = 0;
    let worstJoint = 0;
    if (this.#braking) {
      let moving = false;
      for (let j = 0; j < n; j++) {
        const dv = this.#aMax[j]! * DT;
        const vj = v[j]!;
        const vNew = vj > dv ? vj - dv : vj < -dv ? vj + dv : 0;
        this.#move(j, vNew);
        if (vNew !== 0) moving = true;
      }
      this.#steps++;
      if (!moving) {
        this.#braking = false;
        this.#curve = [this.#here()];
        this.#segment = 0;
        this.#ref.set(q);
      }
    } else {
      const ref = this.#ref;
      const next = this.#next;
      this.#segment = sampleCurveInto(this.#curve, t, next, this.#nextV, this.#nextA, this.#segment);
      for (let j = 0; j < n; j++) {
        const a = this.#aMax[j]!;
        const vMax = this.#vMax[j]!;
        const qj = q[j]!;
        // follow the commanded step exactly; catch up on a lag no faster than it can brake again
        const lag = ref[j]! - qj;
        const catchUp = Math.sign(lag) * Math.min(Math.abs(lag) / DT, brakingSpeed(Math.abs(lag), a));
        let vNew = (next[j]! - ref[j]!) / DT + catchUp;
        // never so fast towards a position limit that it cannot stop before it
        vNew = Math.min(vNew, brakingSpeed(this.#max[j]! - qj, a), vMax);
        vNew = Math.max(vNew, -brakingSpeed(qj - this.#min[j]!, a), -vMax);
        vNew = Math.min(Math.max(vNew, v[j]! - a * DT), v[j]! + a * DT);
        this.#move(j, vNew);
        ref[j] = next[j]!;
        const err = Math.abs(next[j]! - q[j]!);
        if (err > worst) (worst = err), (worstJoint = j);
      }
      this.#steps++;
      this.#settleGoals(t, worst, worstJoint);
    }
    if (this.#gripper) for (const r of this.#gripper.advance(this.time)) this.events.emit('gripper', r);
    if (this.events.listenerCount('state') > 0) this.events.emit('state', this.state());
  }

  /** Moves joint j at velocity v for one step. Its braking keeps it inside its limits; the clamp only absorbs rounding. */
  #move(j: number, v: number): void {
    const q = this.#q[j]!;
    const to = Math.min(this.#max[j]!, Math.max(this.#min[j]!, q + v * DT));
    this.#q[j] = to;
    this.#v[j] = to === q + v * DT ? v : (to - q) / DT;
  }

  /** Aborts on a lag past the path tolerance; ends the goals whose time is up. */
  #settleGoals(t: number, error: number, joint: number): void {
    if (this.#goals.length === 0) return;
    const name = this.description.name;
    const jointName = this.description.joints[joint]!.name;
    if (error > this.#o.pathTolerance) {
      this.#endGoals({
        ok: false,
        code: GoalCode.PATH_TOLERANCE_VIOLATED,
        error: `${name}: joint ${jointName} is ${error.toFixed(3)} off its trajectory at ${t.toFixed(3)} s (path tolerance ${this.#o.pathTolerance}): the trajectory asks for more than its speed or acceleration limits`,
      });
      this.#brake();
      return;
    }
    while (this.#goals.length > 0 && t >= this.#goals[0]!.end - 1e-9) {
      const end = this.#goals[0]!.end;
      if (error <= this.#o.goalTolerance) {
        this.#goals.shift();
        this.events.emit('result', { ok: true, code: GoalCode.SUCCESSFUL });
      } else if (t > end + this.#o.goalTimeTolerance) {
        this.#endGoals({
          ok: false,
          code: GoalCode.GOAL_TOLERANCE_VIOLATED,
          error: `${name}: joint ${jointName} is still ${error.toFixed(3)} from the goal ${(t - end).toFixed(3)} s after its end (goal tolerance ${this.#o.goalTolerance})`,
        });
        this.#brake();
        return;
      } else return;
    }
  }
}

