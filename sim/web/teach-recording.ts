import type { DemoSample, SkillJoint } from '../../src/skills/demonstration.js';
import { extractKeyframes, type Keyframe } from '../../src/skills/keyframes.js';
import { PoseCode } from '../../src/skills/pose-code.js';
import { keyframesToTrajectory } from '../../robots/motion/skill-trajectory.js';
import { sampleCurve, type FullPoint } from '../../robots/motion/spline.js';

/**
 * What the teach panel does with a recording before it is taught: where the arm was idle at both ends,
 * the keyframes the agent will cut from it, and edited keyframes turned back into a demonstration. Pure
 * functions of the samples (times in seconds from the recording's first sample).
 */

/** A joint that moves less than this, rad, did not move (the agent's teach refuses a recording that still). */
export const STILL = 0.01;

function maxDiff(a: readonly number[], b: readonly number[]): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

/** Whether some joint moved more than STILL away from where the recording started. */
export function moved(samples: readonly DemoSample[]): boolean {
  const first = samples[0]?.positions;
  return !!first && samples.some((s) => maxDiff(s.positions, first) > STILL);
}

/**
 * The recording without its idle ends: from the last sample still at the starting pose to the first one
 * already at the final pose (indices). A recording that never moved is kept whole.
 */
export function idleTrim(samples: readonly DemoSample[]): { from: number; to: number } {
  const n = samples.length;
  if (n < 2 || !moved(samples)) return { from: 0, to: Math.max(0, n - 1) };
  const first = samples[0]!.positions;
  const last = samples[n - 1]!.positions;
  let from = 0;
  while (from + 1 < n && maxDiff(samples[from + 1]!.positions, first) <= STILL) from++;
  let to = n - 1;
  while (to - 1 > from && maxDiff(samples[to - 1]!.positions, last) <= STILL) to--;
  return { from, to };
}

/** The tolerance the agent cuts keyframes with (src/skills/skill.ts teachSkill): 0.02 rad or the pose code's bin, whichever is wider. */
export function keyframeTolerance(joints: readonly SkillJoint[]): number {
  const code = PoseCode.forJoints(joints);
  return Math.max(0.02, ...joints.map((_, j) => code.resolution(j)));
}

/** The keyframes the agent would cut from these samples (times from their first sample). */
export function keyframesOf(samples: readonly DemoSample[], joints: readonly SkillJoint[]): Keyframe[] {
  if (samples.length < 2) return samples.map((s) => ({ time: 0, positions: [...s.positions], dwell: 0 }));
  return extractKeyframes(samples, { tolerance: keyframeTolerance(joints) });
}

/**
 * Edited keyframes as a demonstration the agent cuts back into (about) the same keyframes: the curve a
 * robot replays through them (robots/motion: the minimum-jerk curve through each run of moving keyframes,
 * at rest at every pause), sampled every `dt` s as a recording is (the agent smooths a demonstration
 * over its neighbouring samples, so a straight-line path's corners would make keyframes of their own).
 */
export function keyframeSamples(keyframes: readonly Keyframe[], dt = 0.02): DemoSample[] {
  if (keyframes.length === 0) return [];
  const t0 = keyframes[0]!.time;
  const last = keyframes[keyframes.length - 1]!;
  const end = last.time + last.dwell;
  const points = keyframesToTrajectory(keyframes, 0) as FullPoint[];
  const times: number[] = [];
  for (let k = 0; t0 + k * dt < end - 1e-9; k++) times.push(t0 + k * dt);
  times.push(Math.max(end, t0 + dt)); // a lone keyframe still makes two samples (the agent needs two)
  return times.map((t) => ({ time: t, positions: sampleCurve(points, t).positions }));
}

/**
 * Samples made from edited keyframes (times from the kept recording's first sample) with the gripper
 * the recording had at each time: the gripper changes where it did, whatever was done to the keyframes.
 * A recording without a gripper gives the samples as they are.
 */
export function gripperAlong(samples: DemoSample[], recording: readonly DemoSample[]): DemoSample[] {
  if (recording.length === 0 || recording[0]!.gripper === undefined) return samples;
  const t0 = recording[0]!.time;
  let i = 0;
  return samples.map((s) => {
    while (i + 1 < recording.length && recording[i + 1]!.time - t0 <= s.time + 1e-9) i++;
    return { ...s, gripper: recording[i]!.gripper! };
  });
}

/**
 * Where keyframe i may move to in time: after the previous one's pause, before the next one (minus its
 * own pause), with `gap` s to spare on both sides.
 */
export function keyframeRoom(keyframes: readonly Keyframe[], i: number, gap = 0.05): { min: number; max: number } {
  const prev = keyframes[i - 1];
  const next = keyframes[i + 1];
  const k = keyframes[i]!;
  return { min: prev ? prev.time + prev.dwell + gap : 0, max: next ? next.time - k.dwell - gap : Infinity };
}

/**
 * Poses for drawing a path through these poses in 3D: straight moves in joint space are curves at the
 * tool, so each is cut into steps of at most `step` rad (at most `max` poses in all).
 */
export function densify(poses: readonly (readonly number[])[], step = 0.02, max = 600): number[][] {
  const gaps = poses.slice(1).map((q, i) => Math.max(1, Math.ceil(maxDiff(q, poses[i]!) / step)));
  const total = gaps.reduce((a, b) => a + b, 1);
  const scale = total > max ? max / total : 1;
  const out: number[][] = poses.length ? [[...poses[0]!]] : [];
  gaps.forEach((g, i) => {
    const n = Math.max(1, Math.round(g * scale));
    const a = poses[i]!;
    const b = poses[i + 1]!;
    for (let k = 1; k <= n; k++) out.push(a.map((q, j) => q + (k / n) * (b[j]! - q)));
  });
  return out;
}
