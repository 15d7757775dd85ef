import { RobotDescriptionError, type ChainJoint, type RobotDescription } from './description.js';

/**
 * Kinematics of any serial chain from its URDF joints: forward kinematics, the geometric Jacobian, and
 * inverse kinematics by damped least squares. Poses are 4x4 homogeneous transforms in Float64Array(16),
 * column-major (three.js Matrix4.elements order): element (row r, column c) at [c * 4 + r], the
 * translation at [12], [13], [14]. Everything is in the chain's base link frame. The calls write into
 * arrays the caller passes (or the chain's own scratch) and allocate nothing per call.
 */

const FIXED = 0;
const REVOLUTE = 1;
const PRISMATIC = 2;

/** 4x4 identity, column-major. */
export function identity(out: Float64Array = new Float64Array(16)): Float64Array {
  out.fill(0);
  out[0] = out[5] = out[10] = out[15] = 1;
  return out;
}

/** out = a * b (4x4 column-major); out may be neither a nor b. */
export function multiply(a: ArrayLike<number>, b: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let c = 0; c < 4; c++) {
    const b0 = b[c * 4]!, b1 = b[c * 4 + 1]!, b2 = b[c * 4 + 2]!, b3 = b[c * 4 + 3]!;
    for (let r = 0; r < 4; r++) out[c * 4 + r] = a[r]! * b0 + a[4 + r]! * b1 + a[8 + r]! * b2 + a[12 + r]! * b3;
  }
  return out;
}

/** The transform of a URDF <origin>: translate by xyz, rotate by Rz(yaw) Ry(pitch) Rx(roll). */
export function originMatrix(origin: ChainJoint['origin'], out: Float64Array = new Float64Array(16)): Float64Array {
  const [r, p, y] = origin.rpy;
  const cr = Math.cos(r), sr = Math.sin(r), cp = Math.cos(p), sp = Math.sin(p), cy = Math.cos(y), sy = Math.sin(y);
  out[0] = cy * cp; out[1] = sy * cp; out[2] = -sp; out[3] = 0;
  out[4] = cy * sp * sr - sy * cr; out[5] = sy * sp * sr + cy * cr; out[6] = cp * sr; out[7] = 0;
  out[8] = cy * sp * cr + sy * sr; out[9] = sy * sp * cr - cy * sr; out[10] = cp * cr; out[11] = 0;
  out[12] = origin.xyz[0]; out[13] = origin.xyz[1]; out[14] = origin.xyz[2]; out[15] = 1;
  return out;
}

/** Rotation by angle about a unit axis (Rodrigues), or translation by d along it, as a 4x4 transform. */
function motion(kind: number, ax: number, ay: number, az: number, v: number, out: Float64Array): void {
  identity(out);
  if (kind === PRISMATIC) {
    out[12] = ax * v;
    out[13] = ay * v;
    out[14] = az * v;
  } else if (kind === REVOLUTE) {
    const c = Math.cos(v), s = Math.sin(v), t = 1 - c;
    out[0] = t * ax * ax + c; out[1] = t * ax * ay + s * az; out[2] = t * ax * az - s * ay;
    out[4] = t * ax * ay - s * az; out[5] = t * ay * ay + c; out[6] = t * ay * az + s * ax;
    out[8] = t * ax * az + s * ay; out[9] = t * ay * az - s * ax; out[10] = t * az * az + c;
  }
}

/** Fractional parts of square roots of primes: irrational steps that spread IK restarts over the joint ranges. */
const SPREAD = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37].map((p) => Math.sqrt(p) % 1);

export interface InverseOptions {
  /** Position tolerance, m (default 1e-4). */
  tolerance?: number;
  /** Orientation tolerance, rad (default 1e-3). */
  angularTolerance?: number;
  /** Iterations per start before giving up (default 300). */
  maxIterations?: number;
  /** Whether a 16-element target's orientation counts (default true). */
  orientation?: boolean;
  /** Fresh starts after the seed fails (default 8; 0: the seed only). */
  restarts?: number;
  /** Where to write the solution (length dof); default a new array. */
  out?: Float64Array;
}

/**
 * A robot's kinematic chain, prepared for fast repeated use. Joint positions q are in the robot's
 * command order (description.joints); a chain joint engram does not move is held at 0, a mimic joint
 * follows the joint it mimics.
 */
export class SerialChain {
  readonly robot: RobotDescription;
  /** Joints engram moves (length of q). */
  readonly dof: number;
  /** Chain joints, base to tool, fixed ones included; frames[i] is the pose of chainJoints[i].child. */
  readonly chainJoints: readonly ChainJoint[];
  readonly baseLink: string;
  readonly toolLink: string;
  /** Joint ranges in command order. */
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly #origins: Float64Array[];
  readonly #kind: Uint8Array;
  readonly #axis: Float64Array;
  /** Which q drives each chain joint (-1: none), times what, plus what. */
  readonly #source: Int32Array;
  readonly #gain: Float64Array;
  readonly #offset: Float64Array;
  // Scratch, allocated once.
  readonly #frames: Float64Array[];
  readonly #tmp = new Float64Array(16);
  readonly #move = new Float64Array(16);
  readonly #tool = new Float64Array(16);
  readonly #jac: Float64Array;
  readonly #q: Float64Array;
  readonly #trial: Float64Array;
  readonly #dq: Float64Array;
  readonly #err = new Float64Array(6);
  readonly #trialErr = new Float64Array(6);
  readonly #a = new Float64Array(36);
  readonly #y = new Float64Array(6);
  readonly #locked: Uint8Array;

  constructor(robot: RobotDescription) {
    const chain = robot.chain;
    if (!chain || chain.length === 0) throw new RobotDescriptionError(robot.name, 'chain', 'this robot has no kinematic chain (describe it by its URDF)');
    this.robot = robot;
    this.dof = robot.joints.length;
    this.chainJoints = chain;
    this.baseLink = chain[0]!.parent;
    this.toolLink = chain[chain.length - 1]!.child;
    this.min = Float64Array.from(robot.joints, (j) => j.min);
    this.max = Float64Array.from(robot.joints, (j) => j.max);
    const index = new Map(robot.joints.map((j, i) => [j.name, i]));
    const n = chain.length;
    this.#origins = chain.map((j) => originMatrix(j.origin));
    this.#kind = Uint8Array.from(chain, (j) => (j.type === 'fixed' ? FIXED : j.type === 'prismatic' ? PRISMATIC : REVOLUTE));
    this.#axis = Float64Array.from(chain.flatMap((j) => j.axis));
    this.#source = new Int32Array(n).fill(-1);
    this.#gain = new Float64Array(n).fill(1);
    this.#offset = new Float64Array(n);
    chain.forEach((j, k) => {
      if (j.type === 'fixed') return;
      const driver = j.mimic ? index.get(j.mimic.joint) : index.get(j.name);
      if (j.mimic) {
        this.#gain[k] = j.mimic.multiplier;
        this.#offset[k] = j.mimic.offset;
      }
      if (driver !== undefined) this.#source[k] = driver;
    });
    this.#frames = chain.map(() => new Float64Array(16));
    this.#jac = new Float64Array(6 * this.dof);
    this.#q = new Float64Array(this.dof);
    this.#trial = new Float64Array(this.dof);
    this.#dq = new Float64Array(this.dof);
    this.#locked = new Uint8Array(this.dof);
  }

  /** Arrays to receive every frame from forward(). */
  createFrames(): Float64Array[] {
    return this.chainJoints.map(() => new Float64Array(16));
  }

  /** The position of chain joint k for joint positions q. */
  #value(k: number, q: ArrayLike<number>): number {
    const s = this.#source[k]!;
    return (s < 0 ? 0 : this.#gain[k]! * q[s]!) + this.#offset[k]!;
  }

  /**
   * Forward kinematics: the tool pose for joint positions q (command order), written into `tool`;
   * `frames` (from createFrames()) receives the pose of every chain joint's child link.
   */
  forward(q: ArrayLike<number>, tool: Float64Array, frames: Float64Array[] = this.#frames): Float64Array {
    const tmp = this.#tmp, move = this.#move, axis = this.#axis;
    let parent: Float64Array | undefined;
    for (let k = 0; k < this.#kind.length; k++) {
      const f = frames[k]!;
      if (parent) multiply(parent, this.#origins[k]!, tmp);
      else tmp.set(this.#origins[k]!);
      const kind = this.#kind[k]!;
      if (kind === FIXED) f.set(tmp);
      else {
        motion(kind, axis[3 * k]!, axis[3 * k + 1]!, axis[3 * k + 2]!, this.#value(k, q), move);
        multiply(tmp, move, f);
      }
      parent = f;
    }
    tool.set(parent!);
    return tool;
  }

  /**
   * The geometric Jacobian at q: 6 x dof, column-major, out[6 * j + r]: rows 0-2 the tool origin's linear
   * velocity, rows 3-5 the angular velocity, per unit speed of joint j, in the base frame.
   */
  jacobian(q: ArrayLike<number>, out: Float64Array): Float64Array {
    const frames = this.#frames;
    const tool = this.forward(q, this.#tool, frames);
    out.fill(0, 0, 6 * this.dof);
    const px = tool[12]!, py = tool[13]!, pz = tool[14]!;
    for (let k = 0; k < this.#kind.length; k++) {
      const s = this.#source[k]!;
      const kind = this.#kind[k]!;
      if (s < 0 || kind === FIXED) continue;
      const f = frames[k]!, g = this.#gain[k]!;
      const ax = this.#axis[3 * k]!, ay = this.#axis[3 * k + 1]!, az = this.#axis[3 * k + 2]!;
      // The joint axis in the base frame (the joint's own motion leaves it unchanged).
      const zx = f[0]! * ax + f[4]! * ay + f[8]! * az;
      const zy = f[1]! * ax + f[5]! * ay + f[9]! * az;
      const zz = f[2]! * ax + f[6]! * ay + f[10]! * az;
      const o = 6 * s;
      if (kind === PRISMATIC) {
        out[o] = out[o]! + g * zx;
        out[o + 1] = out[o + 1]! + g * zy;
        out[o + 2] = out[o + 2]! + g * zz;
      } else {
        const rx = px - f[12]!, ry = py - f[13]!, rz = pz - f[14]!;
        out[o] = out[o]! + g * (zy * rz - zz * ry);
        out[o + 1] = out[o + 1]! + g * (zz * rx - zx * rz);
        out[o + 2] = out[o + 2]! + g * (zx * ry - zy * rx);
        out[o + 3] = out[o + 3]! + g * zx;
        out[o + 4] = out[o + 4]! + g * zy;
        out[o + 5] = out[o + 5]! + g * zz;
      }
    }
    return out;
  }

  /** The chain index of a link: k when it is chainJoints[k].child, -1 for the base link, null when the chain has no such link. */
  linkIndex(link: string): number | null {
    if (link === this.baseLink) return -1;
    const k = this.chainJoints.findIndex((j) => j.child === link);
    return k < 0 ? null : k;
  }

  /** Which joints (command order) move chain link k: those between the base and it (-1, the base: none). */
  jointsMoving(k: number): boolean[] {
    const moves = new Array<boolean>(this.dof).fill(false);
    for (let m = 0; m <= k && m < this.#kind.length; m++) if (this.#kind[m] !== FIXED && this.#source[m]! >= 0) moves[this.#source[m]!] = true;
    return moves;
  }

  /**
   * A point fixed in chain link k (its frame is chainJoints[k].child's; -1: the base link), at `local` in
   * that frame: where it is at q (base frame, into `point`) and its linear Jacobian, 3 x dof column-major,
   * out[3 * j + r]: the point's velocity per unit speed of joint j. Only the joints between the base and
   * link k move it; every other column is 0.
   */
  pointJacobian(q: ArrayLike<number>, k: number, local: ArrayLike<number>, point: Float64Array, out: Float64Array): void {
    if (k < -1 || k >= this.#kind.length) throw new RangeError(`chain link index ${k} is outside the chain (-1..${this.#kind.length - 1})`);
    const frames = this.#frames;
    this.forward(q, this.#tool, frames);
    out.fill(0, 0, 3 * this.dof);
    const lx = local[0]!, ly = local[1]!, lz = local[2]!;
    if (k < 0) {
      point[0] = lx;
      point[1] = ly;
      point[2] = lz;
      return;
    }
    const f = frames[k]!;
    const px = f[0]! * lx + f[4]! * ly + f[8]! * lz + f[12]!;
    const py = f[1]! * lx + f[5]! * ly + f[9]! * lz + f[13]!;
    const pz = f[2]! * lx + f[6]! * ly + f[10]! * lz + f[14]!;
    point[0] = px;
    point[1] = py;
    point[2] = pz;
    for (let m = 0; m <= k; m++) {
      const s = this.#source[m]!;
      const kind = this.#kind[m]!;
      if (s < 0 || kind === FIXED) continue;
      const g = frames[m]!, gain = this.#gain[m]!;
      const ax = this.#axis[3 * m]!, ay = this.#axis[3 * m + 1]!, az = this.#axis[3 * m + 2]!;
      const zx = g[0]! * ax + g[4]! * ay + g[8]! * az;
      const zy = g[1]! * ax + g[5]! * ay + g[9]! * az;
      const zz = g[2]! * ax + g[6]! * ay + g[10]! * az;
      const o = 3 * s;
      if (kind === PRISMATIC) {
        out[o] = out[o]! + gain * zx;
        out[o + 1] = out[o + 1]! + gain * zy;
        out[o + 2] = out[o + 2]! + gain * zz;
      } else {
        const rx = px - g[12]!, ry = py - g[13]!, rz = pz - g[14]!;
        out[o] = out[o]! + gain * (zy * rz - zz * ry);
        out[o + 1] = out[o + 1]! + gain * (zz * rx - zx * rz);
        out[o + 2] = out[o + 2]! + gain * (zx * ry - zy * rx);
      }
    }
  }

  /** The pose of chain link k (-1: the base link, the identity) at q, into out. */
  linkPose(q: ArrayLike<number>, k: number, out: Float64Array = new Float64Array(16)): Float64Array {
    if (k < 0) return identity(out);
    this.forward(q, this.#tool, this.#frames);
    out.set(this.#frames[k]!);
    return out;
  }

  /**
   * Inverse kinematics by damped least squares (Levenberg-Marquardt damping) from `seed`, inside the joint
   * ranges. `target` is a position [x, y, z] or a 4x4 pose (position and orientation; options.orientation
   * false for the position only). Joints that cannot move the tool keep their seed values. When the seed
   * leads into a local minimum (often against a joint limit), it starts again from spread-out points of
   * the joint ranges (a fixed sequence). Returns the joint positions, or null when the target is not
   * reached within tolerance. Deterministic.
   */
  inverse(target: ArrayLike<number>, seed: ArrayLike<number>, options: InverseOptions = {}): Float64Array | null {
    if (target.length !== 3 && target.length !== 16) throw new RangeError(`IK target must be a position (3 numbers) or a 4x4 pose (16), got ${target.length} numbers`);
    if (seed.length !== this.dof) throw new RangeError(`IK seed must have ${this.dof} joint positions, got ${seed.length}`);
    const rows = target.length === 16 && options.orientation !== false ? 6 : 3;
    const restarts = options.restarts ?? 8;
    const q = this.#q;
    for (let attempt = 0; attempt <= restarts; attempt++) {
      for (let i = 0; i < this.dof; i++) {
        // Attempt k > 0 starts at the k-th point of an additive recurrence (irrational steps per joint).
        const start = attempt === 0 ? seed[i]! : this.min[i]! + ((attempt * SPREAD[i % SPREAD.length]!) % 1) * (this.max[i]! - this.min[i]!);
        q[i] = Math.min(this.max[i]!, Math.max(this.min[i]!, start));
      }
      if (this.#solve(target, rows, options)) {
        const out = options.out ?? new Float64Array(this.dof);
        out.set(q);
        return out;
      }
    }
    return null;
  }

  /** Damped least squares from this.#q; true when it reaches the target (the answer left in this.#q). */
  #solve(target: ArrayLike<number>, rows: number, options: InverseOptions): boolean {
    const tolerance = options.tolerance ?? 1e-4;
    const angularTolerance = options.angularTolerance ?? 1e-3;
    const maxIterations = options.maxIterations ?? 300;
    const n = this.dof;
    const q = this.#q, trial = this.#trial, dq = this.#dq, jac = this.#jac, e = this.#err, locked = this.#locked;
    let cost = this.#error(q, target, rows, e);
    let lambda = 1e-2;
    for (let iter = 0; iter < maxIterations; iter++) {
      if (this.#reached(e, rows, tolerance, angularTolerance)) return true;
      this.jacobian(q, jac);
      // Joints at a limit and pushed outwards are left out of the step (an active set), up to n passes.
      locked.fill(0);
      for (let pass = 0; pass <= n; pass++) {
        this.#step(jac, e, rows, lambda, locked, dq);
        let again = false;
        for (let i = 0; i < n; i++) {
          const v = q[i]! + dq[i]!;
          if (!locked[i] && ((v > this.max[i]! && q[i]! >= this.max[i]! - 1e-12) || (v < this.min[i]! && q[i]! <= this.min[i]! + 1e-12))) {
            locked[i] = 1;
            again = true;
          }
        }
        if (!again) break;
      }
      // Bound the step: the linearisation holds for small rotations only.
      let big = 0;
      for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(dq[i]!));
      const scale = big > 0.5 ? 0.5 / big : 1;
      for (let i = 0; i < n; i++) trial[i] = Math.min(this.max[i]!, Math.max(this.min[i]!, q[i]! + scale * dq[i]!));
      const trialCost = this.#error(trial, target, rows, this.#trialErr);
      if (trialCost < cost) {
        q.set(trial);
        e.set(this.#trialErr);
        cost = trialCost;
        lambda = Math.max(lambda * 0.5, 1e-6);
      } else {
        lambda *= 4;
        if (lambda > 1e4) return false; // no step lowers the error: a local minimum or a limit
      }
    }
    return this.#reached(e, rows, tolerance, angularTolerance);
  }

  /** Task-space error target - current into e (position, then rotation vector); returns its squared norm. */
  #error(q: ArrayLike<number>, target: ArrayLike<number>, rows: number, e: Float64Array): number {
    const t = this.forward(q, this.#tool);
    if (target.length === 3) {
      e[0] = target[0]! - t[12]!;
      e[1] = target[1]! - t[13]!;
      e[2] = target[2]! - t[14]!;
    } else {
      e[0] = target[12]! - t[12]!;
      e[1] = target[13]! - t[13]!;
      e[2] = target[14]! - t[14]!;
    }
    if (rows === 6) rotationError(target, t, e);
    let s = 0;
    for (let i = 0; i < rows; i++) s += e[i]! * e[i]!;
    return s;
  }

  #reached(e: Float64Array, rows: number, tolerance: number, angularTolerance: number): boolean {
    if (Math.hypot(e[0]!, e[1]!, e[2]!) > tolerance) return false;
    return rows === 3 || Math.hypot(e[3]!, e[4]!, e[5]!) <= angularTolerance;
  }

  /** dq = J^T (J J^T + lambda^2 I)^-1 e over the first `rows` rows, locked joints left out. */
  #step(jac: Float64Array, e: Float64Array, rows: number, lambda: number, locked: Uint8Array, dq: Float64Array): void {
    const a = this.#a, y = this.#y, n = this.dof;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c <= r; c++) {
        let s = r === c ? lambda * lambda : 0;
        for (let j = 0; j < n; j++) if (!locked[j]) s += jac[6 * j + r]! * jac[6 * j + c]!;
        a[r * 6 + c] = a[c * 6 + r] = s;
      }
    }
    // Cholesky A = L L^T in place (lower triangle), then forward and back substitution.
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c <= r; c++) {
        let s = a[r * 6 + c]!;
        for (let k = 0; k < c; k++) s -= a[r * 6 + k]! * a[c * 6 + k]!;
        a[r * 6 + c] = r === c ? Math.sqrt(Math.max(s, 1e-300)) : s / a[c * 6 + c]!;
      }
    }
    for (let r = 0; r < rows; r++) {
      let s = e[r]!;
      for (let k = 0; k < r; k++) s -= a[r * 6 + k]! * y[k]!;
      y[r] = s / a[r * 6 + r]!;
    }
    for (let r = rows - 1; r >= 0; r--) {
      let s = y[r]!;
      for (let k = r + 1; k < rows; k++) s -= a[k * 6 + r]! * y[k]!;
      y[r] = s / a[r * 6 + r]!;
    }
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (!locked[j]) for (let r = 0; r < rows; r++) s += jac[6 * j + r]! * y[r]!;
      dq[j] = s;
    }
  }
}

/**
 * The rotation taking pose b's orientation to pose a's, as a rotation vector (axis times angle, base
 * frame), into e[3..5]: the log of Ra Rb^T.
 */
export function rotationError(a: ArrayLike<number>, b: ArrayLike<number>, e: Float64Array): void {
  // m = Ra Rb^T, row r column c: sum_k Ra[r][k] Rb[c][k]; Ra[r][k] = a[k * 4 + r].
  const m = (r: number, c: number) => a[r]! * b[c]! + a[4 + r]! * b[4 + c]! + a[8 + r]! * b[8 + c]!;
  const m00 = m(0, 0), m11 = m(1, 1), m22 = m(2, 2);
  const sx = m(2, 1) - m(1, 2), sy = m(0, 2) - m(2, 0), sz = m(1, 0) - m(0, 1);
  // atan2 keeps the angle accurate near 0 (acos of a cosine near 1 does not).
  const sin = Math.hypot(sx, sy, sz) / 2;
  const angle = Math.atan2(sin, (m00 + m11 + m22 - 1) / 2);
  if (angle < 1e-9) {
    e[3] = sx / 2;
    e[4] = sy / 2;
    e[5] = sz / 2;
  } else if (Math.PI - angle > 1e-4) {
    const k = angle / (2 * sin);
    e[3] = sx * k;
    e[4] = sy * k;
    e[5] = sz * k;
  } else {
    // Near a half turn the skew part vanishes: the axis comes from the symmetric part, m = 2 u u^T - I.
    let ux = Math.sqrt(Math.max(0, (m00 + 1) / 2));
    let uy = Math.sqrt(Math.max(0, (m11 + 1) / 2));
    let uz = Math.sqrt(Math.max(0, (m22 + 1) / 2));
    if (ux >= uy && ux >= uz) {
      uy = Math.sign(m(0, 1) + m(1, 0)) * uy || uy;
      uz = Math.sign(m(0, 2) + m(2, 0)) * uz || uz;
    } else if (uy >= uz) {
      ux = Math.sign(m(0, 1) + m(1, 0)) * ux || ux;
      uz = Math.sign(m(1, 2) + m(2, 1)) * uz || uz;
    } else {
      ux = Math.sign(m(0, 2) + m(2, 0)) * ux || ux;
      uy = Math.sign(m(1, 2) + m(2, 1)) * uy || uy;
    }
    // Keep the direction the skew part still hints at, so the step turns the short way.
    const d = ux * sx + uy * sy + uz * sz;
    const s = d < 0 ? -angle : angle;
    const norm = Math.hypot(ux, uy, uz) || 1;
    e[3] = (ux / norm) * s;
    e[4] = (uy / norm) * s;
    e[5] = (uz / norm) * s;
  }
}
