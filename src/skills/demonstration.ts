import type { RobotDescription } from '../../robots/description.js';

/** A joint-space demonstration: the arm's joint positions over time, as recorded from its joint states. */
export interface DemoSample {
  /** Seconds on the recording's clock (any origin; strictly increasing). */
  time: number;
  /** Joint positions, rad, in the skill's joint order. */
  positions: number[];
  /** How closed the gripper (or tool) is, 0 = open .. 1 = closed: on every sample of a demonstration or on none. */
  gripper?: number;
}

/** The joints a skill is written in: names (matched by name on every channel) and their position ranges. */
export interface SkillJoint {
  name: string;
  min: number;
  max: number;
}

/** A robot's joints as skill joints: ranges from its description, names its own (ROS names may differ). */
export function robotJoints(robot: RobotDescription, names: readonly string[] = robot.joints.map((j) => j.name)): SkillJoint[] {
  return robot.joints.map((j, i) => ({ name: names[i]!, min: j.min, max: j.max }));
}

/** A demonstration that cannot be learned; the message names the sample and field. */
export class DemonstrationError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = 'DemonstrationError';
  }
}

/** Checks a demonstration against its joints; throws DemonstrationError naming the first bad field. */
export function checkDemonstration(samples: readonly DemoSample[], joints: readonly SkillJoint[], where = 'demonstration'): void {
  if (!Array.isArray(samples) || samples.length < 2) throw new DemonstrationError(`${where}.samples`, `needs at least 2 samples, got ${Array.isArray(samples) ? samples.length : 'none'}`);
  let last = -Infinity;
  samples.forEach((s, i) => {
    const w = `${where}.samples[${i}]`;
    if (typeof s?.time !== 'number' || !Number.isFinite(s.time)) throw new DemonstrationError(`${w}.time`, 'must be a finite number of seconds');
    if (s.time <= last) throw new DemonstrationError(`${w}.time`, `must be later than the sample before (${last} s), got ${s.time} s`);
    last = s.time;
    if (!Array.isArray(s.positions) || s.positions.length !== joints.length) {
      throw new DemonstrationError(`${w}.positions`, `must hold ${joints.length} joint positions (${joints.map((j) => j.name).join(', ')}), got ${Array.isArray(s.positions) ? s.positions.length : typeof s.positions}`);
    }
    s.positions.forEach((q: number, j: number) => {
      const joint = joints[j]!;
      if (typeof q !== 'number' || !Number.isFinite(q)) throw new DemonstrationError(`${w}.positions[${j}]`, `joint '${joint.name}' must be a finite number of radians`);
      if (q < joint.min - 1e-9 || q > joint.max + 1e-9) throw new DemonstrationError(`${w}.positions[${j}]`, `joint '${joint.name}' at ${q} rad is outside its range ${joint.min}..${joint.max} rad`);
    });
    checkGripper(s, i, w, samples[0]!.gripper !== undefined);
  });
  const span = last - samples[0]!.time;
  if (span > 3600) throw new DemonstrationError(`${where}.samples`, `lasts ${span.toFixed(0)} s; a skill is at most an hour`);
}

/** A sample's gripper: a number 0 (open) .. 1 (closed), given on every sample or on none. */
function checkGripper(s: DemoSample, i: number, w: string, expected: boolean): void {
  const g = (s as { gripper?: unknown }).gripper;
  if (g === undefined) {
    if (expected) throw new DemonstrationError(`${w}.gripper`, 'is missing: give the gripper on every sample or on none');
    return;
  }
  if (!expected) throw new DemonstrationError(`${w}.gripper`, `is given, but sample 0 has none: give the gripper on every sample or on none (sample ${i})`);
  if (typeof g !== 'number' || !Number.isFinite(g) || g < 0 || g > 1) throw new DemonstrationError(`${w}.gripper`, 'must be a number from 0 (open) to 1 (closed)');
}

/**
 * Collects joint states into a demonstration while recording: by joint name when the source names its
 * joints (ROS sensor_msgs/JointState), else in the skill's joint order. Samples closer than `minInterval`
 * are skipped (a 1 kHz state stream adds nothing to keyframes but memory).
 */
export class DemonstrationRecorder {
  readonly joints: readonly SkillJoint[];
  readonly samples: DemoSample[] = [];
  readonly #minInterval: number;
  readonly #maxSamples: number;
  /** Why samples were dropped (joint missing, time going back), counted per reason. */
  readonly dropped = new Map<string, number>();

  constructor(joints: readonly SkillJoint[], options: { minInterval?: number; maxSamples?: number } = {}) {
    this.joints = joints;
    this.#minInterval = options.minInterval ?? 0.01;
    this.#maxSamples = options.maxSamples ?? 1_000_000;
  }

  /**
   * Adds one joint state. `names` maps the positions to joints by name (extra joints are ignored);
   * `gripper` (0 open .. 1 closed) is kept when the first sample had one (a state without it keeps the last).
   */
  add(time: number, positions: readonly number[], names?: readonly string[], gripper?: number): void {
    let q: number[];
    if (names) {
      q = [];
      for (const j of this.joints) {
        const i = names.indexOf(j.name);
        if (i < 0) return this.#drop(`joint '${j.name}' missing from the joint state`);
        q.push(positions[i]!);
      }
    } else {
      if (positions.length !== this.joints.length) return this.#drop(`${positions.length} positions for ${this.joints.length} joints`);
      q = [...positions];
    }
    if (q.some((x) => !Number.isFinite(x))) return this.#drop('position not a finite number');
    const last = this.samples[this.samples.length - 1];
    if (last && time < last.time + this.#minInterval) {
      if (time <= last.time) this.#drop('time not after the previous sample');
      return;
    }
    if (this.samples.length >= this.#maxSamples) return this.#drop('recording full');
    const first = this.samples[0];
    const g = first ? (first.gripper === undefined ? undefined : gripper !== undefined && Number.isFinite(gripper) ? gripper : last!.gripper) : gripper !== undefined && Number.isFinite(gripper) ? gripper : undefined;
    this.samples.push(g === undefined ? { time, positions: q } : { time, positions: q, gripper: Math.min(1, Math.max(0, g)) });
  }

  #drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }
}
