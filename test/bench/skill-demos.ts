/**
 * Seeded demonstrations for the skills bench: per arm, skills of 5-30 waypoints (some held as pauses,
 * the others passed through), moved along quintic segments well inside the arm's limits, sampled at
 * 50 Hz with gaussian sensor noise. Skills come in groups of three that share an opening (the same
 * first waypoints at the same times: a group is slowed into the limits as one). Each demonstration keeps its noiseless motion as a function, so
 * errors are measured against what the arm really did, not against the noisy samples.
 */
import type { RobotDescription } from '../../robots/description.js';
import type { DemoSample } from '../../src/skills/demonstration.js';
import { Rng } from '../../src/snn/rng.js';

export interface Waypoint {
  time: number;
  positions: number[];
  /** Held this long (s) after `time`; 0: passed through. */
  dwell: number;
}

export interface SkillDemo {
  name: string;
  waypoints: Waypoint[];
  /** Seconds from start to end. */
  length: number;
  /** True pauses, [start, end] s. */
  pauses: Array<[number, number]>;
  /** The noiseless joint positions at time t. */
  at(t: number): number[];
  /** Index of the group whose opening it shares, and how many waypoints that opening has. */
  group: number;
  opening: number;
}

/** Standard normal, by Box-Muller. */
export function gaussian(rng: Rng): number {
  const u = Math.max(1e-12, rng.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Quintic Hermite on one segment: position at s in [0, T] from positions and velocities at both ends (accelerations 0). */
function quintic(s: number, T: number, p0: number, v0: number, p1: number, v1: number): number {
  const T2 = T * T;
  const c3 = (20 * (p1 - p0) - (8 * v1 + 12 * v0) * T) / (2 * T2 * T);
  const c4 = (30 * (p0 - p1) + (14 * v1 + 16 * v0) * T) / (2 * T2 * T2);
  const c5 = (12 * (p1 - p0) - 6 * (v1 + v0) * T) / (2 * T2 * T2 * T);
  return p0 + s * (v0 + s * s * (c3 + s * (c4 + s * c5)));
}

/** The motion through the waypoints: held at pauses, quintic segments between (via velocities by Catmull-Rom, at 0.8). */
function motion(wps: readonly Waypoint[]): (t: number) => number[] {
  const knots: Array<{ t: number; q: number[]; v: number[] }> = [];
  wps.forEach((w, i) => {
    const zero = w.positions.map(() => 0);
    if (w.dwell > 0 || i === 0 || i === wps.length - 1) {
      knots.push({ t: w.time, q: w.positions, v: zero });
      if (w.dwell > 0) knots.push({ t: w.time + w.dwell, q: w.positions, v: zero });
    } else {
      const a = wps[i - 1]!;
      const b = wps[i + 1]!;
      const ta = a.time + a.dwell;
      knots.push({ t: w.time, q: w.positions, v: w.positions.map((_, j) => (0.8 * (b.positions[j]! - a.positions[j]!)) / (b.time - ta)) });
    }
  });
  return (t: number) => {
    if (t <= knots[0]!.t) return [...knots[0]!.q];
    let k = 0;
    while (k < knots.length - 2 && knots[k + 1]!.t < t) k++;
    const a = knots[k]!;
    const b = knots[k + 1]!;
    if (t >= b.t) return [...b.q];
    return a.q.map((p0, j) => quintic(t - a.t, b.t - a.t, p0, a.v[j]!, b.q[j]!, b.v[j]!));
  };
}

/** Largest speed and acceleration of a motion over each joint's limit (finite differences on 2 ms), as shares of the limit. */
export function peakRatio(at: (t: number) => number[], length: number, robot: RobotDescription): { speed: number; accel: number } {
  let speed = 0;
  let accel = 0;
  const dt = 0.002;
  let q0 = at(0);
  let q1 = at(dt);
  for (let t = 2 * dt; t <= length; t += dt) {
    const q2 = at(t);
    robot.joints.forEach((jt, j) => {
      speed = Math.max(speed, Math.abs(q2[j]! - q1[j]!) / dt / jt.maxSpeed);
      accel = Math.max(accel, Math.abs(q2[j]! - 2 * q1[j]! + q0[j]!) / (dt * dt) / jt.maxAccel);
    });
    q0 = q1;
    q1 = q2;
  }
  return { speed, accel };
}

/**
 * `count` skills for `robot` (groups of three share an opening of 2-4 waypoints). Demonstrations move
 * at up to `speedShare` of each joint's speed limit and `accelShare` of its acceleration limit at 1x.
 */
export function skillDemos(robot: RobotDescription, seed: number, count = 24, options: { speedShare?: number; accelShare?: number } = {}): SkillDemo[] {
  const rng = new Rng(seed);
  const speedShare = options.speedShare ?? 0.4;
  const accelShare = options.accelShare ?? 0.2;
  const J = robot.joints;
  const centre = J.map((j) => (j.min + j.max) / 2);
  const half = J.map((j) => (j.max - j.min) / 2);
  const clampQ = (q: number[]) => q.map((x, j) => Math.min(centre[j]! + 0.7 * half[j]!, Math.max(centre[j]! - 0.7 * half[j]!, x)));
  const randomPose = () => clampQ(J.map((_, j) => centre[j]! + (rng.next() * 2 - 1) * 0.5 * half[j]!));
  const step = (q: number[]) => clampQ(q.map((x, j) => x + (rng.next() * 2 - 1) * Math.min(0.8, 0.25 * half[j]!)));
  /** Seconds for a move of `d` rad per joint, inside the shares of the limits (quintic rest-to-rest peaks). */
  const moveTime = (a: number[], b: number[]) =>
    Math.max(0.4, ...J.map((jt, j) => {
      const d = Math.abs(b[j]! - a[j]!);
      return Math.max((1.875 * d) / (speedShare * jt.maxSpeed), Math.sqrt((5.78 * d) / (accelShare * jt.maxAccel)));
    }));
  const out: SkillDemo[] = [];
  /** The group's skills drawn so far, before their stretch. */
  const drafts: Array<{ wps: Waypoint[]; group: number; shared: number }> = [];
  let opening: Waypoint[] = [];
  for (let s = 0; s < count; s++) {
    const group = Math.floor(s / 3);
    const waypoints = 5 + rng.int(26);
    let wps: Waypoint[];
    let shared: number;
    if (s % 3 === 0) {
      // a new group: its opening
      shared = 2 + rng.int(3);
      opening = [{ time: 0, positions: randomPose(), dwell: 0.5 }];
      while (opening.length < shared) {
        const prev = opening[opening.length - 1]!;
        const q = step(prev.positions);
        opening.push({ time: prev.time + prev.dwell + moveTime(prev.positions, q), positions: q, dwell: rng.next() < 0.4 ? 0.3 + 0.7 * rng.next() : 0 });
      }
    }
    shared = opening.length;
    wps = opening.map((w) => ({ ...w, positions: [...w.positions] }));
    while (wps.length < Math.max(waypoints, shared + 2)) {
      const prev = wps[wps.length - 1]!;
      const q = step(prev.positions);
      wps.push({ time: prev.time + prev.dwell + moveTime(prev.positions, q), positions: q, dwell: rng.next() < 0.4 ? 0.3 + 0.7 * rng.next() : 0 });
    }
    wps[wps.length - 1]!.dwell = 0.5;
    drafts.push({ wps, group, shared });
    // via velocities can push the peaks past a quintic rest-to-rest move's: stretch the group's skills
    // alike until all are inside (alike, so they still share their opening at the same times)
    if (s % 3 === 2 || s === count - 1) {
      const stretch = Math.max(1, ...drafts.map((d) => {
        const peak = peakRatio(motion(d.wps), d.wps[d.wps.length - 1]!.time + 0.5, robot);
        return Math.max(peak.speed / speedShare, Math.sqrt(peak.accel / accelShare));
      }));
      for (const d of drafts) {
        const w = stretch > 1 ? d.wps.map((x) => ({ ...x, time: x.time * stretch * 1.01 })) : d.wps;
        const pauses = w.filter((x) => x.dwell > 0).map((x) => [x.time, x.time + x.dwell] as [number, number]);
        out.push({ name: `${robot.name} skill ${String(out.length + 1).padStart(2, '0')}`, waypoints: w, length: w[w.length - 1]!.time + 0.5, pauses, at: motion(w), group: d.group, opening: d.shared });
      }
      drafts.length = 0;
    }
  }
  return out;
}

/** The demonstration as a sensor records it: every 1/rate s, each joint with gaussian noise of `noise` rad, inside the joint's range. */
export function recordDemo(demo: SkillDemo, robot: RobotDescription, seed: number, options: { rate?: number; noise?: number; until?: number } = {}): DemoSample[] {
  const rng = new Rng(seed);
  const rate = options.rate ?? 50;
  const noise = options.noise ?? 0.002;
  const until = Math.min(demo.length, options.until ?? demo.length);
  const out: DemoSample[] = [];
  for (let k = 0; k / rate <= until + 1e-9; k++) {
    const t = k / rate;
    out.push({ time: t, positions: demo.at(t).map((q, j) => Math.min(robot.joints[j]!.max, Math.max(robot.joints[j]!.min, q + noise * gaussian(rng)))) });
  }
  return out;
}

/** When a skill's motion first differs (by more than `by` rad on some joint) from every other skill's, s. */
export function divergence(demos: readonly SkillDemo[], i: number, by = 0.02): number {
  const me = demos[i]!;
  let latest = 0;
  demos.forEach((other, k) => {
    if (k === i) return;
    for (let t = 0; t <= Math.min(me.length, other.length); t += 0.01) {
      const a = me.at(t);
      const b = other.at(t);
      if (a.some((q, j) => Math.abs(q - b[j]!) > by)) {
        latest = Math.max(latest, t);
        return;
      }
    }
    latest = Math.max(latest, Math.min(me.length, other.length));
  });
  return latest;
}
