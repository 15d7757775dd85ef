/**
 * Robot descriptions as data. Any serial arm: the joints engram moves (with the limits the safety gate
 * enforces), optionally its kinematic chain (from its URDF), and for piano arms a placement at the
 * keyboard and a hand of fingers. Lengths in m, angles in rad, masses in kg, efforts in N m (N for
 * prismatic joints), times in s. For piano arms, x runs along the keyboard from the left edge of its
 * lowest key and y points up from the top of the white keys.
 */
export type JointType = 'revolute' | 'continuous' | 'prismatic';

export interface JointLimits {
  name: string;
  type: JointType;
  /** Position range, rad (m for prismatic joints). A continuous joint gets a range too: the gate needs one. */
  min: number;
  max: number;
  /** Largest speed (rad/s or m/s) and acceleration (rad/s^2 or m/s^2). */
  maxSpeed: number;
  maxAccel: number;
  /** Largest effort: torque, N m (force, N, for prismatic joints). */
  maxEffort: number;
}

/** One joint of the kinematic chain as URDF gives it (fixed joints included), parent link to child link. */
export interface ChainJoint {
  name: string;
  type: JointType | 'fixed';
  parent: string;
  child: string;
  /** The joint frame in the parent link's frame: translation, m, and roll-pitch-yaw, rad. */
  origin: { xyz: [number, number, number]; rpy: [number, number, number] };
  /** Unit axis of rotation or translation in the joint frame. */
  axis: [number, number, number];
  /** A joint that follows another (URDF <mimic>): position = multiplier * that joint's + offset. engram never commands it. */
  mimic?: { joint: string; multiplier: number; offset: number };
}

/** A planar three-link arm working in the vertical plane along a keyboard (the piano arms). */
export interface PianoPlacement {
  /** Shoulder position, m. */
  base: { x: number; y: number };
  /** Which way the elbow bends: 'cw' (elbow up when reaching to the right) or 'ccw' (reaching left). */
  elbow: 'cw' | 'ccw';
  /** Upper arm, forearm, wrist: each link's length and mass; the joint at its proximal end is joints[i]. */
  links: Array<{ name: string; length: number; mass: number }>;
}

export interface HandDescription {
  /** Fingers side by side along x, one per key slot. */
  fingers: number;
  /** Distance between finger centres, m (the keyboard's key slot width). */
  spacing: number;
  /** How far a finger extends below the hand to press, m. */
  travel: number;
  /** Time to extend or retract a finger fully, s. */
  strokeTime: number;
  /** Finger force, N. */
  maxForce: number;
  mass: number;
}

/** A gripper (or tool) that opens and closes. */
export interface GripperDescription {
  /** Time to open or close fully, s (a real gripper answers each command when it is done). */
  seconds: number;
}

export interface RobotDescription {
  name: string;
  /** Where the figures come from. */
  source: string;
  /** The joints engram moves, in the order of every command and joint state. */
  joints: JointLimits[];
  /** The kinematic chain from the base link to the tool (from the URDF), for kinematics and the view. */
  chain?: ChainJoint[];
  /** The URDF text the description came from (the web view draws the robot from it). */
  urdf?: string;
  /** A piano arm's placement at the keyboard. */
  piano?: PianoPlacement;
  /** A piano arm's fingers. */
  hand?: HandDescription;
  /** The gripper at its tool, if it has one (skills open and close it). */
  gripper?: GripperDescription;
}

/** A robot that can play a keyboard: placed at it, with fingers. */
export type PianoArm = RobotDescription & { piano: PianoPlacement; hand: HandDescription };

export interface KeyboardDescription {
  name: string;
  /** MIDI number of the lowest key, and the number of keys. */
  lowest: number;
  keys: number;
  /** Width of one key slot along x (keys on a uniform semitone grid), m. */
  slot: number;
  /** Key travel to the key bed, m; depth at which a press sounds and below which a release ends it. */
  travel: number;
  pressDepth: number;
  releaseDepth: number;
  /** Key mass, kg, and return spring stiffness, N/m. */
  keyMass: number;
  springStiffness: number;
  /** Height of black keys above white ones, m. */
  blackRaise: number;
}

/** A description that does not fit the format; `field` is the path of the offending field. */
export class RobotDescriptionError extends Error {
  readonly field: string;
  constructor(where: string, field: string, message: string) {
    super(`${where}: ${field}: ${message}`);
    this.name = 'RobotDescriptionError';
    this.field = field;
  }
}

type Check = (where: string, field: string, v: unknown) => void;

/** A value as an error shows it: short, never the whole input. */
export function shown(v: unknown, max = 40): string {
  const s = v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

const num =
  (min: number, max = Infinity, strictMin = false): Check =>
  (where, field, v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (strictMin ? v <= min : v < min) || v > max) {
      const range = `${strictMin ? '>' : '>='} ${min}${max < Infinity ? ` and <= ${max}` : ''}`;
      throw new RobotDescriptionError(where, field, `must be a number ${range}, got ${shown(v)}`);
    }
  };
const positive = num(0, Infinity, true);
const int =
  (min: number, max: number): Check =>
  (where, field, v) => {
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
      throw new RobotDescriptionError(where, field, `must be a whole number in ${min}..${max}, got ${shown(v)}`);
    }
  };
const str: Check = (where, field, v) => {
  if (typeof v !== 'string' || v.trim() === '') throw new RobotDescriptionError(where, field, `must be a non-empty string, got ${shown(v)}`);
};

function obj(where: string, field: string, v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RobotDescriptionError(where, field, `must be an object, got ${shown(v)}`);
  return v as Record<string, unknown>;
}

function fields(where: string, prefix: string, o: Record<string, unknown>, spec: Record<string, Check>): void {
  for (const [k, check] of Object.entries(spec)) check(where, prefix ? `${prefix}.${k}` : k, o[k]);
}

const JOINT_TYPES = ['revolute', 'continuous', 'prismatic'];

/** Checks a robot description (parsed JSON); `where` names its source in errors. */
export function validateRobot(raw: unknown, where = 'robot description'): RobotDescription {
  const o = obj(where, '(root)', raw);
  fields(where, '', o, { name: str, source: str });
  if (!Array.isArray(o.joints) || o.joints.length < 1 || o.joints.length > 32) {
    throw new RobotDescriptionError(where, 'joints', `must be an array of 1 to 32 joints, got ${Array.isArray(o.joints) ? o.joints.length : typeof o.joints}`);
  }
  const names = new Set<string>();
  o.joints.forEach((raw, i) => {
    const p = `joints[${i}]`;
    const j = obj(where, p, raw);
    fields(where, p, j, { name: str, min: num(-1000, 1000), max: num(-1000, 1000), maxSpeed: positive, maxAccel: positive, maxEffort: positive });
    if (!JOINT_TYPES.includes(j.type as string)) throw new RobotDescriptionError(where, `${p}.type`, `must be one of ${JOINT_TYPES.join(', ')}`);
    if ((j.min as number) >= (j.max as number)) throw new RobotDescriptionError(where, `${p}.max`, `must be above min (${j.min}), got ${j.max}`);
    if (names.has(j.name as string)) throw new RobotDescriptionError(where, `${p}.name`, `names a joint twice`);
    names.add(j.name as string);
  });
  if (o.chain !== undefined) validateChain(where, o.chain);
  if (o.urdf !== undefined && typeof o.urdf !== 'string') throw new RobotDescriptionError(where, 'urdf', 'must be the URDF text');
  if (o.piano !== undefined) {
    const piano = obj(where, 'piano', o.piano);
    if (o.joints.length !== 3) throw new RobotDescriptionError(where, 'piano', `a piano arm is planar with 3 joints (shoulder, elbow, wrist), this robot has ${o.joints.length}`);
    if (piano.elbow !== 'cw' && piano.elbow !== 'ccw') throw new RobotDescriptionError(where, 'piano.elbow', 'must be "cw" or "ccw"');
    const base = obj(where, 'piano.base', piano.base);
    fields(where, 'piano.base', base, { x: num(-10, 10), y: num(-10, 10) });
    if (!Array.isArray(piano.links) || piano.links.length !== 3) throw new RobotDescriptionError(where, 'piano.links', 'must be an array of 3 links (upper arm, forearm, wrist)');
    piano.links.forEach((l, i) => fields(where, `piano.links[${i}]`, obj(where, `piano.links[${i}]`, l), { name: str, length: positive, mass: positive }));
    if (o.hand === undefined) throw new RobotDescriptionError(where, 'hand', 'a piano arm needs a hand (fingers)');
  }
  if (o.hand !== undefined) {
    const hand = obj(where, 'hand', o.hand);
    fields(where, 'hand', hand, { fingers: int(1, 24), spacing: positive, travel: positive, strokeTime: positive, maxForce: positive, mass: positive });
  }
  if (o.gripper !== undefined) fields(where, 'gripper', obj(where, 'gripper', o.gripper), { seconds: num(0, 60, true) });
  return raw as RobotDescription;
}

const CHAIN_TYPES = ['revolute', 'continuous', 'prismatic', 'fixed'];

function vec3(where: string, field: string, v: unknown): void {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new RobotDescriptionError(where, field, 'must be an array of 3 numbers');
  }
}

/** A chain: joints from the base link to the tool, each one's parent the previous one's child. */
function validateChain(where: string, chain: unknown): void {
  if (!Array.isArray(chain) || chain.length < 1 || chain.length > 64) {
    throw new RobotDescriptionError(where, 'chain', `must be an array of 1 to 64 joints, got ${Array.isArray(chain) ? chain.length : typeof chain}`);
  }
  chain.forEach((raw, i) => {
    const p = `chain[${i}]`;
    const j = obj(where, p, raw);
    fields(where, p, j, { name: str, parent: str, child: str });
    if (!CHAIN_TYPES.includes(j.type as string)) throw new RobotDescriptionError(where, `${p}.type`, `must be one of ${CHAIN_TYPES.join(', ')}`);
    const origin = obj(where, `${p}.origin`, j.origin);
    vec3(where, `${p}.origin.xyz`, origin.xyz);
    vec3(where, `${p}.origin.rpy`, origin.rpy);
    vec3(where, `${p}.axis`, j.axis);
    const [x, y, z] = j.axis as number[];
    if (Math.abs(Math.hypot(x!, y!, z!) - 1) > 1e-6) throw new RobotDescriptionError(where, `${p}.axis`, 'must be a unit vector');
    if (j.mimic !== undefined) {
      const m = obj(where, `${p}.mimic`, j.mimic);
      fields(where, `${p}.mimic`, m, { joint: str, multiplier: num(-1000, 1000), offset: num(-1000, 1000) });
    }
    if (i > 0 && (chain[i - 1] as { child: unknown }).child !== j.parent) {
      throw new RobotDescriptionError(where, `${p}.parent`, 'must be the previous joint\'s child link (a chain runs from the base link to the tool)');
    }
  });
}

/** The robot as a piano arm, or an error saying why it cannot play a keyboard. */
export function pianoArm(robot: RobotDescription): PianoArm {
  if (!robot.piano || !robot.hand) {
    throw new RobotDescriptionError(robot.name, 'piano', 'this robot has no keyboard placement and fingers: it cannot play a piece (perform a skill on it instead)');
  }
  return robot as PianoArm;
}

export function validateKeyboard(raw: unknown, where = 'keyboard description'): KeyboardDescription {
  const o = obj(where, '(root)', raw);
  fields(where, '', o, {
    name: str,
    lowest: int(0, 127),
    keys: int(1, 128),
    slot: positive,
    travel: positive,
    pressDepth: positive,
    releaseDepth: positive,
    keyMass: positive,
    springStiffness: positive,
    blackRaise: num(0, 0.05),
  });
  const k = o as unknown as KeyboardDescription;
  if (k.lowest + k.keys > 128) throw new RobotDescriptionError(where, 'keys', `lowest + keys must not pass MIDI 127 (${k.lowest} + ${k.keys})`);
  if (!(k.releaseDepth < k.pressDepth && k.pressDepth < k.travel)) {
    throw new RobotDescriptionError(where, 'pressDepth', `must lie between releaseDepth (${k.releaseDepth}) and travel (${k.travel}), got ${k.pressDepth}`);
  }
  return k;
}

const BLACK = new Set([1, 3, 6, 8, 10]);

/** Whether a MIDI pitch is a black key. */
export function isBlack(pitch: number): boolean {
  return BLACK.has(pitch % 12);
}

/** x of a key slot's centre, m. */
export function keyCentre(k: KeyboardDescription, pitch: number): number {
  return (pitch - k.lowest + 0.5) * k.slot;
}
