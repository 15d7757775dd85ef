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
