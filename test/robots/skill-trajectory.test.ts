import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyframesToTrajectory, minimumJerk } from '../../robots/motion/skill-trajectory.js';
import { completeVelocities, curvePeaks, sampleCurve, type FullPoint } from '../../robots/motion/spline.js';
import type { Keyframe } from '../../src/skills/keyframes.js';

/** Random keyframes of `joints` joints: increasing times at least 0.1 s apart, some held. */
const keyframesArb = (joints: number) =>
  fc
    .array(
      fc.record({
        gap: fc.double({ min: 0.1, max: 2, noNaN: true }),
        q: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: joints, maxLength: joints }),
        dwell: fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 1, noNaN: true })),
      }),
      { minLength: 2, maxLength: 12 },
    )
    .map((raw) => {
      let t = 0;
      return raw.map((r, i): Keyframe => {
        if (i > 0) t += r.gap;
        const k = { time: t, positions: r.q, dwell: r.dwell };
        t += r.dwell;
        return k;
      });
    });

/** The integral of squared jerk along the curve, numerically: jerk by central differences of the acceleration. */
function jerkIntegral(pts: readonly FullPoint[]): number {
  let sum = 0;
  for (let k = 0; k + 1 < pts.length; k++) {
    const t0 = pts[k]!.time;
    const T = pts[k + 1]!.time - t0;
    const n = 200;
    const h = T * 1e-4;
    for (let i = 0; i < n; i++) {
      const t = t0 + ((i + 0.5) / n) * T;
      const jerk = (sampleCurve(pts, t + h).accelerations[0]! - sampleCurve(pts, t - h).accelerations[0]!) / (2 * h);
      sum += (jerk * jerk * T) / n;
    }
  }
  return sum;
}

/** A minimum-jerk move from rest at p0 (time t0) to rest at p1 (time t1), and its speed and acceleration. */
function restToRest(t: number, t0: number, t1: number, p0: number, p1: number): { q: number; a: number } {
  const T = t1 - t0;
  const s = Math.min(1, Math.max(0, (t - t0) / T));
  return { q: p0 + (p1 - p0) * (10 * s ** 3 - 15 * s ** 4 + 6 * s ** 5), a: ((p1 - p0) * (60 * s - 180 * s ** 2 + 120 * s ** 3)) / (T * T) };
}

describe('a skill replayed from its keyframes', () => {
  it('passes through every keyframe, holds still with zero speed and acceleration through every pause, and is C2 at every knot', () => {
    fc.assert(
      fc.property(keyframesArb(2), (keyframes) => {
        const pts = completeVelocities(keyframesToTrajectory(keyframes, 5));
        for (const k of keyframes) {
          const at = sampleCurve(pts, 5 + k.time);
          k.positions.forEach((q, j) => expect(at.positions[j]).toBeCloseTo(q, 9));
          if (k.dwell > 0) {
            for (const u of [0, 0.3, 0.7, 1]) {
              const s = sampleCurve(pts, 5 + k.time + u * k.dwell);
              k.positions.forEach((q, j) => {
                expect(s.positions[j]).toBeCloseTo(q, 9);
                expect(s.velocities[j]).toBeCloseTo(0, 9);
                expect(s.accelerations[j]).toBeCloseTo(0, 6);
              });
            }
          }
        }
        // both ends at rest
        for (const p of [pts[0]!, pts[pts.length - 1]!]) p.velocities.forEach((v, j) => (expect(v).toBe(0), expect(p.accelerations![j]).toBe(0)));
        // speed and acceleration continuous where one segment meets the next
        for (let i = 1; i < pts.length - 1; i++) {
          const t = pts[i]!.time;
          const eps = 1e-9;
          const before = sampleCurve(pts, t - eps);
          const after = sampleCurve(pts, t + eps);
          const scale = 1 + Math.max(...pts.flatMap((p) => p.accelerations!.map(Math.abs)));
          for (let j = 0; j < 2; j++) {
            expect(Math.abs(before.velocities[j]! - after.velocities[j]!)).toBeLessThan(1e-4 * scale);
            expect(Math.abs(before.accelerations[j]! - after.accelerations[j]!)).toBeLessThan(1e-3 * scale);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is the least-jerk curve through its keyframes: changing any knot speed or acceleration adds jerk', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.double({ min: 0.15, max: 1.5, noNaN: true }), q: fc.double({ min: -2, max: 2, noNaN: true }) }), { minLength: 3, maxLength: 7 }),
        fc.nat(),
        fc.boolean(),
        fc.double({ min: 0.2, max: 1, noNaN: true }),
        fc.boolean(),
        (raw, pick, accel, size, sign) => {
          let t = 0;
          const times = raw.map((r, i) => (i === 0 ? 0 : (t += r.gap)));
          const y = raw.map((r) => r.q);
          const { v, acc } = minimumJerk(times, y);
          const curve = (vv: number[], aa: number[]): FullPoint[] => times.map((time, i) => ({ time, positions: [y[i]!], velocities: [vv[i]!], accelerations: [aa[i]!] }));
          const best = jerkIntegral(curve(v, acc));
          // a change of the same order as what the curve has there
          const k = 1 + (pick % (times.length - 2));
          const dv = [...v];
          const da = [...acc];
          if (accel) da[k] = da[k]! + (sign ? 1 : -1) * size * (1 + Math.abs(acc[k]!));
          else dv[k] = dv[k]! + (sign ? 1 : -1) * size * (1 + Math.abs(v[k]!));
          expect(jerkIntegral(curve(dv, da))).toBeGreaterThan(best * (1 + 1e-6));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('gives back a minimum-jerk demonstration exactly from any keyframes on it: never more acceleration than the hand had', () => {
    fc.assert(
      fc.property(
        // moves from rest to rest with pauses between, as keyframes: each pause, and poses on the way at random times
        fc.array(
          fc.record({
            T: fc.double({ min: 0.4, max: 2.5, noNaN: true }),
            to: fc.double({ min: -2, max: 2, noNaN: true }),
            dwell: fc.double({ min: 0.2, max: 1, noNaN: true }),
            via: fc.array(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { maxLength: 4 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (moves) => {
          const keyframes: Keyframe[] = [{ time: 0, positions: [0], dwell: 0.5 }];
          const pieces: Array<{ t0: number; t1: number; p0: number; p1: number }> = [];
          let t = 0.5;
          let p = 0;
          for (const m of moves) {
            const piece = { t0: t, t1: t + m.T, p0: p, p1: m.to };
            pieces.push(piece);
            for (const u of [...new Set(m.via.map((x) => Math.round(x * 50) / 50))].sort((a, b) => a - b)) {
              const at = t + u * m.T;
              keyframes.push({ time: at, positions: [restToRest(at, piece.t0, piece.t1, p, m.to).q], dwell: 0 });
            }
            keyframes.push({ time: t + m.T, positions: [m.to], dwell: m.dwell });
            t += m.T + m.dwell;
            p = m.to;
          }
          const pts = completeVelocities(keyframesToTrajectory(keyframes, 0));
          let demoPeak = 0;
          for (const piece of pieces) {
            demoPeak = Math.max(demoPeak, (5.7735 * Math.abs(piece.p1 - piece.p0)) / (piece.t1 - piece.t0) ** 2);
            for (let i = 0; i <= 20; i++) {
              const at = piece.t0 + (i / 20) * (piece.t1 - piece.t0);
              const want = restToRest(at, piece.t0, piece.t1, piece.p0, piece.p1);
              const got = sampleCurve(pts, at);
              expect(got.positions[0]).toBeCloseTo(want.q, 6);
              expect(got.accelerations[0]).toBeCloseTo(want.a, 3);
            }
          }
          expect(curvePeaks(pts)[0]!.maxAccel).toBeLessThanOrEqual(demoPeak * (1 + 1e-4) + 1e-9);
        },
      ),
      { numRuns: 100 },
    );
  });
});
