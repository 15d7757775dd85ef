import type { TrajectoryPoint } from '../driver.js';
import type { Keyframe } from '../../src/skills/keyframes.js';

/**
 * Keyframes back to a timed joint trajectory starting at `start` (driver clock, s): a point where each
 * keyframe is reached and, for a pause, another where it is left. Between pauses the arm passes
 * through the keyframes on a C2 cubic spline (the least-acceleration curve through them, at rest where
 * it starts and stops); every point carries velocity and acceleration, so the controller runs a
 * quintic per segment: position, speed and acceleration continuous (bounded jerk), and at pauses and
 * both ends the arm is at rest with zero acceleration.
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
  // runs between rests (pause points and both ends): a clamped spline per run and joint
  let a = 0;
  for (let i = 1; i < n; i++) {
    if (!pts[i]!.hold && i < n - 1) continue;
    if (i - a >= 2) {
      const times = pts.slice(a, i + 1).map((p) => p.time);
      for (let j = 0; j < J; j++) {
        const { v, acc: ac } = clampedSpline(times, pts.slice(a, i + 1).map((p) => p.positions[j]!));
        for (let k = 1; k < i - a; k++) (vel[a + k]![j] = v[k]!), (acc[a + k]![j] = ac[k]!);
      }
    }
    a = i;
  }
  return pts.map((p, i) => ({ time: p.time, positions: [...p.positions], velocities: vel[i]!, accelerations: acc[i]! }));
}

/**
 * A cubic spline through (t, y) with zero slope at both ends and continuous acceleration: knot
 * velocities by the tridiagonal system (Thomas algorithm), knot accelerations from the segments.
 */
function clampedSpline(t: readonly number[], y: readonly number[]): { v: number[]; acc: number[] } {
  const n = t.length;
  const h = t.slice(1).map((x, i) => x - t[i]!);
  const v = new Array<number>(n).fill(0);
  const m = n - 2; // unknowns: v[1..n-2]
  if (m > 0) {
    const lower = new Array<number>(m).fill(0);
    const diag = new Array<number>(m).fill(0);
    const upper = new Array<number>(m).fill(0);
    const rhs = new Array<number>(m).fill(0);
    for (let k = 0; k < m; k++) {
      const i = k + 1;
      const h0 = h[i - 1]!;
      const h1 = h[i]!;
      lower[k] = h1;
      diag[k] = 2 * (h0 + h1);
      upper[k] = h0;
      rhs[k] = 3 * ((h1 * (y[i]! - y[i - 1]!)) / h0 + (h0 * (y[i + 1]! - y[i]!)) / h1);
    }
    for (let k = 1; k < m; k++) {
      const w = lower[k]! / diag[k - 1]!;
      diag[k] = diag[k]! - w * upper[k - 1]!;
      rhs[k] = rhs[k]! - w * rhs[k - 1]!;
    }
    v[m] = rhs[m - 1]! / diag[m - 1]!;
    for (let k = m - 2; k >= 0; k--) v[k + 1] = (rhs[k]! - upper[k]! * v[k + 2]!) / diag[k]!;
  }
  // the acceleration at the start of each segment (equal to the end of the one before: C2)
  const acc = new Array<number>(n).fill(0);
  for (let i = 1; i < n - 1; i++) acc[i] = (6 * (y[i + 1]! - y[i]!)) / (h[i]! * h[i]!) - (4 * v[i]! + 2 * v[i + 1]!) / h[i]!;
  return { v, acc };
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
