import type { JointLimits, PianoArm } from '../description.js';
import type { SerialChain } from '../kinematics.js';
import { forward as planarForward } from '../planar.js';

/**
 * Freedrive as a cobot's hand-guiding mode does it, for an arm that is position controlled: an
 * admittance model. The person holds the arm at a point of some link; their hand pulls that point
 * through a virtual spring, F = stiffness (hand - point) (N, at most maxForce); the joints between the
 * base and that link feel tau = J^T F (J: the point's linear Jacobian over those joints only, so a joint
 * beyond the grabbed link feels nothing and does not move); each gives way at tau / damping, the whole
 * motion slowed so no joint passes its share of its speed limit, and stops at its range. The links'
 * weight is compensated (as a cobot's controller compensates it): the hand's force is the only one, so
 * an arm let go holds still in any pose. The step is a pure function of the joint positions, the grab
 * and the hand: the positions it gives are commanded like any other jog.
 */

/** A point held on one link of an arm. */
export interface GrabbedPoint {
  /** Which joints (command order) move the grabbed point: those between the base and its link. */
  readonly moves: readonly boolean[];
  /** Where the point is at q (3 numbers) and its linear Jacobian (3 x n column-major: jac[3 j + r]). */
  at(q: ArrayLike<number>, point: Float64Array, jac: Float64Array): void;
}

export interface ComplianceModel {
  /** The arm's joints: ranges and speed limits (command order). */
  joints: readonly JointLimits[];
  /** The spring between the hand and the grabbed point, N/m. */
  stiffness: number;
  /** Joint damping, N m s/rad (N s/m for a prismatic joint): one for all, or one per joint. */
  damping: number | readonly number[];
  /** Share of each joint's speed limit the arm gives way at, at most (a jog moves at half: default 0.5). */
  speedShare?: number;
  /** The hand's largest force, N (default 60: a firm push). */
  maxForce?: number;
}

export interface ComplianceStep {
  /** Joint positions after the step, inside every range. */
  q: number[];
  /** Joint velocities of the step's last part, rad/s (m/s). */
  velocity: number[];
  /** The hand's force on the grabbed point at the step's start, N. */
  force: [number, number, number];
  /** The joint torques it makes there, J^T F, N m (N). */
  torque: number[];
}

/** Longest time one integration step covers, s: the spring-damper is stiff, explicit Euler needs short steps. */
const SUBSTEP = 0.0025;
/** Longest step taken at once, s: a page that stalled does not jump the arm. */
const MAX_DT = 0.1;

/**
 * Moves the arm for dt seconds under the hand's pull on the grabbed point. Without a grab or a hand
 * (released) nothing moves. A joint at an end of its range and pushed outwards stays there while
 * the others go on. Allocates only its answer.
 */
export function complianceStep(q: readonly number[], grab: GrabbedPoint | null, hand: ArrayLike<number> | null, model: ComplianceModel, dt: number): ComplianceStep {
  const n = model.joints.length;
  if (q.length !== n) throw new RangeError(`freedrive: ${n} joint positions needed, got ${q.length}`);
  if (!(model.stiffness > 0) || !Number.isFinite(model.stiffness)) throw new RangeError('freedrive: stiffness must be a positive number');
  const damping = typeof model.damping === 'number' ? new Array<number>(n).fill(model.damping) : [...model.damping];
  if (damping.length !== n || damping.some((d) => !(d > 0) || !Number.isFinite(d))) throw new RangeError(`freedrive: damping must be a positive number or ${n} of them`);
  const out: ComplianceStep = { q: [...q], velocity: new Array<number>(n).fill(0), force: [0, 0, 0], torque: new Array<number>(n).fill(0) };
  if (!grab || !hand || !(dt > 0)) return out;
  if (grab.moves.length !== n) throw new RangeError(`freedrive: the grab covers ${grab.moves.length} joints, the arm has ${n}`);
  const share = model.speedShare ?? 0.5;
  const maxForce = model.maxForce ?? 60;
  const time = Math.min(dt, MAX_DT);
  const steps = Math.ceil(time / SUBSTEP);
  const h = time / steps;
  const x = out.q;
  const point = new Float64Array(3);
  const jac = new Float64Array(3 * n);
  const force = new Float64Array(3);
  const v = out.velocity;
  for (let step = 0; step < steps; step++) {
    grab.at(x, point, jac);
    for (let r = 0; r < 3; r++) force[r] = model.stiffness * (hand[r]! - point[r]!);
    const f = Math.hypot(force[0]!, force[1]!, force[2]!);
    if (f > maxForce) for (let r = 0; r < 3; r++) force[r] = (force[r]! * maxForce) / f;
    // tau = J^T F over the joints that move the point; velocity = tau / damping
    let slow = 1;
    for (let j = 0; j < n; j++) {
      let tau = 0;
      if (grab.moves[j]) for (let r = 0; r < 3; r++) tau += jac[3 * j + r]! * force[r]!;
      if (step === 0) out.torque[j] = tau;
      v[j] = tau / damping[j]!;
      // a joint at an end of its range pushed outwards stays (and does not slow the others)
      if ((x[j]! >= model.joints[j]!.max && v[j]! > 0) || (x[j]! <= model.joints[j]!.min && v[j]! < 0)) v[j] = 0;
      const limit = share * model.joints[j]!.maxSpeed;
      if (Math.abs(v[j]!) > limit) slow = Math.min(slow, limit / Math.abs(v[j]!));
    }
    if (step === 0) out.force = [force[0]!, force[1]!, force[2]!];
    // the whole motion slowed together: the direction the hand pulls in is kept
    for (let j = 0; j < n; j++) {
      v[j] = v[j]! * slow;
      if (v[j] !== 0) x[j] = Math.min(model.joints[j]!.max, Math.max(model.joints[j]!.min, x[j]! + v[j]! * h));
    }
  }
  return out;
}

/**
 * A point held on a link of a serial chain (robots/kinematics.ts), given where it is in the chain's base
 * frame when grabbed at joint positions q; null when the chain has no such link.
 */
export function chainGrab(chain: SerialChain, link: string, point: ArrayLike<number>, q: ArrayLike<number>): (GrabbedPoint & { link: string; index: number }) | null {
  const k = chain.linkIndex(link);
  if (k === null) return null;
  // the point in the link's own frame: it moves with the link from now on
  const f = chain.linkPose(q, k);
  const dx = point[0]! - f[12]!, dy = point[1]! - f[13]!, dz = point[2]! - f[14]!;
  const local = Float64Array.of(f[0]! * dx + f[1]! * dy + f[2]! * dz, f[4]! * dx + f[5]! * dy + f[6]! * dz, f[8]! * dx + f[9]! * dy + f[10]! * dz);
  return { link, index: k, moves: chain.jointsMoving(k), at: (x, p, jac) => chain.pointJacobian(x, k, local, p, jac) };
}

/**
 * A point held on link `link` (0 upper arm, 1 forearm, 2 wrist and hand) of a planar piano arm
 * (robots/planar.ts: relative joint angles, counter-clockwise positive, in the keyboard's x-y plane),
 * given where it is in that plane when grabbed at joint positions q. Points and Jacobians have z = 0.
 */
export function planarGrab(robot: PianoArm, link: number, point: { x: number; y: number }, q: readonly number[]): GrabbedPoint & { link: number } {
  if (!Number.isInteger(link) || link < 0 || link > 2) throw new RangeError(`planar arm link ${link}: 0, 1 or 2`);
  const n = robot.joints.length;
  const origin = (x: ArrayLike<number>) => {
    const pts = [robot.piano.base, ...planarForward(robot, [x[0]!, x[1]!, x[2]!])];
    let a = 0;
    for (let i = 0; i <= link; i++) a += x[i]!;
    return { pts, a };
  };
  const { pts, a } = origin(q);
  const c = Math.cos(a), s = Math.sin(a);
  const dx = point.x - pts[link]!.x, dy = point.y - pts[link]!.y;
  // along the link and across it
  const u = c * dx + s * dy, w = -s * dx + c * dy;
  return {
    link,
    moves: Array.from({ length: n }, (_, j) => j <= link),
    at(x, p, jac) {
      const o = origin(x);
      const cx = Math.cos(o.a), sx = Math.sin(o.a);
      const px = o.pts[link]!.x + cx * u - sx * w;
      const py = o.pts[link]!.y + sx * u + cx * w;
      p[0] = px;
      p[1] = py;
      p[2] = 0;
      jac.fill(0, 0, 3 * n);
      // joint j turns everything past it about its own position: z x (p - p_j)
      for (let j = 0; j <= link; j++) {
        jac[3 * j] = -(py - o.pts[j]!.y);
        jac[3 * j + 1] = px - o.pts[j]!.x;
      }
    },
  };
}
