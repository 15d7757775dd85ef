import type { TrajectoryPoint } from '../driver.js';

/**
 * The curve a position-controlled arm actually executes between trajectory points, as ros_control's
 * joint_trajectory_controller interpolates it: a cubic (position and velocity at both ends) per
 * segment, or a quintic when accelerations are given too. The safety gate checks this curve, the
 * simulated industrial arm follows it, so what is checked is what moves.
 */
export interface CurveSample {
  positions: number[];
  velocities: number[];
  accelerations: number[];
}

/** A point with velocities (and possibly accelerations) filled in: what is sent to the controller. */
export type FullPoint = TrajectoryPoint & { velocities: number[] };

/**
 * Fills missing velocities the way engram's trajectories mean them: zero at both ends, elsewhere the
 * slope between the neighbouring points (Catmull-Rom). Points that have velocities keep them.
 */
export function completeVelocities(points: readonly TrajectoryPoint[]): FullPoint[] {
  return points.map((p, i) => {
    if (p.velocities && p.velocities.length === p.positions.length) return p as FullPoint;
    const prev = points[i - 1];
    const next = points[i + 1];
    if (!prev || !next || next.time <= prev.time) return { ...p, velocities: p.positions.map(() => 0) };
    const dt = next.time - prev.time;
    return { ...p, velocities: p.positions.map((_, j) => (next.positions[j]! - prev.positions[j]!) / dt) };
  });
}

/**
 * Position coefficients (ascending powers of the time into the segment) of one joint on one segment:
 * a cubic Hermite (position and velocity at both ends), or a quintic with accelerations at both ends too.
 */
function segmentPolynomial(T: number, p0: number, v0: number, a0: number | undefined, p1: number, v1: number, a1: number | undefined): number[] {
  if (a0 !== undefined && a1 !== undefined) {
    const T2 = T * T;
    return [
      p0,
      v0,
      a0 / 2,
      (20 * (p1 - p0) - (8 * v1 + 12 * v0) * T - (3 * a0 - a1) * T2) / (2 * T2 * T),
      (30 * (p0 - p1) + (14 * v1 + 16 * v0) * T + (3 * a0 - 2 * a1) * T2) / (2 * T2 * T2),
      (12 * (p1 - p0) - 6 * (v1 + v0) * T - (a0 - a1) * T2) / (2 * T2 * T2 * T),
    ];
  }
  return [p0, v0, (3 * (p1 - p0) - (2 * v0 + v1) * T) / (T * T), (2 * (p0 - p1) + (v0 + v1) * T) / (T * T * T)];
}

function polyAt(c: readonly number[], s: number): number {
  let y = 0;
  for (let i = c.length - 1; i >= 0; i--) y = y * s + c[i]!;
  return y;
}

function derivative(c: readonly number[]): number[] {
  return c.slice(1).map((ci, i) => ci * (i + 1));
}

/** One joint on one segment: position, velocity and acceleration at time t (t0 <= t <= t1). */
function evalSegment(
  t: number,
  t0: number,
  t1: number,
  p0: number,
  v0: number,
  a0: number | undefined,
  p1: number,
  v1: number,
  a1: number | undefined,
): [number, number, number] {
  const T = t1 - t0;
  if (T <= 0) return [p1, v1, a1 ?? 0];
  const s = Math.min(T, Math.max(0, t - t0));
  const cp = segmentPolynomial(T, p0, v0, a0, p1, v1, a1);
  const cv = derivative(cp);
  return [polyAt(cp, s), polyAt(cv, s), polyAt(derivative(cv), s)];
}

/**
 * The executed curve at time t. Before the first point the arm holds `from` (or the first point);
 * between `from` and the first point the controller interpolates from where the arm is.
 */
export function sampleCurve(points: readonly FullPoint[], t: number, from?: FullPoint): CurveSample {
  const all = from ? [from, ...points] : points;
  const n = all[0]!.positions.length;
  const out: CurveSample = { positions: new Array(n), velocities: new Array(n), accelerations: new Array(n) };
  let k = 0;
  while (k < all.length - 1 && all[k + 1]!.time < t) k++;
  const a = all[k]!;
  const b = all[Math.min(k + 1, all.length - 1)]!;
  for (let j = 0; j < n; j++) {
    if (t <= a.time || a === b) {
      out.positions[j] = (t <= a.time ? a : b).positions[j]!;
      out.velocities[j] = 0;
      out.accelerations[j] = 0;
      continue;
    }
    const [p, v, acc] = evalSegment(t, a.time, b.time, a.positions[j]!, a.velocities[j]!, a.accelerations?.[j], b.positions[j]!, b.velocities[j]!, b.accelerations?.[j]);
    out.positions[j] = p;
    out.velocities[j] = v;
    out.accelerations[j] = acc;
  }
  return out;
}

/** The worst a joint does along the curve: extreme positions, peak speed and acceleration, and when. */
export interface JointPeaks {
  minPosition: number;
  maxPosition: number;
  maxSpeed: number;
  maxSpeedAt: number;
  maxAccel: number;
  maxAccelAt: number;
}

/**
 * Where a polynomial crosses zero inside (lo, hi): exactly up to degree 2; above that between the
 * roots of its derivative, where it is monotone, by bisection. No extremum can hide between samples.
 */
function rootsIn(c: readonly number[], lo: number, hi: number): number[] {
  let deg = c.length - 1;
  while (deg > 0 && c[deg] === 0) deg--;
  const inside = (s: number) => s > lo && s < hi;
  if (deg <= 0) return [];
  if (deg === 1) return [-c[0]! / c[1]!].filter(inside);
  if (deg === 2) {
    const [k0, k1, k2] = [c[0]!, c[1]!, c[2]!];
    const disc = k1 * k1 - 4 * k2 * k0;
    if (disc < 0) return [];
    // the numerically stable pair of roots
    const q = -0.5 * (k1 + Math.sign(k1 || 1) * Math.sqrt(disc));
    return [q / k2, q !== 0 ? k0 / q : 0].filter(inside);
  }
  const breaks = [lo, ...rootsIn(derivative(c.slice(0, deg + 1)), lo, hi).sort((x, y) => x - y), hi];
  const roots: number[] = [];
  for (let i = 0; i + 1 < breaks.length; i++) {
    let a = breaks[i]!;
    let b = breaks[i + 1]!;
    let fa = polyAt(c, a);
    const fb = polyAt(c, b);
    if (fa === 0 || fa * fb > 0) continue;
    for (let it = 0; it < 60 && b - a > 1e-15 * Math.max(1, Math.abs(b)); it++) {
      const m = (a + b) / 2;
      const fm = polyAt(c, m);
      if (fm * fa > 0) (a = m), (fa = fm);
      else b = m;
    }
    roots.push((a + b) / 2);
  }
  return roots.filter(inside);
}

/**
 * Peaks of every joint along the executed curve (from `from`, where the arm is, through every point),
 * found exactly: on each segment the position is checked where the velocity crosses zero, the speed
 * where the acceleration does, the acceleration where the jerk does, and every segment's ends.
 */
export function curvePeaks(points: readonly FullPoint[], from?: FullPoint): JointPeaks[] {
  const all = from ? [from, ...points] : [...points];
  const n = all[0]?.positions.length ?? 0;
  const peaks: JointPeaks[] = Array.from({ length: n }, (_, j) => ({
    minPosition: all[0]!.positions[j]!,
    maxPosition: all[0]!.positions[j]!,
    maxSpeed: Math.abs(all[0]!.velocities[j]!),
    maxSpeedAt: all[0]!.time,
    maxAccel: 0,
    maxAccelAt: all[0]!.time,
  }));
  for (let k = 0; k + 1 < all.length; k++) {
    const a = all[k]!;
    const b = all[k + 1]!;
    const T = b.time - a.time;
    if (T <= 0) continue;
    for (let j = 0; j < n; j++) {
      const pk = peaks[j]!;
      const cp = segmentPolynomial(T, a.positions[j]!, a.velocities[j]!, a.accelerations?.[j], b.positions[j]!, b.velocities[j]!, b.accelerations?.[j]);
      const cv = derivative(cp);
      const ca = derivative(cv);
      for (const s of [0, T, ...rootsIn(cv, 0, T)]) {
        const p = polyAt(cp, s);
        if (p < pk.minPosition) pk.minPosition = p;
        if (p > pk.maxPosition) pk.maxPosition = p;
      }
      for (const s of [0, T, ...rootsIn(ca, 0, T)]) {
        const v = Math.abs(polyAt(cv, s));
        if (v > pk.maxSpeed) (pk.maxSpeed = v), (pk.maxSpeedAt = a.time + s);
      }
      for (const s of [0, T, ...rootsIn(derivative(ca), 0, T)]) {
        const acc = Math.abs(polyAt(ca, s));
        if (acc > pk.maxAccel) (pk.maxAccel = acc), (pk.maxAccelAt = a.time + s);
      }
    }
  }
  return peaks;
}

/** The same trajectory at another speed: times from `t0` stretched by 1/factor, velocities scaled by it. */
export function retime<P extends TrajectoryPoint>(points: readonly P[], factor: number, t0 = points[0]?.time ?? 0): P[] {
  return points.map((p) => ({
    ...p,
    time: t0 + (p.time - t0) / factor,
    ...(p.velocities ? { velocities: p.velocities.map((v) => v * factor) } : {}),
    ...(p.accelerations ? { accelerations: p.accelerations.map((a) => a * factor * factor) } : {}),
  }));
}
