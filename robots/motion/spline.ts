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

/** Scratch for evalSegment: no allocation per sample. */
const _seg = new Float64Array(3);

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
  evalSegmentInto(_seg, t, t0, t1, p0, v0, a0, p1, v1, a1);
  return [_seg[0]!, _seg[1]!, _seg[2]!];
}


/** evalSegment without allocating: writes position, velocity and acceleration into out[0..2]. */
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
  if (a0 !== undefined && a1 !== undefined) {
    // quintic with position, velocity and acceleration at both ends
    const T2 = T * T;
    const T3 = T2 * T;
    const T4 = T3 * T;
    const T5 = T4 * T;
    const c0 = p0;
    const c1 = v0;
    const c2 = a0 / 2;
    const c3 = (20 * (p1 - p0) - (8 * v1 + 12 * v0) * T - (3 * a0 - a1) * T2) / (2 * T3);
    const c4 = (30 * (p0 - p1) + (14 * v1 + 16 * v0) * T + (3 * a0 - 2 * a1) * T2) / (2 * T4);
    const c5 = (12 * (p1 - p0) - 6 * (v1 + v0) * T - (a0 - a1) * T2) / (2 * T5);
    out[0] = c0 + s * (c1 + s * (c2 + s * (c3 + s * (c4 + s * c5))));
    out[1] = c1 + s * (2 * c2 + s * (3 * c3 + s * (4 * c4 + s * 5 * c5)));
    out[2] = 2 * c2 + s * (6 * c3 + s * (12 * c4 + s * 20 * c5));
    return;
  }
  // cubic Hermite
  const c2 = (3 * (p1 - p0) - (2 * v0 + v1) * T) / (T * T);
  const c3 = (2 * (p0 - p1) + (v0 + v1) * T) / (T * T * T);
  out[0] = p0 + s * (v0 + s * (c2 + s * c3));
  out[1] = v0 + s * (2 * c2 + s * 3 * c3);
  out[2] = 2 * c2 + 6 * c3 * s;
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
 * Peaks of every joint along the executed curve (from `from`, where the arm is, through every point).
 * Each segment is sampled `perSegment` times plus its ends: the cubic's speed is a parabola and its
 * acceleration a line, so the ends and the speed's vertex (added exactly) bound them.
 */
export function curvePeaks(points: readonly FullPoint[], from?: FullPoint, perSegment = 32): JointPeaks[] {
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
    const quintic = a.accelerations !== undefined && b.accelerations !== undefined;
    for (let j = 0; j < n; j++) {
      const pk = peaks[j]!;
      const at = (t: number) => {
        const [p, v, acc] = evalSegment(t, a.time, b.time, a.positions[j]!, a.velocities[j]!, a.accelerations?.[j], b.positions[j]!, b.velocities[j]!, b.accelerations?.[j]);
        if (p < pk.minPosition) pk.minPosition = p;
        if (p > pk.maxPosition) pk.maxPosition = p;
        if (Math.abs(v) > pk.maxSpeed) (pk.maxSpeed = Math.abs(v)), (pk.maxSpeedAt = t);
        if (Math.abs(acc) > pk.maxAccel) (pk.maxAccel = Math.abs(acc)), (pk.maxAccelAt = t);
      };
      for (let i = 0; i <= perSegment; i++) at(a.time + (T * i) / perSegment);
      if (!quintic) {
        // the cubic's speed peaks where its acceleration crosses zero
        const p0 = a.positions[j]!;
        const p1 = b.positions[j]!;
        const v0 = a.velocities[j]!;
        const v1 = b.velocities[j]!;
        const c2 = (3 * (p1 - p0) - (2 * v0 + v1) * T) / (T * T);
        const c3 = (2 * (p0 - p1) + (v0 + v1) * T) / (T * T * T);
        if (c3 !== 0) {
          const s = -c2 / (3 * c3);
          if (s > 0 && s < T) at(a.time + s);
        }
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
