import type { TrajectoryPoint } from '../driver.js';
import type { Keyframe } from '../../src/skills/keyframes.js';

/**
 * Keyframes back to a timed joint trajectory starting at `start` (driver clock, s): a point where each
 * keyframe is reached and, for a pause, another where it is left. Velocities are zero at pauses and at
 * both ends, and elsewhere the slope between the neighbouring keyframes (a Catmull-Rom spline through
 * the poses), so the arm passes through without stopping.
 */
export function keyframesToTrajectory(keyframes: readonly Keyframe[], start: number): TrajectoryPoint[] {
  const pts: Array<{ time: number; positions: number[]; hold: boolean }> = [];
  for (const k of keyframes) {
    pts.push({ time: start + k.time, positions: k.positions, hold: k.dwell > 0 });
    if (k.dwell > 0) pts.push({ time: start + k.time + k.dwell, positions: k.positions, hold: true });
  }
  return pts.map((p, i) => {
    const prev = pts[i - 1];
    const next = pts[i + 1];
    const zero = p.positions.map(() => 0);
    if (p.hold || !prev || !next) return { time: p.time, positions: [...p.positions], velocities: zero };
    const dt = next.time - prev.time;
    return { time: p.time, positions: [...p.positions], velocities: p.positions.map((_, j) => (next.positions[j]! - prev.positions[j]!) / dt) };
  });
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
