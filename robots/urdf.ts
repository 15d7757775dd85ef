import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  RobotDescriptionError,
  shown,
  validateRobot,
  type ChainJoint,
  type GripperDescription,
  type HandDescription,
  type JointLimits,
  type JointType,
  type PianoPlacement,
  type RobotDescription,
} from './description.js';
import { identity, multiply, originMatrix } from './kinematics.js';

/**
 * A robot from its URDF plus an engram sidecar. URDF gives the tree of links and joints, each joint's
 * range, speed and effort; the sidecar (`<name>.engram.json`) gives what URDF lacks: acceleration limits,
 * which joints engram moves, and a keyboard placement and fingers for piano arms. Errors name the file,
 * the element and the attribute, never echoing the input.
 */

/** A <limit> as written; lower/upper default to nothing (engram needs them for the joints it moves). */
export interface UrdfLimit {
  lower?: number;
  upper?: number;
  velocity: number;
  effort: number;
}

export interface UrdfJoint extends ChainJoint {
  limit?: UrdfLimit;
}

export interface UrdfLink {
  name: string;
  /** <inertial><mass value>, kg. */
  mass?: number;
}

export interface UrdfModel {
  name: string;
  links: UrdfLink[];
  joints: UrdfJoint[];
  /** The one link that is no joint's child. */
  root: string;
}

/** The engram sidecar: what URDF lacks. */
export interface Sidecar {
  /** The robot's name (default: <robot name>). */
  name?: string;
  /** Where the figures come from. */
  source: string;
  /** The URDF file, relative to the sidecar (not needed when the URDF comes from the robot itself). */
  urdf?: string;
  /** The chain runs from baseLink (default: the root link) to toolLink (default: the end of the only path). */
  baseLink?: string;
  toolLink?: string;
  /** Joints engram moves, in command order (default: every non-fixed, non-mimic joint of the chain). */
  joints?: string[];
  /** Acceleration limits, rad/s^2 (m/s^2 for prismatic joints), per joint or one for all. */
  accelerations?: Record<string, number>;
  defaultAcceleration?: number;
  /** Position ranges replacing the URDF's (continuous joints default to -2 pi..2 pi). */
  ranges?: Record<string, [number, number]>;
  /** Fraction of the URDF velocity limits engram may use (default 1). */
  velocityScale?: number;
  /** A piano arm's placement at the keyboard; its link lengths and masses come from the URDF. */
  piano?: Pick<PianoPlacement, 'base' | 'elbow'>;
  hand?: HandDescription;
  /** The gripper at its tool, if it has one: {seconds} to open or close fully. */
  gripper?: GripperDescription;
}

/** URDF text larger than this is refused before parsing (a URDF without meshes is a few tens of kB). */
export const MAX_URDF_CHARS = 4_000_000;

const TWO_PI = 2 * Math.PI;

function fail(where: string, field: string, message: string): never {
  throw new RobotDescriptionError(where, field, message);
}

/** A name as errors show it: quoted, or bare as a field key; clipped either way. */
const q = (name: string): string => shown(name, 60);
const key = (name: string): string => shown(name, 40).replace(/^"|"$/g, '');

type Attrs = Record<string, unknown>;

function element(v: unknown): Attrs | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Attrs) : undefined;
}

/** The one child element `tag` of `e`, or undefined; two of them is an error. */
function child(where: string, field: string, e: Attrs, tag: string): Attrs | undefined {
  const v = e[tag];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) fail(where, `${field} <${tag}>`, 'appears more than once');
  return element(v) ?? {};
}

function text(where: string, field: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') fail(where, field, `must be a non-empty name, got ${shown(v)}`);
  return v.trim();
}

function number(where: string, field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) fail(where, field, `must be a number, got ${shown(v)}${xacroHint(v)}`);
  return n;
}

/** Unexpanded xacro (`${pi/2}`) is the usual cause of a bad number. */
const xacroHint = (v: unknown): string => (typeof v === 'string' && v.includes('${') ? ' (unexpanded xacro: run xacro on the file first)' : '');

function vector(where: string, field: string, v: unknown, fallback: [number, number, number]): [number, number, number] {
  if (v === undefined) return fallback;
  const parts = typeof v === 'string' ? v.trim().split(/\s+/).map(Number) : [];
  if (parts.length !== 3 || !parts.every(Number.isFinite)) fail(where, field, `must be 3 numbers separated by spaces, got ${shown(v)}${xacroHint(v)}`);
  return parts as [number, number, number];
}

function elements(v: unknown): Attrs[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((e) => element(e) ?? {});
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  processEntities: false,
  isArray: (tag, _path, _leaf, isAttribute) => !isAttribute && (tag === 'link' || tag === 'joint'),
});

/** Parses URDF text: links, joints and the tree they form; `where` names the source in errors. */
export function parseUrdf(urdfText: string, where: string): UrdfModel {
  if (typeof urdfText !== 'string' || urdfText.trim() === '') fail(where, '(urdf)', 'is empty: expected URDF (XML) text');
  if (urdfText.length > MAX_URDF_CHARS) fail(where, '(urdf)', `is ${urdfText.length} characters, more than the ${MAX_URDF_CHARS} a URDF without meshes needs`);
  const valid = XMLValidator.validate(urdfText);
  if (valid !== true) fail(where, `line ${valid.err.line}, column ${valid.err.col}`, `not well-formed XML: ${shown(valid.err.msg, 160).replace(/^"|"$/g, '')}`);
  const doc = parser.parse(urdfText) as Attrs;
  const robot = element(doc.robot);
  if (!robot) fail(where, '<robot>', Array.isArray(doc.robot) ? 'appears more than once' : 'is missing: a URDF is one <robot> element');
  const name = text(where, '<robot name>', robot.name) ?? fail(where, '<robot name>', 'is missing');

  const links: UrdfLink[] = [];
  const linkNames = new Set<string>();
  elements(robot.link).forEach((l, i) => {
    const ln = text(where, `<link #${i + 1} name>`, l.name) ?? fail(where, `<link #${i + 1} name>`, 'is missing');
    const at = `<link name=${q(ln)}>`;
    if (linkNames.has(ln)) fail(where, at, 'names a link twice');
    linkNames.add(ln);
    const inertial = child(where, at, l, 'inertial');
    const massEl = inertial && child(where, `${at} <inertial>`, inertial, 'mass');
    if (inertial && !massEl) fail(where, `${at} <inertial> <mass>`, 'is missing');
    const mass = massEl && number(where, `${at} <inertial> <mass value>`, massEl.value);
    if (massEl && mass === undefined) fail(where, `${at} <inertial> <mass value>`, 'is missing');
    if (mass !== undefined && mass < 0) fail(where, `${at} <inertial> <mass value>`, `must be a number >= 0, got ${mass}`);
    links.push(mass === undefined ? { name: ln } : { name: ln, mass });
  });
  if (links.length === 0) fail(where, '<link>', 'is missing: a robot has at least one link');

  const joints: UrdfJoint[] = [];
  const jointNames = new Set<string>();
  elements(robot.joint).forEach((j, i) => {
    const jn = text(where, `<joint #${i + 1} name>`, j.name) ?? fail(where, `<joint #${i + 1} name>`, 'is missing');
    const at = `<joint name=${q(jn)}>`;
    if (jointNames.has(jn)) fail(where, at, 'names a joint twice');
    jointNames.add(jn);
    const type = text(where, `<joint name=${q(jn)} type>`, j.type) ?? fail(where, `<joint name=${q(jn)} type>`, 'is missing');
    if (type === 'floating' || type === 'planar') fail(where, `<joint name=${q(jn)} type>`, `${type} joints are not supported: engram drives serial arms (revolute, continuous, prismatic and fixed joints)`);
    if (type !== 'revolute' && type !== 'continuous' && type !== 'prismatic' && type !== 'fixed') {
      fail(where, `<joint name=${q(jn)} type>`, `must be revolute, continuous, prismatic or fixed, got ${shown(type)}`);
    }
    const link = (tag: 'parent' | 'child'): string => {
      const e = child(where, at, j, tag) ?? fail(where, `${at} <${tag}>`, 'is missing');
      const ln = text(where, `${at} <${tag} link>`, e.link) ?? fail(where, `${at} <${tag} link>`, 'is missing');
      if (!linkNames.has(ln)) fail(where, `${at} <${tag} link>`, `names no <link> (${q(ln)})`);
      return ln;
    };
    const parent = link('parent');
    const childLink = link('child');
    const originEl = child(where, at, j, 'origin') ?? {};
    const origin = { xyz: vector(where, `${at} <origin xyz>`, originEl.xyz, [0, 0, 0]), rpy: vector(where, `${at} <origin rpy>`, originEl.rpy, [0, 0, 0]) };
    const axisEl = child(where, at, j, 'axis');
    let axis = vector(where, `${at} <axis xyz>`, axisEl?.xyz, [1, 0, 0]);
    if (type !== 'fixed') {
      const n = Math.hypot(...axis);
      if (n < 1e-9) fail(where, `${at} <axis xyz>`, 'must not be zero');
      axis = [axis[0] / n, axis[1] / n, axis[2] / n];
    }
    const joint: UrdfJoint = { name: jn, type, parent, child: childLink, origin, axis };
    const limitEl = child(where, at, j, 'limit');
    if (limitEl) {
      const attr = (a: string) => number(where, `${at} <limit ${a}>`, limitEl[a]);
      const velocity = attr('velocity') ?? fail(where, `${at} <limit velocity>`, 'is missing');
      const effort = attr('effort') ?? fail(where, `${at} <limit effort>`, 'is missing');
      if (velocity < 0) fail(where, `${at} <limit velocity>`, `must be a number >= 0, got ${velocity}`);
      if (effort < 0) fail(where, `${at} <limit effort>`, `must be a number >= 0, got ${effort}`);
      const lower = attr('lower');
      const upper = attr('upper');
      if (lower !== undefined && upper !== undefined && lower > upper) fail(where, `${at} <limit upper>`, `must not be below lower (${lower}), got ${upper}`);
      joint.limit = { velocity, effort, ...(lower === undefined ? {} : { lower }), ...(upper === undefined ? {} : { upper }) };
    } else if (type === 'revolute' || type === 'prismatic') {
      fail(where, `${at} <limit>`, `is missing: a ${type} joint needs one (lower, upper, velocity, effort)`);
    }
    const mimicEl = child(where, at, j, 'mimic');
    if (mimicEl) {
      const target = text(where, `${at} <mimic joint>`, mimicEl.joint) ?? fail(where, `${at} <mimic joint>`, 'is missing');
      joint.mimic = { joint: target, multiplier: number(where, `${at} <mimic multiplier>`, mimicEl.multiplier) ?? 1, offset: number(where, `${at} <mimic offset>`, mimicEl.offset) ?? 0 };
    }
    joints.push(joint);
  });
  for (const j of joints) {
    if (j.mimic && !jointNames.has(j.mimic.joint)) fail(where, `<joint name=${q(j.name)}> <mimic joint>`, `names no <joint> (${q(j.mimic.joint)})`);
    if (j.mimic && j.type === 'fixed') fail(where, `<joint name=${q(j.name)}> <mimic>`, 'a fixed joint cannot follow another');
  }
  return { name, links, joints, root: treeRoot(where, links, joints) };
}

/** The root of the tree the joints form; an error naming the joint that makes it no tree. */
function treeRoot(where: string, links: UrdfLink[], joints: UrdfJoint[]): string {
  const parentJoint = new Map<string, UrdfJoint>();
  for (const j of joints) {
    const other = parentJoint.get(j.child);
    if (other) fail(where, `<joint name=${q(j.name)}> <child link>`, `link ${q(j.child)} is already the child of joint ${q(other.name)}: a URDF is a tree, each link has one parent`);
    parentJoint.set(j.child, j);
  }
  // Walk up from every link: reaching a link twice is a loop.
  for (const l of links) {
    const seen = new Set<string>([l.name]);
    for (let j = parentJoint.get(l.name); j; j = parentJoint.get(j.parent)) {
      if (seen.has(j.parent)) fail(where, `<joint name=${q(j.name)}>`, `closes a loop (its parent link ${q(j.parent)} lies below its child ${q(j.child)}): a URDF is a tree`);
      seen.add(j.parent);
    }
  }
  const roots = links.filter((l) => !parentJoint.has(l.name)).map((l) => l.name);
  if (roots.length > 1) fail(where, '<robot>', `its links form ${roots.length} separate trees (roots ${roots.slice(0, 4).map(q).join(', ')}${roots.length > 4 ? ', ...' : ''}): a URDF is one tree`);
  return roots[0]!;
}

const SIDECAR_FIELDS = ['name', 'source', 'urdf', 'baseLink', 'toolLink', 'joints', 'accelerations', 'defaultAcceleration', 'ranges', 'velocityScale', 'piano', 'hand', 'gripper'];

/** Checks a sidecar's shape (parsed JSON); what it says about joints is checked against the URDF in robotFromUrdf. */
export function validateSidecar(raw: unknown, where = 'sidecar'): Sidecar {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(where, '(root)', `must be an object, got ${shown(raw)}`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!SIDECAR_FIELDS.includes(k)) fail(where, key(k), `is not a sidecar field (known: ${SIDECAR_FIELDS.join(', ')})`);
  const str = (k: string, required = false) => {
    const v = o[k];
    if (v === undefined && !required) return;
    if (typeof v !== 'string' || v.trim() === '') fail(where, k, `must be a non-empty string, got ${shown(v)}`);
  };
  str('source', true);
  for (const k of ['name', 'urdf', 'baseLink', 'toolLink']) str(k);
  const positive = (field: string, v: unknown, max = Infinity) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) fail(where, field, `must be a number > 0${max < Infinity ? ` and <= ${max}` : ''}, got ${shown(v)}`);
  };
  if (o.joints !== undefined) {
    if (!Array.isArray(o.joints) || o.joints.length < 1 || o.joints.length > 32) fail(where, 'joints', 'must be an array of 1 to 32 joint names');
    const seen = new Set<string>();
    o.joints.forEach((n, i) => {
      if (typeof n !== 'string' || n.trim() === '') fail(where, `joints[${i}]`, `must be a joint name, got ${shown(n)}`);
      if (seen.has(n)) fail(where, `joints[${i}]`, `names joint ${q(n)} twice`);
      seen.add(n);
    });
  }
  const table = (k: string, check: (field: string, v: unknown) => void) => {
    const v = o[k];
    if (v === undefined) return;
    if (!v || typeof v !== 'object' || Array.isArray(v)) fail(where, k, 'must be an object keyed by joint name');
    for (const [jn, x] of Object.entries(v)) check(`${k}.${key(jn)}`, x);
  };
  table('accelerations', (f, v) => positive(f, v));
  if (o.defaultAcceleration !== undefined) positive('defaultAcceleration', o.defaultAcceleration);
  table('ranges', (f, v) => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || v[0] >= v[1]) {
      fail(where, f, `must be [min, max] with min < max, got ${shown(v)}`);
    }
  });
  if (o.velocityScale !== undefined) positive('velocityScale', o.velocityScale, 1);
  if (o.piano !== undefined) {
    const p = o.piano as Record<string, unknown>;
    if (!p || typeof p !== 'object' || Array.isArray(p)) fail(where, 'piano', 'must be an object { base: { x, y }, elbow }');
    const base = p.base as Record<string, unknown> | undefined;
    if (!base || typeof base !== 'object') fail(where, 'piano.base', 'must be an object { x, y } (shoulder position, m)');
    for (const k of ['x', 'y']) {
      const v = base[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 10) fail(where, `piano.base.${k}`, `must be a number in -10..10, got ${shown(v)}`);
    }
    if (p.elbow !== 'cw' && p.elbow !== 'ccw') fail(where, 'piano.elbow', 'must be "cw" or "ccw"');
    for (const k of Object.keys(p)) if (k !== 'base' && k !== 'elbow') fail(where, `piano.${key(k)}`, 'is not a piano field (base, elbow; link lengths and masses come from the URDF)');
    if (o.hand === undefined) fail(where, 'hand', 'a piano arm needs a hand (fingers)');
  }
  if (o.hand !== undefined && (!o.hand || typeof o.hand !== 'object' || Array.isArray(o.hand))) fail(where, 'hand', 'must be an object');
  if (o.gripper !== undefined) {
    const g = o.gripper as Record<string, unknown>;
    if (!g || typeof g !== 'object' || Array.isArray(g)) fail(where, 'gripper', 'must be an object { seconds }');
    positive('gripper.seconds', g.seconds, 60);
  }
  return o as unknown as Sidecar;
}

/** Joints from `base` down to `tool`, or an error naming why there is no such path. */
function pathBetween(model: UrdfModel, base: string, tool: string, where: string): UrdfJoint[] {
  const parentJoint = new Map(model.joints.map((j) => [j.child, j]));
  const path: UrdfJoint[] = [];
  for (let link = tool; link !== base; ) {
    const j = parentJoint.get(link);
    if (!j) fail(where, 'toolLink', `link ${q(tool)} does not lie below baseLink ${q(base)}`);
    path.unshift(j);
    link = j.parent;
  }
  return path;
}

/** The path from `base` to the tool when the sidecar names none: it must not branch between moving joints. */
function onlyPath(model: UrdfModel, base: string, where: string): UrdfJoint[] {
  const children = new Map<string, UrdfJoint[]>();
  for (const j of model.joints) children.set(j.parent, [...(children.get(j.parent) ?? []), j]);
  const moves = new Map<string, boolean>();
  const subtreeMoves = (j: UrdfJoint): boolean => {
    let m = moves.get(j.name);
    if (m === undefined) {
      m = j.type !== 'fixed' || (children.get(j.child) ?? []).some(subtreeMoves);
      moves.set(j.name, m);
    }
    return m;
  };
  const path: UrdfJoint[] = [];
  for (let link = base; ; ) {
    const next = children.get(link) ?? [];
    const moving = next.filter(subtreeMoves);
    let j: UrdfJoint | undefined;
    if (moving.length > 1) {
      fail(where, `<link name=${q(link)}>`, `the tree branches here into joints ${moving.slice(0, 4).map((m) => q(m.name)).join(', ')}: name the tool link in the sidecar (toolLink)`);
    } else if (moving.length === 1) j = moving[0];
    else if (next.length === 1) j = next[0]; // past the last moving joint, follow fixed joints while there is one way
    if (!j) return path;
    path.push(j);
    link = j.child;
  }
}

/**
 * The resolved description of a robot from its URDF text and sidecar. `where` names the URDF in errors,
 * `sidecarWhere` the sidecar (default: the same).
 */
export function robotFromUrdf(urdfText: string, sidecar: Sidecar, where: string, sidecarWhere = where): RobotDescription {
  const model = parseUrdf(urdfText, where);
  const byName = new Map(model.joints.map((j) => [j.name, j]));
  const links = new Map(model.links.map((l) => [l.name, l]));
  const base = sidecar.baseLink ?? model.root;
  if (!links.has(base)) fail(sidecarWhere, 'baseLink', `names no <link> in the URDF (${q(base)})`);
  if (sidecar.toolLink !== undefined && !links.has(sidecar.toolLink)) fail(sidecarWhere, 'toolLink', `names no <link> in the URDF (${q(sidecar.toolLink)})`);
  const path = sidecar.toolLink !== undefined ? pathBetween(model, base, sidecar.toolLink, sidecarWhere) : onlyPath(model, base, where);
  if (path.length === 0) fail(sidecarWhere, 'toolLink', `the chain from ${q(base)} has no joints`);

  // Mimic joints follow the joint at the end of their mimic chain.
  const resolveMimic = (j: UrdfJoint): ChainJoint['mimic'] => {
    let { joint, multiplier, offset } = j.mimic!;
    for (let hops = 0; ; hops++) {
      const m = byName.get(joint)!.mimic;
      if (!m) return { joint, multiplier, offset };
      if (hops > model.joints.length) fail(where, `<joint name=${q(j.name)}> <mimic joint>`, 'mimic joints follow each other in a loop');
      offset += multiplier * m.offset;
      multiplier *= m.multiplier;
      joint = m.joint;
    }
  };
  const chain: ChainJoint[] = path.map((j) => {
    const c: ChainJoint = { name: j.name, type: j.type, parent: j.parent, child: j.child, origin: j.origin, axis: j.axis };
    if (j.mimic) c.mimic = resolveMimic(j);
    return c;
  });

  const movedNames = sidecar.joints ?? path.filter((j) => j.type !== 'fixed' && !j.mimic).map((j) => j.name);
  if (movedNames.length === 0) fail(where, '<joint>', `the chain from ${q(base)} to ${q(path[path.length - 1]!.child)} has no joint engram can move`);
  const moved = movedNames.map((n, i) => {
    const j = byName.get(n) ?? fail(sidecarWhere, `joints[${i}]`, `names no <joint> in the URDF (${q(n)})`);
    if (j.type === 'fixed') fail(sidecarWhere, `joints[${i}]`, `joint ${q(n)} is fixed: it cannot be moved`);
    if (j.mimic) fail(sidecarWhere, `joints[${i}]`, `joint ${q(n)} follows ${q(j.mimic.joint)} (<mimic>): engram moves the joint it follows`);
    return j;
  });
  const movedSet = new Set(movedNames);
  for (const k of ['accelerations', 'ranges'] as const) {
    for (const n of Object.keys(sidecar[k] ?? {})) if (!movedSet.has(n)) fail(sidecarWhere, `${k}.${key(n)}`, 'names no joint engram moves');
  }

  const scale = sidecar.velocityScale ?? 1;
  const joints: JointLimits[] = moved.map((j) => {
    const at = `<joint name=${q(j.name)}>`;
    const type = j.type as JointType;
    const limit = j.limit ?? fail(where, `${at} <limit>`, 'is missing: engram needs the velocity and effort limits of every joint it moves');
    if (!(limit.velocity > 0)) fail(where, `${at} <limit velocity>`, `must be a number > 0 for a joint engram moves, got ${limit.velocity}`);
    if (!(limit.effort > 0)) fail(where, `${at} <limit effort>`, `must be a number > 0 for a joint engram moves, got ${limit.effort}`);
    let range = sidecar.ranges?.[j.name];
    if (!range && type === 'continuous') range = [-TWO_PI, TWO_PI];
    if (!range) {
      if (limit.lower === undefined) fail(where, `${at} <limit lower>`, `is missing: engram needs the range of every joint it moves (or give ranges.${key(j.name)} in the sidecar)`);
      if (limit.upper === undefined) fail(where, `${at} <limit upper>`, `is missing: engram needs the range of every joint it moves (or give ranges.${key(j.name)} in the sidecar)`);
      if (!(limit.upper > limit.lower)) fail(where, `${at} <limit upper>`, `must be above lower (${limit.lower}) for a joint engram moves, got ${limit.upper}`);
      range = [limit.lower, limit.upper];
    }
    const maxAccel =
      sidecar.accelerations?.[j.name] ??
      sidecar.defaultAcceleration ??
      fail(sidecarWhere, `accelerations.${key(j.name)}`, 'is missing: URDF has no acceleration limits; give accelerations.<joint> (rad/s^2) for every joint engram moves, or defaultAcceleration');
    return { name: j.name, type, min: range[0], max: range[1], maxSpeed: limit.velocity * scale, maxAccel, maxEffort: limit.effort };
  });

  const robot: RobotDescription = { name: sidecar.name ?? model.name, source: sidecar.source, joints, chain, urdf: urdfText };
  if (sidecar.piano) robot.piano = { ...sidecar.piano, links: pianoLinks(moved, path, links, where) };
  if (sidecar.hand) robot.hand = sidecar.hand;
  if (sidecar.gripper) robot.gripper = { seconds: sidecar.gripper.seconds };
  return validateRobot(robot, sidecarWhere);
}

/**
 * A planar piano arm's links from its URDF: each moved joint's child link, as long as the distance from
 * that joint to the next moved joint (the last: to the tool frame), as heavy as its <inertial> mass.
 */
function pianoLinks(moved: UrdfJoint[], path: UrdfJoint[], links: Map<string, UrdfLink>, where: string): PianoPlacement['links'] {
  const index = new Map(path.map((j, k) => [j.name, k]));
  const t = new Float64Array(16), scratch = new Float64Array(16);
  return moved.map((j, i) => {
    const from = index.get(j.name) ?? fail(where, `<joint name=${q(j.name)}>`, 'a piano arm moves only joints of its chain');
    const next = moved[i + 1];
    const to = next ? (index.get(next.name) ?? fail(where, `<joint name=${q(next.name)}>`, 'a piano arm moves only joints of its chain')) : path.length - 1;
    // The next joint (or the tool) in this joint's frame; the joint's own rotation does not change the distance.
    identity(t);
    for (let k = from + 1; k <= to; k++) t.set(multiply(t, originMatrix(path[k]!.origin), scratch));
    const length = Math.hypot(t[12]!, t[13]!, t[14]!);
    const mass = links.get(j.child)!.mass ?? fail(where, `<link name=${q(j.child)}> <inertial> <mass value>`, 'is missing: a piano arm needs the mass of each link');
    return { name: j.child, length, mass };
  });
}

/**
 * A robot description as a robot publishes it (e.g. retained on MQTT): either a resolved description,
 * or { urdf: URDF text, engram: sidecar }.
 */
export function describeRobotMessage(raw: unknown, where: string): RobotDescription {
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (o && 'engram' in o) {
    if (typeof o.urdf !== 'string') fail(where, 'urdf', `must be the URDF text, got ${shown(o.urdf)}`);
    return robotFromUrdf(o.urdf, validateSidecar(o.engram, `${where}: engram`), `${where}: urdf`, `${where}: engram`);
  }
  return validateRobot(raw, where);
}
