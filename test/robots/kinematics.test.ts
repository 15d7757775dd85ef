import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pianoArm } from '../../robots/description.js';
import { multiply, rotationError, SerialChain } from '../../robots/kinematics.js';
import { loadRobot } from '../../robots/load.js';
import { forward as planarForward } from '../../robots/planar.js';
import { robotFromUrdf } from '../../robots/urdf.js';

const ur5e = new SerialChain(loadRobot('ur5e'));
const panda = new SerialChain(loadRobot('panda'));

/** Standard DH link transform Rz(theta) Tz(d) Tx(a) Rx(alpha), column-major. */
function dhStandard(theta: number, d: number, a: number, alpha: number): Float64Array {
  const ct = Math.cos(theta), st = Math.sin(theta), ca = Math.cos(alpha), sa = Math.sin(alpha);
  return Float64Array.of(ct, st, 0, 0, -st * ca, ct * ca, sa, 0, st * sa, -ct * sa, ca, 0, a * ct, a * st, d, 1);
}

/** Modified (Craig) DH link transform Rx(alpha) Tx(a) Rz(theta) Tz(d), column-major. */
function dhModified(a: number, d: number, alpha: number, theta: number): Float64Array {
  const ct = Math.cos(theta), st = Math.sin(theta), ca = Math.cos(alpha), sa = Math.sin(alpha);
  return Float64Array.of(ct, st * ca, st * sa, 0, -st, ct * ca, ct * sa, 0, 0, -sa, ca, 0, a, -d * sa, d * ca, 1);
}

function chainProduct(ts: Float64Array[]): Float64Array {
  let t: Float64Array = Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
  for (const m of ts) t = multiply(t, m, new Float64Array(16));
  return t;
}

/** UR5e tool0 in base_link from the UR DH table (base_link is the DH base turned half a turn about z). */
function urDh(q: ArrayLike<number>): Float64Array {
  const d = [0.1625, 0, 0, 0.1333, 0.0997, 0.0996], a = [0, -0.425, -0.3922, 0, 0, 0], alpha = [Math.PI / 2, 0, 0, Math.PI / 2, -Math.PI / 2, 0];
  const base = Float64Array.of(-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
  return chainProduct([base, ...d.map((_, i) => dhStandard(q[i]!, d[i]!, a[i]!, alpha[i]!))]);
}

/** Panda flange (panda_link8) from Franka's modified DH table. */
function pandaDh(q: ArrayLike<number>): Float64Array {
  const a = [0, 0, 0, 0.0825, -0.0825, 0, 0.088, 0], d = [0.333, 0, 0.316, 0, 0.384, 0, 0, 0.107], h = Math.PI / 2;
  const alpha = [0, -h, h, h, -h, h, h, 0];
  return chainProduct(a.map((_, i) => dhModified(a[i]!, d[i]!, alpha[i]!, i < 7 ? q[i]! : 0)));
}

function expectPose(actual: Float64Array, expected: Float64Array, digits = 6): void {
  for (let i = 0; i < 16; i++) expect(actual[i]).toBeCloseTo(expected[i]!, digits);
}

const within = (chain: SerialChain) => fc.tuple(...Array.from(chain.min, (lo, i) => fc.double({ min: lo, max: chain.max[i]!, noNaN: true })));
// The UR5e's +-2 pi ranges, narrowed so a seed nudge stays inside them.
const urRange = fc.tuple(...Array.from({ length: 6 }, () => fc.double({ min: -3, max: 3, noNaN: true })));

describe('forward kinematics', () => {
  it('puts the UR5e tool at its DH position at the zero pose: x = -(a2 + a3), y = d4 + d6, z = d1 - d5', () => {
    const tool = ur5e.forward([0, 0, 0, 0, 0, 0], new Float64Array(16));
    expect(tool[12]).toBeCloseTo(0.425 + 0.3922, 9);
    expect(tool[13]).toBeCloseTo(0.1333 + 0.0996, 9);
    expect(tool[14]).toBeCloseTo(0.1625 - 0.0997, 9);
    // tool0's z (the tool axis) points along base_link +y at the zero pose
    expect(tool[8]).toBeCloseTo(0, 12);
    expect(tool[9]).toBeCloseTo(1, 12);
    expect(tool[10]).toBeCloseTo(0, 12);
  });

  it('matches the UR DH table at other known poses', () => {
    const tool = new Float64Array(16);
    // upright: shoulder lift and wrist 1 at -pi/2, the arm points straight up
    ur5e.forward([0, -Math.PI / 2, 0, -Math.PI / 2, 0, 0], tool);
    expect(tool[12]).toBeCloseTo(0, 9);
    expect(tool[13]).toBeCloseTo(0.1333 + 0.0996, 9);
    expect(tool[14]).toBeCloseTo(0.1625 + 0.425 + 0.3922 + 0.0997, 9);
    fc.assert(
      fc.property(urRange, (q) => {
        expectPose(ur5e.forward(q, tool), urDh(q), 9);
      }),
      { numRuns: 100 },
    );
  });

  it('matches Franka DH table for the Panda, and gives every frame', () => {
    const tool = panda.forward([0, 0, 0, 0, 0, 0, 0], new Float64Array(16));
    expect([tool[12], tool[13], tool[14]].map((v) => +v!.toFixed(9))).toEqual([0.088, 0, 0.926]);
    const frames = panda.createFrames();
    fc.assert(
      fc.property(within(panda), (q) => {
        expectPose(panda.forward(q, tool, frames), pandaDh(q), 9);
        expect(Array.from(frames[frames.length - 1]!)).toEqual(Array.from(tool));
        // joint 4's frame sits 0.316 m up the upper arm from joint 2 and 0.0825 m out
        const f2 = frames[1]!, f4 = frames[3]!;
        expect(Math.hypot(f4[12]! - f2[12]!, f4[13]! - f2[13]!, f4[14]! - f2[14]!)).toBeCloseTo(Math.hypot(0.316, 0.0825), 9);
      }),
      { numRuns: 100 },
    );
  });

  it('agrees with the planar closed form for the piano arm', () => {
    const robot = pianoArm(loadRobot('ur5e-planar'));
    const chain = new SerialChain(robot);
    const tool = new Float64Array(16);
    fc.assert(
      fc.property(within(chain), (q) => {
        chain.forward(q, tool);
        const hand = planarForward(robot, q)[2]!;
        expect(tool[12]! + robot.piano.base.x).toBeCloseTo(hand.x, 9);
        expect(tool[13]! + robot.piano.base.y).toBeCloseTo(hand.y, 9);
        expect(tool[14]).toBeCloseTo(0, 12);
      }),
      { numRuns: 100 },
    );
  });

  it('moves prismatic joints along their axis, mimic joints with their leader, and holds joints engram does not move', () => {
    const urdf = `<robot name="slide">
      <link name="base"/><link name="carriage"/><link name="arm"/><link name="tip"/>
      <joint name="slide" type="prismatic"><parent link="base"/><child link="carriage"/><axis xyz="0 0 2"/>
        <limit lower="0" upper="0.5" velocity="0.2" effort="100"/></joint>
      <joint name="turn" type="revolute"><parent link="carriage"/><child link="arm"/><origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>
        <limit lower="-3" upper="3" velocity="1" effort="10"/><mimic joint="slide" multiplier="2" offset="0.5"/></joint>
      <joint name="reach" type="prismatic"><parent link="arm"/><child link="tip"/><origin xyz="0.3 0 0"/><axis xyz="1 0 0"/>
        <limit lower="0" upper="0.2" velocity="0.2" effort="100"/></joint>
    </robot>`;
    const robot = robotFromUrdf(urdf, { source: 'test', joints: ['slide'], defaultAcceleration: 1 }, 'slide.urdf');
    const chain = new SerialChain(robot);
    expect(chain.dof).toBe(1);
    const tool = chain.forward([0.25], new Float64Array(16));
    const turn = 2 * 0.25 + 0.5; // the mimic joint's angle
    expect(tool[12]).toBeCloseTo(0.3 * Math.cos(turn), 12); // 'reach' is held at 0
    expect(tool[13]).toBeCloseTo(0.3 * Math.sin(turn), 12);
    expect(tool[14]).toBeCloseTo(0.25 + 0.1, 12);
    const jac = chain.jacobian([0.25], new Float64Array(6));
    expect(Array.from(jac).map((v) => +v.toFixed(9))).toEqual([+(-0.3 * Math.sin(turn) * 2).toFixed(9), +(0.3 * Math.cos(turn) * 2).toFixed(9), 1, 0, 0, 2]);
  });
});

/** Finite-difference Jacobian column j: tool velocity and angular velocity per unit q[j]. */
function numericColumn(chain: SerialChain, q: number[], j: number, h = 1e-6): number[] {
  const plus = q.slice(), minus = q.slice();
  plus[j]! += h;
  minus[j]! -= h;
  const a = chain.forward(plus, new Float64Array(16)), b = chain.forward(minus, new Float64Array(16));
  const e = new Float64Array(6);
  rotationError(a, b, e);
  return [(a[12]! - b[12]!) / (2 * h), (a[13]! - b[13]!) / (2 * h), (a[14]! - b[14]!) / (2 * h), e[3]! / (2 * h), e[4]! / (2 * h), e[5]! / (2 * h)];
}

describe('the Jacobian', () => {
  for (const [name, chain] of [['UR5e', ur5e], ['Panda', panda]] as const) {
    it(`of the ${name} equals finite differences of forward kinematics`, () => {
      const jac = new Float64Array(6 * chain.dof);
      fc.assert(
        fc.property(within(chain), (q) => {
          chain.jacobian(q, jac);
          for (let j = 0; j < chain.dof; j++) {
            const col = numericColumn(chain, q, j);
            for (let r = 0; r < 6; r++) expect(jac[6 * j + r]).toBeCloseTo(col[r]!, 6);
          }
        }),
        { numRuns: 50 },
      );
    });
  }
});

describe('inverse kinematics', () => {
  const tolerance = 1e-4, angularTolerance = 1e-3;
  const nudge = fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }), { minLength: 7, maxLength: 7 });
  const seedNear = (chain: SerialChain, q: number[], d: number[]) => q.map((v, i) => Math.min(chain.max[i]!, Math.max(chain.min[i]!, v + d[i]!)));

  for (const [name, chain, poses] of [['UR5e', ur5e, urRange], ['Panda', panda, within(panda)]] as const) {
    it(`reaches random reachable ${name} poses from a nearby seed, inside the joint ranges`, () => {
      const target = new Float64Array(16), reached = new Float64Array(16), e = new Float64Array(6);
      fc.assert(
        fc.property(poses, nudge, (q, d) => {
          chain.forward(q, target);
          const sol = chain.inverse(target, seedNear(chain, q, d), { tolerance, angularTolerance });
          expect(sol).not.toBeNull();
          sol!.forEach((v, i) => expect(v >= chain.min[i]! && v <= chain.max[i]!).toBe(true));
          chain.forward(sol!, reached);
          expect(Math.hypot(reached[12]! - target[12]!, reached[13]! - target[13]!, reached[14]! - target[14]!)).toBeLessThanOrEqual(tolerance);
          rotationError(target, reached, e);
          expect(Math.hypot(e[3]!, e[4]!, e[5]!)).toBeLessThanOrEqual(angularTolerance);
        }),
        { numRuns: 100 },
      );
    });
  }

  it('reaches positions alone from farther seeds', () => {
    const target = new Float64Array(16), reached = new Float64Array(16);
    const far = fc.array(fc.double({ min: -0.8, max: 0.8, noNaN: true }), { minLength: 7, maxLength: 7 });
    fc.assert(
      fc.property(within(panda), far, (q, d) => {
        panda.forward(q, target);
        const sol = panda.inverse([target[12]!, target[13]!, target[14]!], seedNear(panda, q, d));
        expect(sol).not.toBeNull();
        panda.forward(sol!, reached);
        expect(Math.hypot(reached[12]! - target[12]!, reached[13]! - target[13]!, reached[14]! - target[14]!)).toBeLessThanOrEqual(1e-4);
      }),
      { numRuns: 100 },
    );
  });

  it('answers null for a target out of reach, and the same answer every time', () => {
    expect(ur5e.inverse([2, 0, 0.5], [0, -1, 1, 0, 0, 0])).toBeNull();
    // 0.97 m above the Panda's shoulder: beyond its reach of about 0.9 m
    expect(panda.inverse([0, 0, 1.3], [0, 0, 0, -1, 0, 1, 0])).toBeNull();
    const target = ur5e.forward([0.3, -1.2, 1.4, -1.5, -1.6, 0.2], new Float64Array(16));
    const a = ur5e.inverse(target, [0, -1, 1, -1, -1.5, 0]);
    const b = ur5e.inverse(target, [0, -1, 1, -1, -1.5, 0]);
    expect(a).not.toBeNull();
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });
});
