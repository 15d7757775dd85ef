import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeVelocities, curvePeaks, retime, sampleCurve, type FullPoint } from '../../robots/motion/spline.js';

const point = (time: number, p: number, v: number, a?: number): FullPoint => ({ time, positions: [p], velocities: [v], ...(a === undefined ? {} : { accelerations: [a] }) });

describe('the curve the controller executes', () => {
  it('passes through every point with its velocity (cubic) and acceleration (quintic)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.double({ min: 0.05, max: 2, noNaN: true }), p: fc.double({ min: -3, max: 3, noNaN: true }), v: fc.double({ min: -2, max: 2, noNaN: true }), a: fc.double({ min: -5, max: 5, noNaN: true }) }), { minLength: 2, maxLength: 6 }),
        fc.boolean(),
        (raw, quintic) => {
          let t = 0;
          const pts = raw.map((r) => point((t += r.dt), r.p, r.v, quintic ? r.a : undefined));
          for (let k = 1; k < pts.length; k++) {
            const s = sampleCurve(pts, pts[k]!.time - 1e-9);
            expect(s.positions[0]).toBeCloseTo(pts[k]!.positions[0]!, 5);
            expect(s.velocities[0]).toBeCloseTo(pts[k]!.velocities[0]!, 4);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('finds speed peaks above the average between points (a cubic overshoots)', () => {
    // from rest to rest over 1 rad in 1 s: the average is 1 rad/s, the cubic peaks at 1.5 rad/s and 6 rad/s^2
    const pk = curvePeaks([point(0, 0, 0), point(1, 1, 0)])[0]!;
    expect(pk.maxSpeed).toBeCloseTo(1.5, 6);
    expect(pk.maxSpeedAt).toBeCloseTo(0.5, 6);
    expect(pk.maxAccel).toBeCloseTo(6, 6);
  });

  it('finds the exact peaks of cubics and quintics: no dense sample beyond them, and they are reached', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.double({ min: 0.02, max: 2, noNaN: true }), p: fc.double({ min: -3, max: 3, noNaN: true }), v: fc.double({ min: -2, max: 2, noNaN: true }), a: fc.double({ min: -20, max: 20, noNaN: true }) }), { minLength: 2, maxLength: 5 }),
        fc.boolean(),
        (raw, quintic) => {
          let t = 0;
          const pts = raw.map((r) => point((t += r.dt), r.p, r.v, quintic ? r.a : undefined));
          const pk = curvePeaks(pts)[0]!;
          let [lo, hi, v, a] = [Infinity, -Infinity, 0, 0];
          const t0 = pts[0]!.time;
          const T = pts[pts.length - 1]!.time - t0;
          for (let i = 0; i <= 4000; i++) {
            const s = sampleCurve(pts, t0 + (T * i) / 4000);
            lo = Math.min(lo, s.positions[0]!);
            hi = Math.max(hi, s.positions[0]!);
            v = Math.max(v, Math.abs(s.velocities[0]!));
            a = Math.max(a, Math.abs(s.accelerations[0]!));
          }
          const tol = (x: number) => 1e-9 * Math.max(1, Math.abs(x));
          expect(pk.minPosition).toBeLessThanOrEqual(lo + tol(lo));
          expect(pk.maxPosition).toBeGreaterThanOrEqual(hi - tol(hi));
          expect(pk.maxSpeed).toBeGreaterThanOrEqual(v - tol(v));
          expect(pk.maxAccel).toBeGreaterThanOrEqual(a - tol(a));
          // and not beyond what the curve does: dense samples come within one step's change of the peak
          const step = T / 4000;
          expect(pk.maxSpeed).toBeLessThanOrEqual(v + pk.maxAccel * step + 1e-9);
          expect(pk.maxPosition).toBeLessThanOrEqual(hi + pk.maxSpeed * step + 1e-9);
          expect(pk.minPosition).toBeGreaterThanOrEqual(lo - pk.maxSpeed * step - 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts the move from where the arm is to the first point', () => {
    const pk = curvePeaks([point(1, 2, 0)], point(0, 0, 0))[0]!;
    expect(pk.maxSpeed).toBeCloseTo(3, 6);
    expect(pk.minPosition).toBeCloseTo(0, 9);
    expect(pk.maxPosition).toBeCloseTo(2, 9);
  });

  it('retiming by a factor scales speeds by it and accelerations by its square', () => {
    const pts = completeVelocities([{ time: 0, positions: [0] }, { time: 0.5, positions: [0.4] }, { time: 1, positions: [1] }]);
    const a = curvePeaks(pts)[0]!;
    const b = curvePeaks(retime(pts, 0.5))[0]!;
    expect(b.maxSpeed).toBeCloseTo(a.maxSpeed * 0.5, 6);
    expect(b.maxAccel).toBeCloseTo(a.maxAccel * 0.25, 6);
  });
});
