import type { RobotDescription } from '../description.js';
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

/** Scratch coefficient arrays (ascending powers): the hot loops allocate nothing. */
const _p = new Float64Array(6);
const _v = new Float64Array(5);
const _a = new Float64Array(4);
const _j = new Float64Array(3);
const _roots = new Float64Array(8);
const _levels = [0, 1, 2].map(() => ({ d: new Float64Array(6), r: new Float64Array(8) }));

/**
 * Position coefficients of one joint on one segment into `out`: a cubic Hermite (position and velocity
 * at both ends), or a quintic with accelerations at both ends too. Returns the degree.
 */
function segmentPolynomial(out: Float64Array, T: number, p0: number, v0: number, a0: number | undefined, p1: number, v1: number, a1: number | undefined): number {
  out[0] = p0;
  out[1] = v0;
  if (a0 !== undefined && a1 !== undefined) {
    const T2 = T * T;
    out[2] = a0 / 2;
    out[3] = (20 * (p1 - p0) - (8 * v1 + 12 * v0) * T - (3 * a0 - a1) * T2) / (2 * T2 * T);
    out[4] = (30 * (p0 - p1) + (14 * v1 + 16 * v0) * T + (3 * a0 - 2 * a1) * T2) / (2 * T2 * T2);
    out[5] = (12 * (p1 - p0) - 6 * (v1 + v0) * T - (a0 - a1) * T2) / (2 * T2 * T2 * T);
    return 5;
  }
  out[2] = (3 * (p1 - p0) - (2 * v0 + v1) * T) / (T * T);
  out[3] = (2 * (p0 - p1) + (v0 + v1) * T) / (T * T * T);
  return 3;
}

function polyAt(c: Float64Array, deg: number, s: number): number {
  let y = 0;
  for (let i = deg; i >= 0; i--) y = y * s + c[i]!;
  return y;
}

/** The derivative's coefficients into `out`; returns its degree. */
function derive(c: Float64Array, deg: number, out: Float64Array): number {
  for (let i = 0; i < deg; i++) out[i] = c[i + 1]! * (i + 1);
  return Math.max(0, deg - 1);
}

/**
 * Where a polynomial changes sign inside (lo, hi), ascending, into `out`; returns how many. Exact up
 * to degree 2; above that by bisection between the roots of its derivative, where it is monotone, so
 * no root can hide between samples. (A root where the sign does not change is no extremum of the
 * polynomial's integral, so it is not wanted.)
 */
function rootsIn(c: Float64Array, degree: number, lo: number, hi: number, out: Float64Array, level = 0): number {
  let deg = degree;
  while (deg > 0 && c[deg] === 0) deg--;
  let n = 0;
  if (deg === 0) return 0;
  if (deg === 1) {
    const r = -c[0]! / c[1]!;
    if (r > lo && r < hi) out[n++] = r;
    return n;
  }
  if (deg === 2) {
    const k0 = c[0]!;
    const k1 = c[1]!;
    const k2 = c[2]!;
    const disc = k1 * k1 - 4 * k2 * k0;
    if (disc <= 0) return 0;
    // the numerically stable pair
    const q = -0.5 * (k1 + (k1 < 0 ? -1 : 1) * Math.sqrt(disc));
    const r1 = q / k2;
    const r2 = q !== 0 ? k0 / q : r1;
    const first = Math.min(r1, r2);
    const second = Math.max(r1, r2);
    if (first > lo && first < hi) out[n++] = first;
    if (second !== first && second > lo && second < hi) out[n++] = second;
    return n;
  }
  const L = _levels[level]!;
  const m = rootsIn(L.d, derive(c, deg, L.d), lo, hi, L.r, level + 1);
  let a = lo;
  let fa = polyAt(c, deg, a);
  for (let i = 0; i <= m; i++) {
    const b = i < m ? L.r[i]! : hi;
    const fb = polyAt(c, deg, b);
    if ((fa < 0 && fb > 0) || (fa > 0 && fb < 0)) {
      // monotone on [a, b]: Newton's steps (the derivative is at hand), bisection when one leaves the bracket
      let x0 = a;
      let x1 = b;
      const f0neg = fa < 0;
      let x = 0.5 * (a + b);
      for (let it = 0; it < 60; it++) {
        const fx = polyAt(c, deg, x);
        if (fx === 0) {
          x0 = x1 = x;
          break;
        }
        if (fx < 0 === f0neg) x0 = x;
        else x1 = x;
        const df = polyAt(L.d, deg - 1, x);
        let next = df !== 0 ? x - fx / df : NaN;
        if (!(next > x0 && next < x1)) next = 0.5 * (x0 + x1);
        const step = Math.abs(next - x);
        x = next;
        if (step <= 1e-13 * (hi - lo) || x1 - x0 <= 1e-13 * (hi - lo)) {
          x0 = x1 = x;
          break;
        }
      }
      const r = 0.5 * (x0 + x1);
      if (r > lo && r < hi) out[n++] = r;
    }
    a = b;
    fa = fb;
  }
  return n;
}

/** Scratch for sampleCurve: no allocation per sample. */
const _seg = new Float64Array(3);

/** One joint on one segment at time t (t0 <= t <= t1): writes position, velocity and acceleration into out[0..2]. */
function evalSegmentInto(
  out: Float64Array,
  t: number,
  t0: number,
  t1: number,
  p0: number,
  v0: number,
  a0: number | undefined,
  p1: number,
  v1: number,
  a1: number | undefined,
): void {
  const T = t1 - t0;
  if (T <= 0) {
    out[0] = p1;
    out[1] = v1;
    out[2] = a1 ?? 0;
    return;
  }
  const s = Math.min(T, Math.max(0, t - t0));
  const deg = segmentPolynomial(_p, T, p0, v0, a0, p1, v1, a1);
  const dv = derive(_p, deg, _v);
  const da = derive(_v, dv, _a);
  out[0] = polyAt(_p, deg, s);
  out[1] = polyAt(_v, dv, s);
  out[2] = polyAt(_a, da, s);
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
    evalSegmentInto(_seg, t, a.time, b.time, a.positions[j]!, a.velocities[j]!, a.accelerations?.[j], b.positions[j]!, b.velocities[j]!, b.accelerations?.[j]);
    out.positions[j] = _seg[0]!;
    out.velocities[j] = _seg[1]!;
    out.accelerations[j] = _seg[2]!;
  }
  return out;
}

/**
 * sampleCurve without allocating, for a controller's loop: the curve through `all` (its first point is
 * where the arm started, as `from` above) at time t, written into the three arrays. `segment` is where
 * to start looking (time moves forward in a control loop); the segment found is returned for the next call.
 */
export function sampleCurveInto(all: readonly FullPoint[], t: number, positions: Float64Array, velocities: Float64Array, accelerations: Float64Array, segment = 0): number {
  let k = Math.max(0, Math.min(segment, all.length - 1));
  while (k > 0 && all[k]!.time >= t) k--;
  while (k < all.length - 1 && all[k + 1]!.time < t) k++;
  const a = all[k]!;
  const b = all[Math.min(k + 1, all.length - 1)]!;
  const n = a.positions.length;
  for (let j = 0; j < n; j++) {
    if (t <= a.time || a === b) {
      positions[j] = (t <= a.time ? a : b).positions[j]!;
      velocities[j] = 0;
      accelerations[j] = 0;
      continue;
    }
    evalSegmentInto(_seg, t, a.time, b.time, a.positions[j]!, a.velocities[j]!, a.accelerations?.[j], b.positions[j]!, b.velocities[j]!, b.accelerations?.[j]);
    positions[j] = _seg[0]!;
    velocities[j] = _seg[1]!;
    accelerations[j] = _seg[2]!;
  }
  return k;
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
      const deg = segmentPolynomial(_p, T, a.positions[j]!, a.velocities[j]!, a.accelerations?.[j], b.positions[j]!, b.velocities[j]!, b.accelerations?.[j]);
      const dv = derive(_p, deg, _v);
      const da = derive(_v, dv, _a);
      const dj = derive(_a, da, _j);
      // positions where the velocity crosses zero, speeds where the acceleration does, accelerations where the jerk does
      const np = rootsIn(_v, dv, 0, T, _roots);
      for (let i = -2; i < np; i++) {
        const s = i === -2 ? 0 : i === -1 ? T : _roots[i]!;
        const p = polyAt(_p, deg, s);
        if (p < pk.minPosition) pk.minPosition = p;
        if (p > pk.maxPosition) pk.maxPosition = p;
      }
      const nv = rootsIn(_a, da, 0, T, _roots);
      for (let i = -2; i < nv; i++) {
        const s = i === -2 ? 0 : i === -1 ? T : _roots[i]!;
        const v = Math.abs(polyAt(_v, dv, s));
        if (v > pk.maxSpeed) (pk.maxSpeed = v), (pk.maxSpeedAt = a.time + s);
      }
      const na = rootsIn(_j, dj, 0, T, _roots);
      for (let i = -2; i < na; i++) {
        const s = i === -2 ? 0 : i === -1 ? T : _roots[i]!;
        const acc = Math.abs(polyAt(_a, da, s));
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

/**
 * Shortest time for a synchronised joint move from rest at qa to rest at qb as a trajectory controller
 * executes it: one cubic segment, whose speed peaks at 1.5 times the average and whose acceleration
 * is 6 d / T^2 at both ends (a trapezoidal profile's time would break the limits by up to 1.5 times).
 * The slowest joint sets the time.
 */
export function moveTime(robot: RobotDescription, qa: readonly number[], qb: readonly number[]): number {
  let t = 0;
  for (let i = 0; i < robot.joints.length; i++) {
    const d = Math.abs(qb[i]! - qa[i]!);
    const { maxSpeed: v, maxAccel: a } = robot.joints[i]!;
    t = Math.max(t, (1.5 * d) / v, Math.sqrt((6 * d) / a));
  }
  return t;
}
