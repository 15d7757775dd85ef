import type { PianoArm } from './description.js';

/**
 * Kinematics of the planar 3-link piano arm. Joint angles are relative (q[0] from +x, q[1] from link 1, q[2]
 * from link 2); the hand hangs from the end of link 3. With the hand kept vertical (fingers down), the
 * wrist link points straight down, so the wrist joint sits `links[2].length` above the hand.
 */
export interface Point {
  x: number;
  y: number;
}

/** Positions of the elbow, wrist and hand (end of link 3) for joint angles q. */
export function forward(robot: PianoArm, q: readonly number[]): Point[] {
  const pts: Point[] = [];
  let x = robot.piano.base.x;
  let y = robot.piano.base.y;
  let a = 0;
  for (let i = 0; i < 3; i++) {
    a += q[i]!;
    x += Math.cos(a) * robot.piano.links[i]!.length;
    y += Math.sin(a) * robot.piano.links[i]!.length;
    pts.push({ x, y });
  }
  return pts;
}

/**
 * Joint angles that put the hand at (x, y) with the wrist link pointing down, on the robot's elbow
 * side ('cw': the forearm bends clockwise from the upper arm, the elbow-up pose for reaching right;
 * 'ccw' for reaching left); null when the point is out of reach or a joint limit forbids it.
 */
export function inverse(robot: PianoArm, x: number, y: number): number[] | null {
  const [l1, l2, l3] = robot.piano.links.map((l) => l.length) as [number, number, number];
  const wx = x - robot.piano.base.x;
  const wy = y + l3 - robot.piano.base.y;
  const d2 = wx * wx + wy * wy;
  const c2 = (d2 - l1 * l1 - l2 * l2) / (2 * l1 * l2);
  if (c2 < -1 || c2 > 1) return null;
  const s2 = (robot.piano.elbow === 'ccw' ? 1 : -1) * Math.sqrt(1 - c2 * c2);
  const q2 = Math.atan2(s2, c2);
  const q1 = Math.atan2(wy, wx) - Math.atan2(l2 * s2, l1 + l2 * c2);
  const q3 = -Math.PI / 2 - q1 - q2;
  const q = [wrap(q1), wrap(q2), wrap(q3)];
  for (let i = 0; i < 3; i++) {
    const j = robot.joints[i]!;
    if (q[i]! < j.min || q[i]! > j.max) return null;
  }
  return q;
}

function wrap(a: number): number {
  while (a > Math.PI) a -= 2 * Math.PI;
  while (a < -Math.PI) a += 2 * Math.PI;
  return a;
}
