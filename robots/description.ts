/**
 * Robot descriptions as data: a planar arm working in the vertical plane along a keyboard, its joint
 * limits, and a hand of several fingers on a fixed spacing. Lengths in m, angles in rad, masses in kg,
 * torques in N m, forces in N, times in s. x runs along the keyboard from the left edge of its lowest
 * key; y points up from the top of the white keys.
 */
export interface JointLimits {
  name: string;
  /** Position range, rad (0 = link along +x; positive counter-clockwise). */
  min: number;
  max: number;
  /** Largest speed, rad/s, and acceleration, rad/s^2. */
  maxSpeed: number;
  maxAccel: number;
  /** Largest torque, N m. */
  maxTorque: number;
}

export interface LinkDescription {
  name: string;
  length: number;
  mass: number;
  /** The joint at the link's proximal end. */
  joint: JointLimits;
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

export interface RobotDescription {
  name: string;
  model: 'planar-arm';
  /** Where the figures come from. */
  source: string;
  /** Shoulder position, m. */
  base: { x: number; y: number };
  /** Which way the elbow bends: 'cw' (elbow up when reaching to the right) or 'ccw' (reaching left). */
  elbow: 'cw' | 'ccw';
  links: LinkDescription[];
  hand: HandDescription;
}

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

const num =
  (min: number, max = Infinity, strictMin = false): Check =>
  (where, field, v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (strictMin ? v <= min : v < min) || v > max) {
      const range = `${strictMin ? '>' : '>='} ${min}${max < Infinity ? ` and <= ${max}` : ''}`;
      throw new RobotDescriptionError(where, field, `must be a number ${range}, got ${JSON.stringify(v)}`);
    }
  };
const positive = num(0, Infinity, true);
const int =
  (min: number, max: number): Check =>
  (where, field, v) => {
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
      throw new RobotDescriptionError(where, field, `must be a whole number in ${min}..${max}, got ${JSON.stringify(v)}`);
    }
  };
const str: Check = (where, field, v) => {
  if (typeof v !== 'string' || v.trim() === '') throw new RobotDescriptionError(where, field, `must be a non-empty string, got ${JSON.stringify(v)}`);
};

function obj(where: string, field: string, v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RobotDescriptionError(where, field, `must be an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

function fields(where: string, prefix: string, o: Record<string, unknown>, spec: Record<string, Check>): void {
  for (const [k, check] of Object.entries(spec)) check(where, prefix ? `${prefix}.${k}` : k, o[k]);
}

/** Checks a robot description (parsed JSON); `where` names its source in errors. */
export function validateRobot(raw: unknown, where = 'robot description'): RobotDescription {
  const o = obj(where, '(root)', raw);
  fields(where, '', o, { name: str, source: str });
  if (o.model !== 'planar-arm') throw new RobotDescriptionError(where, 'model', `must be "planar-arm", got ${JSON.stringify(o.model)}`);
  if (o.elbow !== 'cw' && o.elbow !== 'ccw') throw new RobotDescriptionError(where, 'elbow', `must be "cw" or "ccw", got ${JSON.stringify(o.elbow)}`);
  const base = obj(where, 'base', o.base);
  fields(where, 'base', base, { x: num(-10, 10), y: num(-10, 10) });
  if (!Array.isArray(o.links) || o.links.length !== 3) {
    throw new RobotDescriptionError(where, 'links', `must be an array of 3 links (shoulder, elbow, wrist), got ${Array.isArray(o.links) ? o.links.length : JSON.stringify(o.links)}`);
  }
  o.links.forEach((l, i) => {
    const p = `links[${i}]`;
    const link = obj(where, p, l);
    fields(where, p, link, { name: str, length: positive, mass: positive });
    const j = obj(where, `${p}.joint`, link.joint);
    fields(where, `${p}.joint`, j, { name: str, min: num(-2 * Math.PI, 2 * Math.PI), max: num(-2 * Math.PI, 2 * Math.PI), maxSpeed: positive, maxAccel: positive, maxTorque: positive });
    if ((j.min as number) >= (j.max as number)) throw new RobotDescriptionError(where, `${p}.joint.max`, `must be above min (${j.min}), got ${j.max}`);
  });
  const hand = obj(where, 'hand', o.hand);
  fields(where, 'hand', hand, { fingers: int(1, 24), spacing: positive, travel: positive, strokeTime: positive, maxForce: positive, mass: positive });
  return raw as RobotDescription;
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
