import type { JointLimits } from '../description.js';
import type { TrajectoryPoint } from '../driver.js';
import { completeVelocities, curvePeaks, retime, type FullPoint } from './spline.js';

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
  const first = points[0]!;
  const lead = curvePeaks([first], from);
  const rest = curvePeaks(points);
  const breaks: LimitBreak[] = [];
  for (let j = 0; j < joints.length; j++) {
    const lim = joints[j]!;
    const at = from.positions[j]!;
    const push = (quantity: LimitQuantity, value: number, limit: number) => breaks.push({ jointIndex: j, joint: lim.name, quantity, value, limit });
    // positions: the lead-in may start outside the range (where the arm already is), never go further out
    const lo = Math.min(lim.min, at);
    const hi = Math.max(lim.max, at);
    const minP = Math.min(lead[j]!.minPosition, rest[j]!.minPosition);
    const maxP = Math.max(lead[j]!.maxPosition, rest[j]!.maxPosition);
    if (lead[j]!.minPosition < lo || rest[j]!.minPosition < lim.min) push('position', minP, lim.min);
    if (lead[j]!.maxPosition > hi || rest[j]!.maxPosition > lim.max) push('position', maxP, lim.max);
    // a jump in no time: no speed is enough
    const jumps = [from, ...points].some((p, k, all) => k > 0 && p.time <= all[k - 1]!.time && p.positions[j] !== all[k - 1]!.positions[j]);
    const v = Math.max(lead[j]!.maxSpeed, rest[j]!.maxSpeed);
    const vLead = Math.max(lim.maxSpeed * (1 + slack), Math.abs(from.velocities[j] ?? 0));
    if (jumps) push('speed', Infinity, lim.maxSpeed);
    else if (lead[j]!.maxSpeed > vLead || rest[j]!.maxSpeed > lim.maxSpeed * (1 + slack)) push('speed', v, lim.maxSpeed);
    const a = Math.max(lead[j]!.maxAccel, rest[j]!.maxAccel);
    if (!jumps && a > lim.maxAccel * (1 + slack)) push('acceleration', a, lim.maxAccel);
  }
  if (breaks.length === 0) return null;
  const position = breaks.filter((b) => b.quantity === 'position');
  if (position.length) return position.reduce((w, b) => (Math.abs(b.value - b.limit) > Math.abs(w.value - w.limit) ? b : w));
  return breaks.reduce((w, b) => (neededFactor(b) < neededFactor(w) ? b : w));
}

/**
 * The largest time-scaling factor (0..1] at which the trajectory, retimed about `from` (so the move
 * from where the arm is stretches too), fits every limit (no slack), or undefined when slowing down
 * cannot make it fit (a position break, a jump, an arm already moving too fast). From rest the curve
 * scales exactly (speeds by f, accelerations by f^2), so the worst break gives the factor; otherwise
 * the arm's own velocity does not scale and the factor is found by bisection on the check itself.
 */
export function fitFactor(joints: readonly JointLimits[], points: readonly TrajectoryPoint[], from: FullPoint): number | undefined {
  const worst = worstBreak(joints, completeVelocities(points), from);
  if (!worst) return 1;
  const guess = neededFactor(worst) * (1 - 1e-9);
  if (!(guess > 0)) return undefined;
  const fits = (f: number) => worstBreak(joints, completeVelocities(retime(points, f, from.time)), from) === null;
  if (fits(guess)) return guess;
  // an arm already moving: its own velocity does not scale, so walk down to a factor that fits, then bisect
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

