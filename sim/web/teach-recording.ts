import type { DemoSample, SkillJoint } from '../../src/skills/demonstration.js';
import { extractKeyframes, type Keyframe } from '../../src/skills/keyframes.js';
import { PoseCode } from '../../src/skills/pose-code.js';

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
  const code = new PoseCode(joints);
  return Math.max(0.02, ...joints.map((_, j) => code.resolution(j)));
}

/** The keyframes the agent would cut from these samples (times from their first sample). */
export function keyframesOf(samples: readonly DemoSample[], joints: readonly SkillJoint[]): Keyframe[] {
  if (samples.length < 2) return samples.map((s) => ({ time: 0, positions: [...s.positions], dwell: 0 }));
  return extractKeyframes(samples, { tolerance: keyframeTolerance(joints) });
}

/**
 * Edited keyframes as a demonstration the agent cuts back into the same keyframes: a sample where each
 * keyframe is reached and, for a pause, one where it is left; the moves between are straight, so no
 * sample in between would add a keyframe (and one sampled on the way in would start the pause early).
 */
export function keyframeSamples(keyframes: readonly Keyframe[]): DemoSample[] {
  const out: DemoSample[] = [];
  const add = (time: number, positions: readonly number[]) => {
    const last = out[out.length - 1];
    if (last && time - last.time < 1e-4) return;
    out.push({ time, positions: [...positions] });
  };
  for (const k of keyframes) {
    add(k.time, k.positions);
    if (k.dwell > 0) add(k.time + k.dwell, k.positions);
  }
  // a lone keyframe still makes two samples (the agent needs two)
  if (out.length === 1) out.push({ time: out[0]!.time + 0.02, positions: [...out[0]!.positions] });
  return out;
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
