import { describe, expect, it } from 'vitest';
import { densify, idleTrim, keyframeRoom, keyframeSamples, keyframesOf, keyframeTolerance, moved } from '../../sim/web/teach-recording.js';
import type { DemoSample, SkillJoint } from '../../src/skills/demonstration.js';
import { extractKeyframes } from '../../src/skills/keyframes.js';

const joints: SkillJoint[] = ['a', 'b', 'c'].map((name) => ({ name, min: -Math.PI, max: Math.PI }));

/** 50 Hz samples: still at `from` for `still` s, a smooth move to `to` over `move` s, still for `after` s. */
function demo(from: number[], to: number[], still: number, move: number, after: number): DemoSample[] {
  const out: DemoSample[] = [];
  for (let t = 0; t <= still + move + after + 1e-9; t += 0.02) {
    const u = Math.min(1, Math.max(0, (t - still) / move));
    const s = u * u * (3 - 2 * u);
    out.push({ time: 10 + t, positions: from.map((q, j) => q + s * (to[j]! - q)) });
  }
  return out;
}

describe('what the teach panel does with a recording', () => {
  it('finds the idle ends: from the last sample still at the start to the first one at the end', () => {
    const s = demo([0, 0, 0], [0.5, -0.3, 0], 1, 1, 1);
    const { from, to } = idleTrim(s);
    expect(s[from]!.time - 10).toBeGreaterThan(0.9);
    expect(s[from]!.time - 10).toBeLessThan(1.1);
    expect(s[to]!.time - 10).toBeGreaterThan(1.8);
    expect(s[to]!.time - 10).toBeLessThan(2.05);
    // nothing moved: nothing to trim, and it did not move
    const still = demo([0.1, 0.2, 0.3], [0.1, 0.2, 0.3], 1, 1, 1);
    expect(moved(still)).toBe(false);
    expect(idleTrim(still)).toEqual({ from: 0, to: still.length - 1 });
    expect(moved(s)).toBe(true);
  });

  it('cuts keyframes as the agent does, and edited keyframes come back as a demonstration through the same keyframes', () => {
    const s = [...demo([0, 0, 0], [0.6, -0.4, 0.2], 0.5, 1, 0.6), ...demo([0.6, -0.4, 0.2], [0.1, 0.3, -0.5], 0, 1.2, 0.5).map((x) => ({ ...x, time: x.time + 2.12 }))];
    const keyframes = keyframesOf(s, joints);
    expect(keyframes).toEqual(extractKeyframes(s, { tolerance: keyframeTolerance(joints) }));
    expect(keyframes.length).toBeGreaterThanOrEqual(3);
    // edit: move the second keyframe later (within its room), delete the third
    const edited = keyframes.map((k) => ({ ...k, positions: [...k.positions] }));
    const room = keyframeRoom(edited, 1);
    edited[1]!.time = Math.min(room.max, edited[1]!.time + 0.2);
    edited.splice(2, 1);
    // the agent smooths what it is sent and places keyframes itself: unedited, the same keyframes, to
    // within a couple of samples in time and about its tolerance in pose
    const tol = keyframeTolerance(joints);
    const near = (a: { time: number; positions: number[] }, b: { time: number; positions: number[] }) => Math.abs(a.time - b.time) <= 0.06 && a.positions.every((q, j) => Math.abs(q - b.positions[j]!) <= 1.5 * tol);
    const same = extractKeyframes(keyframeSamples(keyframes), { tolerance: tol });
    expect(same).toHaveLength(keyframes.length);
    same.forEach((k, i) => expect(near(k, keyframes[i]!), `keyframe ${i}`).toBe(true));
    // edited: every keyframe kept is there, at its new time: the keyframes cut back pass within about
    // their tolerance of its pose then (where the curve is fast, the nearest may be a few samples off)
    const back = extractKeyframes(keyframeSamples(edited), { tolerance: tol });
    const path = (t: number) => {
      const pts = back.flatMap((b) => (b.dwell > 0 ? [{ t: b.time, q: b.positions }, { t: b.time + b.dwell, q: b.positions }] : [{ t: b.time, q: b.positions }]));
      const after = pts.findIndex((p) => p.t >= t);
      const i = after < 0 ? pts.length - 1 : Math.max(1, after);
      const u = Math.min(1, Math.max(0, (t - pts[i - 1]!.t) / (pts[i]!.t - pts[i - 1]!.t || 1)));
      return pts[i - 1]!.q.map((q, j) => q + u * (pts[i]!.q[j]! - q));
    };
    for (const [i, k] of edited.entries()) {
      const on = path(k.time - edited[0]!.time);
      expect(Math.max(...k.positions.map((q, j) => Math.abs(q - on[j]!))), `edited keyframe ${i}`).toBeLessThanOrEqual(1.5 * tol);
    }
    // a keyframe deleted does not come back: no keyframe near its pose
    const gone = keyframes[2]!.positions;
    expect(back.some((k) => k.positions.every((q, j) => Math.abs(q - gone[j]!) < tol))).toBe(false);
  });

  it('a keyframe moves only between its neighbours', () => {
    const k = [
      { time: 0, positions: [0], dwell: 0.5 },
      { time: 1, positions: [1], dwell: 0.3 },
      { time: 2, positions: [0], dwell: 0 },
    ];
    expect(keyframeRoom(k, 1, 0.05)).toEqual({ min: 0.55, max: 2 - 0.3 - 0.05 });
    expect(keyframeRoom(k, 2, 0.05).max).toBe(Infinity);
  });

  it('cuts straight joint moves into small steps for drawing the tool path, keeping every pose', () => {
    const poses = [[0, 0], [0.1, -0.2], [0.1, -0.2], [0.5, 0]];
    const d = densify(poses, 0.02);
    expect(d[0]).toEqual([0, 0]);
    expect(d.at(-1)).toEqual([0.5, 0]);
    for (let i = 1; i < d.length; i++) expect(Math.max(...d[i]!.map((q, j) => Math.abs(q - d[i - 1]![j]!)))).toBeLessThanOrEqual(0.02 + 1e-12);
    for (const p of poses) expect(d.some((q) => q.every((x, j) => Math.abs(x - p[j]!) < 1e-12))).toBe(true);
    expect(densify([[0], [100]], 0.02, 50).length).toBeLessThanOrEqual(51);
  });
});
