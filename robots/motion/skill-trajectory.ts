import type { TrajectoryPoint } from '../driver.js';
import type { Keyframe } from '../../src/skills/keyframes.js';

/**
 * Keyframes back to a timed joint trajectory starting at `start` (driver clock, s): a point where each
 * keyframe is reached and, for a pause, another where it is left. Between pauses the arm passes
 * through the keyframes on the minimum-jerk curve through them (a quintic per segment, continuous up
 * to its fourth derivative, as a hand moves: Flash & Hogan 1985), at rest with zero acceleration where
 * it starts and stops. Every point carries velocity and acceleration, so the controller runs exactly
 * these quintics. (A C2 cubic spline through the same keyframes meets a pause with the acceleration
 * it has there, which the pause's zero acceleration then has to undo: about twice the demonstration's
 * acceleration next to pauses.)
 */
export function keyframesToTrajectory(keyframes: readonly Keyframe[], start: number): TrajectoryPoint[] {
  const pts: Array<{ time: number; positions: number[]; hold: boolean }> = [];
  for (const k of keyframes) {
    pts.push({ time: start + k.time, positions: k.positions, hold: k.dwell > 0 });
    if (k.dwell > 0) pts.push({ time: start + k.time + k.dwell, positions: k.positions, hold: true });
  }
  const n = pts.length;
  const J = pts[0]?.positions.length ?? 0;
  const vel = pts.map(() => new Array<number>(J).fill(0));
  const acc = pts.map(() => new Array<number>(J).fill(0));
  // runs between rests (pause points and both ends): a minimum-jerk curve per run and joint
  let a = 0;
  for (let i = 1; i < n; i++) {
    if (!pts[i]!.hold && i < n - 1) continue;
    if (i - a >= 2) {
      const times = pts.slice(a, i + 1).map((p) => p.time);
      for (let j = 0; j < J; j++) {
        const { v, acc: ac } = minimumJerk(times, pts.slice(a, i + 1).map((p) => p.positions[j]!));
        for (let k = 1; k < i - a; k++) (vel[a + k]![j] = v[k]!), (acc[a + k]![j] = ac[k]!);
      }
    }
    a = i;
  }
  return pts.map((p, i) => ({ time: p.time, positions: [...p.positions], velocities: vel[i]!, accelerations: acc[i]! }));
}

/**
 * The minimum-jerk curve through (t, y), at rest (zero speed and acceleration) at both ends: quintic
 * segments whose knot velocities and accelerations minimise the integral of squared jerk. Setting its
 * gradient to zero makes jerk and snap continuous at every inner knot; those equations, per knot in
 * (v, a), form a symmetric positive definite block-tridiagonal system (2x2 blocks), solved by block
 * elimination.
 */
export function minimumJerk(t: readonly number[], y: readonly number[]): { v: number[]; acc: number[] } {
  const n = t.length;
  const v = new Array<number>(n).fill(0);
  const acc = new Array<number>(n).fill(0);
  const m = n - 2; // unknowns: (v, a) at knots 1..n-2
  if (m <= 0) return { v, acc };
  // per knot k: the rows (d/dv, d/da of the squared-jerk integral, halved) over x[k-1], x[k], x[k+1]
  // as 2x2 blocks [vv, va, av, aa], and the right-hand side from the positions
  const L: number[][] = [];
  const D: number[][] = [];
  const U: number[][] = [];
  const r: number[][] = [];
  for (let k = 1; k <= m; k++) {
    const h0 = t[k]! - t[k - 1]!; // the segment before the knot
    const h1 = t[k + 1]! - t[k]!; // and after
    const d0 = y[k]! - y[k - 1]!;
    const d1 = y[k + 1]! - y[k]!;
    // v-row: snap at the start of the next segment minus at the end of the one before; a-row: jerk at
    // the end of the one before minus at the start of the next (spline.ts segmentPolynomial's quintic)
    D.push([192 / h1 ** 3 + 192 / h0 ** 3, 36 / h1 ** 2 - 36 / h0 ** 2, 36 / h1 ** 2 - 36 / h0 ** 2, 9 / h0 + 9 / h1]);
    L.push([168 / h0 ** 3, 24 / h0 ** 2, -24 / h0 ** 2, -3 / h0]);
    U.push([168 / h1 ** 3, -24 / h1 ** 2, 24 / h1 ** 2, -3 / h1]);
    r.push([360 * (d1 / h1 ** 4 + d0 / h0 ** 4), 60 * (d1 / h1 ** 3 - d0 / h0 ** 3)]);
  }
  // forward: eliminate the lower blocks
  for (let k = 1; k < m; k++) {
    const inv = inverse2(D[k - 1]!);
    const w = mul2(L[k]!, inv);
    D[k] = sub2(D[k]!, mul2(w, U[k - 1]!));
    r[k] = [r[k]![0]! - (w[0]! * r[k - 1]![0]! + w[1]! * r[k - 1]![1]!), r[k]![1]! - (w[2]! * r[k - 1]![0]! + w[3]! * r[k - 1]![1]!)];
  }
  // back substitution
  const x: number[][] = new Array(m);
  for (let k = m - 1; k >= 0; k--) {
    let b0 = r[k]![0]!;
    let b1 = r[k]![1]!;
    if (k + 1 < m) {
      const u = U[k]!;
      const nx = x[k + 1]!;
      b0 -= u[0]! * nx[0]! + u[1]! * nx[1]!;
      b1 -= u[2]! * nx[0]! + u[3]! * nx[1]!;
    }
    const inv = inverse2(D[k]!);
    x[k] = [inv[0]! * b0 + inv[1]! * b1, inv[2]! * b0 + inv[3]! * b1];
  }
  for (let k = 0; k < m; k++) (v[k + 1] = x[k]![0]!), (acc[k + 1] = x[k]![1]!);
  return { v, acc };
}

function inverse2(b: readonly number[]): number[] {
  const det = b[0]! * b[3]! - b[1]! * b[2]!;
  return [b[3]! / det, -b[1]! / det, -b[2]! / det, b[0]! / det];
}

function mul2(a: readonly number[], b: readonly number[]): number[] {
  return [a[0]! * b[0]! + a[1]! * b[2]!, a[0]! * b[1]! + a[1]! * b[3]!, a[2]! * b[0]! + a[3]! * b[2]!, a[2]! * b[1]! + a[3]! * b[3]!];
}

function sub2(a: readonly number[], b: readonly number[]): number[] {
  return [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!, a[3]! - b[3]!];
}

/** The fastest any joint must move along a trajectory (straight between points), rad/s, per joint. */
export function peakSpeeds(points: readonly TrajectoryPoint[]): number[] {
  const n = points[0]?.positions.length ?? 0;
  const peak = new Array<number>(n).fill(0);
  for (let i = 1; i < points.length; i++) {
    const dt = points[i]!.time - points[i - 1]!.time;
    if (dt <= 0) continue;
    for (let j = 0; j < n; j++) peak[j] = Math.max(peak[j]!, Math.abs(points[i]!.positions[j]! - points[i - 1]!.positions[j]!) / dt);
  }
  return peak;
}
