import { completeVelocities, sampleCurve, type FullPoint } from '../../robots/motion/spline.js';

/** A joint the controller drives: its ROS name and the position range it accepts. */
export interface ControllerJoint {
  name: string;
  min: number;
  max: number;
}

/** How a goal ended or why it was refused: FollowJointTrajectory's error_code and error_string. */
export interface ControllerOutcome {
  code: number;
  error: string;
}

/** A goal the controller is executing: told how it ends (succeeded, or preempted by a newer goal or a stop). */
export interface ControllerGoal {
  finish(outcome: ControllerOutcome, how: 'succeeded' | 'aborted' | 'preempted'): void;
}

type Stamp = { sec?: number; secs?: number; nanosec?: number; nsecs?: number };
const secs = (s: Stamp | undefined) => (s ? (s.sec ?? s.secs ?? 0) + (s.nanosec ?? s.nsecs ?? 0) / 1e9 : 0);

/** FollowJointTrajectory's result codes. */
export const SUCCESSFUL = 0;
export const INVALID_GOAL = -1;
export const INVALID_JOINTS = -2;
export const OLD_HEADER_TIMESTAMP = -3;
export const PATH_TOLERANCE_VIOLATED = -4;

/**
 * A position-controlled arm's joint trajectory controller, the way ros_control's
 * joint_trajectory_controller treats goals, for tests: a goal must name every joint it drives
 * (allow_partial_joints_goal false: INVALID_JOINTS), its points must be well formed and inside the
 * joints' limits (INVALID_GOAL) and it must not start in the controller's past (OLD_HEADER_TIMESTAMP;
 * a zero stamp means now). An accepted goal replaces the running one (which ends preempted) and is
 * executed from where the arm is along the curve ros_control interpolates (robots/motion/spline.ts:
 * cubic with velocities, quintic with accelerations); it succeeds when its last point's time has come.
 * The arm is kinematic: it is where the curve says. Time is the controller's clock, s.
 */
export class TrajectoryController {
  readonly joints: readonly ControllerJoint[];
  readonly #now: () => number;
  #curve: FullPoint[];
  #goal: ControllerGoal | null = null;

  constructor(joints: readonly ControllerJoint[], q0: readonly number[], now: () => number) {
    this.joints = joints;
    this.#now = now;
    this.#curve = [{ time: now(), positions: [...q0], velocities: q0.map(() => 0) }];
  }

  /** Where the arm is now: positions and velocities in the controller's joint order. */
  state(): { positions: number[]; velocities: number[] } {
    const s = sampleCurve(this.#curve, this.#now());
    return { positions: s.positions, velocities: s.velocities };
  }

  /** When the current trajectory ends, s. */
  get end(): number {
    return this.#curve[this.#curve.length - 1]!.time;
  }

  /** Runs a trajectory_msgs/JointTrajectory; returns why it is refused, or null when accepted. */
  command(trajectory: any, goal: ControllerGoal | null = null): ControllerOutcome | null {
    const refused = this.#check(trajectory);
    if (refused) return refused;
    const now = this.#now();
    if (trajectory.points.length === 0) {
      this.hold();
      goal?.finish({ code: SUCCESSFUL, error: '' }, 'succeeded');
      return null;
    }
    const order = this.joints.map((j) => trajectory.joint_names.indexOf(j.name) as number);
    const t0 = secs(trajectory.header?.stamp) || now;
    const pick = (a: number[] | undefined) => (a && a.length ? order.map((i) => a[i]!) : undefined);
    const points = trajectory.points.map((p: any) => ({
      time: t0 + secs(p.time_from_start),
      positions: pick(p.positions)!,
      ...(pick(p.velocities) ? { velocities: pick(p.velocities) } : {}),
      ...(pick(p.accelerations) ? { accelerations: pick(p.accelerations) } : {}),
    }));
    const here = sampleCurve(this.#curve, now);
    const from: FullPoint = { time: now, positions: here.positions, velocities: here.velocities };
    this.#curve = [from, ...completeVelocities(points)];
    const previous = this.#goal;
    this.#goal = goal;
    previous?.finish({ code: SUCCESSFUL, error: 'preempted by a new goal' }, 'preempted');
    return null;
  }

  /** Holds the arm where it is now; a running goal ends preempted (a cancel). */
  hold(): void {
    const now = this.#now();
    const here = sampleCurve(this.#curve, now);
    this.#curve = [{ time: now, positions: here.positions, velocities: here.positions.map(() => 0) }];
    const previous = this.#goal;
    this.#goal = null;
    previous?.finish({ code: SUCCESSFUL, error: 'canceled' }, 'preempted');
  }

  /**
   * A fault mid-motion (a protective stop, a joint that cannot follow): the arm holds where it is and the
   * running goal is aborted with PATH_TOLERANCE_VIOLATED, as a controller whose path tolerance broke does.
   */
  fault(error: string): void {
    const now = this.#now();
    const here = sampleCurve(this.#curve, now);
    this.#curve = [{ time: now, positions: here.positions, velocities: here.positions.map(() => 0) }];
    const previous = this.#goal;
    this.#goal = null;
    previous?.finish({ code: PATH_TOLERANCE_VIOLATED, error }, 'aborted');
  }

  /** The controller's update: a goal whose last point's time has come succeeds. */
  update(): void {
    if (this.#goal && this.#now() >= this.end) {
      const goal = this.#goal;
      this.#goal = null;
      goal.finish({ code: SUCCESSFUL, error: '' }, 'succeeded');
    }
  }

  /** Whether this goal is the one running. */
  running(goal: ControllerGoal): boolean {
    return this.#goal === goal;
  }

  #check(t: any): ControllerOutcome | null {
    if (!t || !Array.isArray(t.joint_names) || !Array.isArray(t.points)) return { code: INVALID_GOAL, error: 'trajectory needs joint_names and points' };
    const names: string[] = t.joint_names;
    if (names.length !== this.joints.length || this.joints.some((j) => !names.includes(j.name)) || new Set(names).size !== names.length) {
      return { code: INVALID_JOINTS, error: "Joints on incoming goal don't match the controller joints." };
    }
    let last = -Infinity;
    for (let k = 0; k < t.points.length; k++) {
      const p = t.points[k];
      const n = names.length;
      if (!Array.isArray(p?.positions) || p.positions.length !== n) return { code: INVALID_GOAL, error: `point ${k}: ${n} positions expected` };
      if ((p.velocities?.length ?? 0) !== 0 && p.velocities.length !== n) return { code: INVALID_GOAL, error: `point ${k}: velocities must be empty or ${n}` };
      if ((p.accelerations?.length ?? 0) !== 0 && p.accelerations.length !== n) return { code: INVALID_GOAL, error: `point ${k}: accelerations must be empty or ${n}` };
      const at = secs(p.time_from_start);
      if (at <= last) return { code: INVALID_GOAL, error: `point ${k}: time_from_start must increase` };
      last = at;
      for (const j of this.joints) {
        const q = p.positions[names.indexOf(j.name)];
        if (typeof q !== 'number' || !Number.isFinite(q) || q < j.min || q > j.max) {
          return { code: INVALID_GOAL, error: `point ${k}: joint ${j.name} position ${q} is outside its limits ${j.min}..${j.max}` };
        }
      }
    }
    if (t.points.length > 0) {
      const stamp = secs(t.header?.stamp);
      const start = (stamp || this.#now()) + secs(t.points[0].time_from_start);
      const late = this.#now() - start;
      if (late > 0) return { code: OLD_HEADER_TIMESTAMP, error: `the trajectory starts ${late.toFixed(3)} s in the past` };
    }
    return null;
  }
}
