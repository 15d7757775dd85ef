import { pianoArm } from '../description.js';
import type { RobotDriver, TrajectoryPoint } from '../driver.js';
import { inverse } from '../planar.js';
import { movePoint, type ArmPlan } from './planner.js';

/** Spacing of trajectory points along a hand move, s. */
const SAMPLE = 0.01;

/**
 * Sends a plan to a robot through the driver interface, the same for a simulated or a real arm: each
 * hand move as a joint trajectory (the lifted straight path sampled every 10 ms, inverse kinematics,
 * velocities the path's own, at rest at both ends), each stroke as a press and a release.
 * `t0` is the driver-clock time of the plan's zero.
 */
export function executePlan(driver: RobotDriver, plan: ArmPlan, t0 = 0): void {
  const robot = pianoArm(driver.description);
  for (const m of plan.moves) {
    const n = Math.max(2, Math.ceil(m.duration / SAMPLE));
    const at = (k: number) => {
      const p = movePoint(m, k / n);
      return inverse(robot, p.x, p.y) ?? (k < n / 2 ? m.fromQ : m.toQ);
    };
    const qs = Array.from({ length: n + 1 }, (_, k) => at(k));
    const h = m.duration / n;
    // the path's own velocity at each sample (a small central difference): differences across whole
    // samples would make the controller's cubic overshoot the path's acceleration where the move starts
    const d = 1e-3;
    const points: TrajectoryPoint[] = qs.map((q, k) => {
      if (k === 0 || k === n) return { time: t0 + m.start + k * h, positions: q, velocities: [0, 0, 0] };
      const a = at(k - d);
      const b = at(k + d);
      return { time: t0 + m.start + k * h, positions: q, velocities: q.map((_, j) => (b[j]! - a[j]!) / (2 * d * h)) };
    });
    driver.follow(points);
  }
  for (const s of plan.strikes) {
    driver.press(s.finger, s.extension, t0 + s.down);
    driver.release(s.finger, t0 + s.up);
  }
}
