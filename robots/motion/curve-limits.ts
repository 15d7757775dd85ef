import type { JointLimits } from '../description.js';
import type { TrajectoryPoint } from '../driver.js';
import { completeVelocities, curvePeaks, retime, type FullPoint, type JointPeaks } from './spline.js';

/**
 * Does the curve a controller executes (spline.ts: from where the arm is, through every point) stay
 * inside the joints' limits, and if not, how much slower would it have to go? The safety gate refuses
 * or slows trajectories with this; a simulated controller can enforce its own limits with it.
 */

export type LimitQuantity = 'position' | 'speed' | 'acceleration';

/** The worst limit the executed curve would break. */
export interface LimitBreak {
  /** The joint's index in the description and its name. */
  jointIndex: number;
  joint: string;
  quantity: LimitQuantity;
  /** The figure the curve reaches: the extreme position beyond the range, or the peak speed or acceleration. */
  value: number;
  /** The limit broken: the range's bound, maxSpeed or maxAccel. */
  limit: number;
}

/** How far a trajectory must be slowed to fix a break: speeds scale by the factor, accelerations by its square. */
function neededFactor(b: LimitBreak): number {
  if (b.quantity === 'position') return 0;
  const r = b.limit / b.value;
  return b.quantity === 'speed' ? r : Math.sqrt(r);
}

/**
 * The worst break of the joints' limits along the executed curve from `from` (where the arm is, or the
 * end of what is queued) through `points`, or null when it fits. A position break comes first (slowing
 * down does not fix it); otherwise the break that needs the most slowing. `slack` is a relative
 * allowance on speed and acceleration limits. The arm's own pose and speed at `from` are not held
 * against the move that starts there (an arm a hair outside its range may move back in).
 */
export function worstBreak(joints: readonly JointLimits[], points: readonly FullPoint[], from: FullPoint, slack = 0): LimitBreak | null {
  if (points.length === 0) return null;
  return judge(joints, curvePeaks([points[0]!], from), curvePeaks(points), from, jumps(joints, points, from), slack);
}

/** Per joint: does the curve move it in no time anywhere (two points at one time, apart)? */
function jumps(joints: readonly JointLimits[], points: readonly FullPoint[], from: FullPoint): boolean[] {
  return joints.map((_, j) => [from, ...points].some((p, k, all) => k > 0 && p.time <= all[k - 1]!.time && p.positions[j] !== all[k - 1]!.positions[j]));
}

/** The worst break given the peaks of the lead-in (from `from` to the first point) and of the rest. */
function judge(joints: readonly JointLimits[], lead: readonly JointPeaks[], rest: readonly JointPeaks[], from: FullPoint, jump: readonly boolean[], slack: number): LimitBreak | null {
  let position: LimitBreak | null = null;
  let worst: LimitBreak | null = null;
  const consider = (b: LimitBreak) => {
    if (b.quantity === 'position') {
      if (!position || Math.abs(b.value - b.limit) > Math.abs(position.value - position.limit)) position = b;
    } else if (!worst || neededFactor(b) < neededFactor(worst)) worst = b;
  };
  for (let j = 0; j < joints.length; j++) {
    const lim = joints[j]!;
    const l = lead[j]!;
    const r = rest[j]!;
    const at = from.positions[j]!;
    const name = lim.name;
    // positions: the lead-in may start outside the range (where the arm already is), never go further out
    if (l.minPosition < Math.min(lim.min, at) || r.minPosition < lim.min) consider({ jointIndex: j, joint: name, quantity: 'position', value: Math.min(l.minPosition, r.minPosition), limit: lim.min });
    if (l.maxPosition > Math.max(lim.max, at) || r.maxPosition > lim.max) consider({ jointIndex: j, joint: name, quantity: 'position', value: Math.max(l.maxPosition, r.maxPosition), limit: lim.max });
    if (jump[j]) {
      // a jump in no time: no speed is enough
      consider({ jointIndex: j, joint: name, quantity: 'speed', value: Infinity, limit: lim.maxSpeed });
      continue;
    }
    const vLead = Math.max(lim.maxSpeed * (1 + slack), Math.abs(from.velocities[j] ?? 0));
    if (l.maxSpeed > vLead || r.maxSpeed > lim.maxSpeed * (1 + slack)) consider({ jointIndex: j, joint: name, quantity: 'speed', value: Math.max(l.maxSpeed, r.maxSpeed), limit: lim.maxSpeed });
    const a = Math.max(l.maxAccel, r.maxAccel);
    if (a > lim.maxAccel * (1 + slack)) consider({ jointIndex: j, joint: name, quantity: 'acceleration', value: a, limit: lim.maxAccel });
  }
  return position ?? worst;
}

/**
 * The largest time-scaling factor (0..1] at which the trajectory, retimed about `from` (so the move
 * from where the arm is stretches too), fits every limit (no slack), or undefined when slowing down
 * cannot make it fit (a position break, a jump, an arm already moving too fast). Past the first point
 * the curve scales exactly (speeds by f, accelerations by f^2, positions unchanged), so only the
 * lead-in is recomputed per factor; from rest even that scales, and the worst break gives the factor at
 * once. An arm already moving does not scale its own velocity: then the factor is searched for.
 */
export function fitFactor(joints: readonly JointLimits[], points: readonly TrajectoryPoint[], from: FullPoint): number | undefined {
  if (points.length === 0) return 1;
  const full = completeVelocities(points);
  const first = full[0]!;
  const rest = curvePeaks(full);
  const jump = jumps(joints, full, from);
  const breaks = (f: number) => {
    const p0: FullPoint = retime([first], f, from.time)[0]!;
    const scaled = f === 1 ? rest : rest.map((pk) => ({ ...pk, maxSpeed: pk.maxSpeed * f, maxAccel: pk.maxAccel * f * f }));
    return judge(joints, curvePeaks([p0], from), scaled, from, jump, 0);
  };
  const worst = breaks(1);
  if (!worst) return 1;
  const guess = neededFactor(worst) * (1 - 1e-9);
  if (!(guess > 0)) return undefined;
  const fits = (f: number) => breaks(f) === null;
  if (fits(guess)) return guess;
  // an arm already moving: walk down to a factor that fits, then bisect
  let hi = guess;
  let lo = guess * 0.8;
  while (!fits(lo)) {
    hi = lo;
    lo *= 0.8;
    if (lo < 1e-4) return undefined;
  }
  for (let i = 0; i < 50 && hi - lo > 1e-12; i++) {
    const m = (lo + hi) / 2;
    if (fits(m)) lo = m;
    else hi = m;
  }
  return lo;
}
