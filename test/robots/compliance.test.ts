import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pianoArm } from '../../robots/description.js';
import { SerialChain } from '../../robots/kinematics.js';
import { loadRobot } from '../../robots/load.js';
import { chainGrab, complianceStep, planarGrab, type ComplianceModel, type GrabbedPoint } from '../../robots/motion/compliance.js';
import { forward as planarForward } from '../../robots/planar.js';

const ur5e = new SerialChain(loadRobot('ur5e'));
const panda = new SerialChain(loadRobot('panda'));
const planar = pianoArm(loadRobot('ur5e-planar'));
const model = (chain: { robot: { joints: ComplianceModel['joints'] } } | { joints: ComplianceModel['joints'] }): ComplianceModel => ({
  joints: 'robot' in chain ? chain.robot.joints : chain.joints,
  stiffness: 200,
  damping: 4,
});

/** Joint positions inside a chain's ranges, kept off its ends by `margin` rad. */
const within = (chain: SerialChain, margin = 0.05) => fc.tuple(...Array.from(chain.min, (lo, i) => fc.double({ min: Math.max(lo, -3) + margin, max: Math.min(chain.max[i]!, 3) - margin, noNaN: true })));
const vec = (r: number) => fc.tuple(fc.double({ min: -r, max: r, noNaN: true }), fc.double({ min: -r, max: r, noNaN: true }), fc.double({ min: -r, max: r, noNaN: true }));

/** Where a grabbed point is at q. */
function pointOf(grab: GrabbedPoint, q: ArrayLike<number>, n: number): Float64Array {
  const p = new Float64Array(3);
  grab.at(q, p, new Float64Array(3 * n));
  return p;
}

/** A point on link k of a chain at q: the link's origin moved by `offset` in the base frame. */
function grabOn(chain: SerialChain, k: number, q: number[], offset: number[]) {
  const f = chain.linkPose(q, k);
  const link = k < 0 ? chain.baseLink : chain.chainJoints[k]!.child;
  return chainGrab(chain, link, [f[12]! + offset[0]!, f[13]! + offset[1]!, f[14]! + offset[2]!], q)!;
}

describe('the grabbed point and its Jacobian', () => {
  it('is the Jacobian of the point (finite differences) on any link of the UR5e and the Panda; joints past the link have none', () => {
    for (const chain of [ur5e, panda]) {
      fc.assert(
        fc.property(within(chain), fc.integer({ min: 0, max: chain.chainJoints.length - 1 }), vec(0.1), (q, k, offset) => {
          const grab = grabOn(chain, k, q, offset);
          const p = new Float64Array(3);
          const jac = new Float64Array(3 * chain.dof);
          grab.at(q, p, jac);
          const h = 1e-6;
          for (let j = 0; j < chain.dof; j++) {
            const up = [...q];
            const down = [...q];
            up[j]! += h;
            down[j]! -= h;
            const a = pointOf(grab, up, chain.dof);
            const b = pointOf(grab, down, chain.dof);
            for (let r = 0; r < 3; r++) expect(jac[3 * j + r]).toBeCloseTo((a[r]! - b[r]!) / (2 * h), 5);
            if (!grab.moves[j]) for (let r = 0; r < 3; r++) expect(jac[3 * j + r]).toBe(0);
          }
        }),
        { numRuns: 60 },
      );
    }
  });

  it('stays where it was grabbed on its link: at the grab pose the point is the one pressed', () => {
    const q = [0.3, -1.2, 1.1, -0.8, 0.5, 0.2];
    const f = ur5e.linkPose(q, 3);
    const pressed = [f[12]! + 0.05, f[13]! - 0.02, f[14]! + 0.1];
    const grab = chainGrab(ur5e, 'forearm_link', pressed, q)!;
    expect(grab.index).toBe(3);
    expect(grab.moves).toEqual([true, true, true, false, false, false]); // pan, lift, elbow move the forearm
    const p = pointOf(grab, q, 6);
    for (let r = 0; r < 3; r++) expect(p[r]).toBeCloseTo(pressed[r]!, 12);
    expect(chainGrab(ur5e, 'no_such_link', pressed, q)).toBeNull();
  });

  it('follows the planar arm: Jacobian by finite differences, the point where it was pressed', () => {
    fc.assert(
      fc.property(fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true })), fc.integer({ min: 0, max: 2 }), fc.double({ min: 0, max: 1, noNaN: true }), (q, link, along) => {
        const pts = [planar.piano.base, ...planarForward(planar, q)];
        const pressed = { x: pts[link]!.x + along * (pts[link + 1]!.x - pts[link]!.x), y: pts[link]!.y + along * (pts[link + 1]!.y - pts[link]!.y) + 0.01 };
        const grab = planarGrab(planar, link, pressed, q);
        const p = new Float64Array(3);
        const jac = new Float64Array(9);
        grab.at(q, p, jac);
        expect(p[0]).toBeCloseTo(pressed.x, 12);
        expect(p[1]).toBeCloseTo(pressed.y, 12);
        const h = 1e-6;
        for (let j = 0; j < 3; j++) {
          const a = pointOf(grab, q.map((x, i) => (i === j ? x + h : x)), 3);
          const b = pointOf(grab, q.map((x, i) => (i === j ? x - h : x)), 3);
          for (let r = 0; r < 3; r++) expect(jac[3 * j + r]).toBeCloseTo((a[r]! - b[r]!) / (2 * h), 5);
          expect(grab.moves[j]).toBe(j <= link);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('a compliance step', () => {
  it('makes the torques J^T F of the hand pulling the point: the planar arm held out straight, pulled up at its hand', () => {
    const q = [0, 0, 0];
    const hand = planarForward(planar, q)[2]!;
    const grab = planarGrab(planar, 2, hand, q);
    // 0.1 m above the hand: 20 N straight up, on levers of 0.917, 0.492 and 0.1 m
    const step = complianceStep(q, grab, [hand.x, hand.y + 0.1, 0], model(planar), 0.001);
    expect(step.force[1]).toBeCloseTo(20, 9);
    expect(step.torque[0]).toBeCloseTo(20 * 0.917, 9);
    expect(step.torque[1]).toBeCloseTo(20 * 0.492, 9);
    expect(step.torque[2]).toBeCloseTo(20 * 0.1, 9);
    // every joint gives way upwards (counter-clockwise), the shoulder most
    expect(step.q[0]).toBeGreaterThan(step.q[1]!);
    expect(step.q[1]).toBeGreaterThan(step.q[2]!);
    expect(step.q[2]).toBeGreaterThan(0);
  });

  it('holds still when released: no grab or no hand, not one joint moves', () => {
    fc.assert(
      fc.property(within(panda), fc.double({ min: 0.001, max: 1, noNaN: true }), (q, dt) => {
        const grab = grabOn(panda, 4, q, [0, 0, 0]);
        expect(complianceStep(q, grab, null, model(panda), dt).q).toEqual(q);
        expect(complianceStep(q, null, [1, 1, 1], model(panda), dt).q).toEqual(q);
        expect(complianceStep(q, null, null, model(panda), dt).velocity.every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('never moves a joint beyond the grabbed link, stays inside every range and under each speed limit', () => {
    for (const chain of [ur5e, panda]) {
      fc.assert(
        fc.property(within(chain, 0), fc.integer({ min: -1, max: chain.chainJoints.length - 1 }), vec(0.1), vec(2), fc.double({ min: 0.001, max: 0.3, noNaN: true }), (q, k, offset, pull, dt) => {
          const grab = grabOn(chain, k, q, offset);
          const p = pointOf(grab, q, chain.dof);
          const m = model(chain);
          const step = complianceStep(q, grab, [p[0]! + pull[0]!, p[1]! + pull[1]!, p[2]! + pull[2]!], m, dt);
          const moves = chain.jointsMoving(k);
          for (let j = 0; j < chain.dof; j++) {
            const joint = m.joints[j]!;
            if (!moves[j]) expect(step.q[j]).toBe(q[j]);
            expect(step.q[j]).toBeGreaterThanOrEqual(joint.min);
            expect(step.q[j]).toBeLessThanOrEqual(joint.max);
            // at most half the speed limit (a jog's), over at most 0.1 s of it
            expect(Math.abs(step.q[j]! - q[j]!)).toBeLessThanOrEqual(0.5 * joint.maxSpeed * Math.min(dt, 0.1) + 1e-12);
            expect(Math.abs(step.velocity[j]!)).toBeLessThanOrEqual(0.5 * joint.maxSpeed + 1e-12);
          }
        }),
        { numRuns: 80 },
      );
    }
  });

  it('brings the grabbed point nearer the hand at every step, on any link (a point on a joint axis feels no torque and stays)', () => {
    fc.assert(
      fc.property(within(panda, 0.2), fc.integer({ min: -1, max: 7 }), vec(0.08), vec(0.3), (q, k, offset, pull) => {
        const grab = grabOn(panda, k, q, offset);
        const p = pointOf(grab, q, 7);
        const hand = [p[0]! + pull[0]!, p[1]! + pull[1]!, p[2]! + pull[2]!];
        const gap = (x: number[]) => {
          const at = pointOf(grab, x, 7);
          return Math.hypot(at[0]! - hand[0]!, at[1]! - hand[1]!, at[2]! - hand[2]!);
        };
        let x: number[] = q;
        for (let i = 0; i < 30; i++) {
          const next = complianceStep(x, grab, hand, model(panda), 1 / 30).q;
          expect(gap(next)).toBeLessThanOrEqual(gap(x) + 1e-12);
          x = next;
        }
      }),
      { numRuns: 60 },
    );
  });

  it('brings the grabbed point to the hand when the hand holds still where the link can go (upper arm or forearm, grabbed near its far end)', () => {
    // working poses: the upper arm leaning out, so no grabbed point is near a joint axis (there a pull makes little torque and it creeps)
    const working = fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -1.2, max: -0.3, noNaN: true }), fc.double({ min: 0.8, max: 2, noNaN: true }), fc.double({ min: -2, max: 0, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }));
    fc.assert(
      fc.property(working, fc.integer({ min: 2, max: 3 }), vec(0.05), vec(0.15), (q, k, offset, nudge) => {
        // the next joint's origin is a point of link k, at its far end
        const end = ur5e.linkPose(q, k + 1);
        const link = ur5e.chainJoints[k]!.child;
        const grab = chainGrab(ur5e, link, [end[12]! + offset[0]!, end[13]! + offset[1]!, end[14]! + offset[2]!], q)!;
        // a hand where the point is at a nearby pose of the joints that move it
        const other = q.map((x, j) => (grab.moves[j] ? x + nudge[j % 3]! : x));
        const hand = pointOf(grab, other, 6);
        const gap = (x: number[]) => {
          const p = pointOf(grab, x, 6);
          return Math.hypot(p[0]! - hand[0]!, p[1]! - hand[1]!, p[2]! - hand[2]!);
        };
        let x: number[] = q;
        const start = gap(x);
        for (let i = 0; i < 180; i++) x = complianceStep(x, grab, hand, model(ur5e), 1 / 30).q; // 6 s of holding
        expect(gap(x)).toBeLessThan(Math.max(0.002, start * 0.1)); // within 2 mm (the spring pulls with 0.4 N there) or a tenth of the start
      }),
      { numRuns: 100 },
    );
  });

  it('leaves a joint pushed against an end of its range there while the others give way', () => {
    // the planar arm's shoulder at its upper end, its hand pulled further up: the shoulder stays, elbow and wrist turn
    const m = model(planar);
    const q = [planar.joints[0]!.max, -Math.PI / 2, 0];
    const pts = planarForward(planar, q);
    const grab = planarGrab(planar, 2, pts[2]!, q);
    const hand = [pts[2]!.x - 0.1, pts[2]!.y, 0];
    const step = complianceStep(q, grab, hand, m, 0.05);
    expect(step.torque[0]).toBeGreaterThan(0); // pushed outwards
    expect(step.q[0]).toBe(q[0]);
    expect(Math.abs(step.q[1]! - q[1]!) + Math.abs(step.q[2]! - q[2]!)).toBeGreaterThan(1e-3);
  });

  it('gives the planar arm the same step whether it is held by its URDF chain or by its planar model', () => {
    const chain = new SerialChain(planar);
    const base = planar.piano.base;
    fc.assert(
      fc.property(fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true })), fc.integer({ min: 0, max: 2 }), fc.double({ min: 0, max: 1, noNaN: true }), vec(0.2), (q, link, along, pull) => {
        const pts = [base, ...planarForward(planar, q)];
        const pressed = { x: pts[link]!.x + along * (pts[link + 1]!.x - pts[link]!.x), y: pts[link]!.y + along * (pts[link + 1]!.y - pts[link]!.y) };
        const flat = planarGrab(planar, link, pressed, q);
        // the chain's base frame is the keyboard plane moved to the shoulder
        const held = chainGrab(chain, chain.chainJoints[link]!.child, [pressed.x - base.x, pressed.y - base.y, 0], q)!;
        const a = complianceStep(q, flat, [pressed.x + pull[0]!, pressed.y + pull[1]!, 0], model(planar), 0.05);
        const b = complianceStep(q, held, [pressed.x - base.x + pull[0]!, pressed.y - base.y + pull[1]!, 0], model(planar), 0.05);
        for (let j = 0; j < 3; j++) expect(b.q[j]).toBeCloseTo(a.q[j]!, 9);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a model or a grab that does not fit the arm, naming what', () => {
    const q = [0, 0, 0];
    const grab = planarGrab(planar, 1, { x: 0.2, y: 0.3 }, q);
    expect(() => complianceStep([0, 0], grab, [0, 0, 0], model(planar), 0.01)).toThrow(/3 joint positions needed, got 2/);
    expect(() => complianceStep(q, grab, [0, 0, 0], { ...model(planar), damping: [1, 2] }, 0.01)).toThrow(/damping/);
    expect(() => complianceStep(q, grab, [0, 0, 0], { ...model(planar), stiffness: 0 }, 0.01)).toThrow(/stiffness/);
    expect(() => planarGrab(planar, 3, { x: 0, y: 0 }, q)).toThrow(/link 3/);
  });
});
