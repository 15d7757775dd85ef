import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pianoArm, validateRobot } from '../../robots/description.js';
import { bundledRobots, loadPianoArm, loadRobot, loadSidecar, robotsDir } from '../../robots/load.js';
import { describeRobotMessage, parseUrdf, robotFromUrdf, validateSidecar, type Sidecar } from '../../robots/urdf.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-urdf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const arms = join(robotsDir(), 'arms');
const ur5eUrdf = readFileSync(join(arms, 'ur5e.urdf'), 'utf8');
const ur5eSidecar = JSON.parse(readFileSync(join(arms, 'ur5e.engram.json'), 'utf8')) as Sidecar;

/** A small arm: base -> j1 (revolute) -> l1 -> j2 (continuous) -> l2 -> tool (fixed) -> tip. */
const arm = (joints = ARM_JOINTS, links = ['base', 'l1', 'l2', 'tip']) =>
  `<?xml version="1.0"?>\n<robot name="arm">\n${links.map((l) => `  <link name="${l}"><inertial><mass value="1"/></inertial></link>`).join('\n')}\n${joints}\n</robot>\n`;
const ARM_JOINTS = `  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><axis xyz="0 0 1"/>
    <limit lower="-1" upper="1" velocity="2" effort="10"/></joint>
  <joint name="j2" type="continuous"><parent link="l1"/><child link="l2"/><origin xyz="0.5 0 0" rpy="0 0 0"/><axis xyz="0 1 0"/>
    <limit velocity="3" effort="5"/></joint>
  <joint name="tool" type="fixed"><parent link="l2"/><child link="tip"/><origin xyz="0.3 0 0"/></joint>`;
const sidecar: Sidecar = { source: 'test', defaultAcceleration: 10 };

describe('bundled robots', () => {
  it('load with every joint: the planar piano arm (3), the UR5e (6), the Panda (7)', () => {
    expect(bundledRobots()).toEqual(['panda', 'ur5e', 'ur5e-planar']);
    const counts = Object.fromEntries(bundledRobots().map((n) => [n, loadRobot(n)]));
    expect(counts['ur5e-planar']!.joints.map((j) => j.name)).toEqual(['shoulder', 'elbow', 'wrist']);
    expect(counts.ur5e!.joints.map((j) => j.name)).toEqual(['shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint', 'wrist_1_joint', 'wrist_2_joint', 'wrist_3_joint']);
    expect(counts.panda!.joints).toHaveLength(7);
    for (const r of Object.values(counts)) {
      expect(r.urdf).toMatch(/^<\?xml/);
      expect(r.source.length).toBeGreaterThan(50);
      expect(validateRobot(JSON.parse(JSON.stringify(r)), r.name)).toEqual(r);
    }
    expect(counts.ur5e!.chain!.map((c) => c.child)).toEqual(['base_link_inertia', 'shoulder_link', 'upper_arm_link', 'forearm_link', 'wrist_1_link', 'wrist_2_link', 'wrist_3_link', 'flange', 'tool0']);
    expect(counts.panda!.chain![0]!.parent).toBe('panda_link0');
    expect(counts.panda!.chain!.at(-1)!.child).toBe('panda_link8');
  });

  it('carry the published limits', () => {
    const ur = loadRobot('ur5e').joints;
    expect(ur.map((j) => j.maxEffort)).toEqual([150, 150, 150, 28, 28, 28]);
    for (const j of ur) {
      expect(j.min).toBeCloseTo(-2 * Math.PI, 12);
      expect(j.max).toBeCloseTo(2 * Math.PI, 12);
      expect(j.maxSpeed).toBeCloseTo(Math.PI, 12);
    }
    const panda = loadRobot('panda').joints;
    expect(panda.map((j) => [j.min, j.max])).toEqual([
      [-2.8973, 2.8973], [-1.7628, 1.7628], [-2.8973, 2.8973], [-3.0718, -0.0698], [-2.8973, 2.8973], [-0.0175, 3.7525], [-2.8973, 2.8973],
    ]);
    expect(panda.map((j) => j.maxSpeed)).toEqual([2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61]);
    expect(panda.map((j) => j.maxAccel)).toEqual([15, 7.5, 10, 12.5, 15, 20, 20]);
    expect(panda.map((j) => j.maxEffort)).toEqual([87, 87, 87, 87, 12, 12, 12]);
  });

  it('keep the piano arm as it was: links, masses, limits, hand and placement', () => {
    const r = loadPianoArm();
    expect(r.name).toBe('ur5e-planar');
    expect(r.piano).toEqual({
      base: { x: -0.05, y: 0.3 },
      elbow: 'cw',
      links: [{ name: 'upper_arm', length: 0.425, mass: 8.058 }, { name: 'forearm', length: 0.392, mass: 2.846 }, { name: 'wrist', length: 0.1, mass: 1.37 }],
    });
    expect(r.hand).toEqual({ fingers: 17, spacing: 0.0139, travel: 0.03, strokeTime: 0.015, maxForce: 20, mass: 0.6 });
    expect(r.joints.map(({ name, type, min, max, maxSpeed, maxAccel, maxEffort }) => [name, type, min, max, maxSpeed, maxAccel, maxEffort])).toEqual([
      ['shoulder', 'revolute', -3.1416, 3.1416, 3.1416, 15, 150],
      ['elbow', 'revolute', -3.1416, 3.1416, 3.1416, 15, 150],
      ['wrist', 'revolute', -3.1416, 3.1416, 3.1416, 15, 28],
    ]);
    expect(() => pianoArm(loadRobot('ur5e'))).toThrow(/ur5e: piano: this robot has no keyboard placement and fingers/);
  });

  it('draw without meshes: every link with a shape has a primitive <visual> and a colour', () => {
    for (const name of bundledRobots()) {
      const text = loadRobot(name).urdf!;
      expect(text).not.toMatch(/<mesh/);
      const visuals = text.match(/<visual>[\s\S]*?<\/visual>/g) ?? [];
      expect(visuals.length).toBeGreaterThan(3);
      for (const v of visuals) {
        expect(v).toMatch(/<(cylinder|box|sphere) /);
        expect(v).toMatch(/<material name="\w+"/);
      }
      for (const m of text.match(/<material name="\w+"\/>/g) ?? []) expect(text).toContain(`${m.slice(0, -2)}><color rgba=`);
    }
  });
});

describe('loading from files', () => {
  it('takes a .urdf with its sidecar beside it, a sidecar .json, and a resolved description .json', () => {
    copyFileSync(join(arms, 'ur5e.urdf'), join(dir, 'ur5e.urdf'));
    copyFileSync(join(arms, 'ur5e.engram.json'), join(dir, 'ur5e.engram.json'));
    const bundled = loadRobot('ur5e');
    expect(loadRobot(join(dir, 'ur5e.urdf'))).toEqual(bundled);
    expect(loadRobot(join(dir, 'ur5e.engram.json'))).toEqual(bundled);
    expect(loadSidecar(join(dir, 'ur5e.engram.json'))).toEqual(ur5eSidecar);
    writeFileSync(join(dir, 'resolved.json'), JSON.stringify(bundled));
    expect(loadRobot(join(dir, 'resolved.json'))).toEqual(bundled);
  });

  it('says how to give acceleration limits when a URDF has no sidecar', () => {
    copyFileSync(join(arms, 'panda.urdf'), join(dir, 'my-arm.urdf'));
    expect(() => loadRobot(join(dir, 'my-arm.urdf'))).toThrow(/my-arm\.urdf: \(sidecar\): no my-arm\.engram\.json beside it, and URDF has no acceleration limits: write one with .*"defaultAcceleration"/);
  });

  it('names the bundled robots when asked for one that is not', () => {
    expect(() => loadRobot('ur10')).toThrow(/ur10: \(robot\): is no bundled robot \(bundled: panda, ur5e, ur5e-planar\)/);
    writeFileSync(join(dir, 'no-urdf.engram.json'), JSON.stringify({ source: 'x', defaultAcceleration: 1 }));
    expect(() => loadRobot(join(dir, 'no-urdf.engram.json'))).toThrow(/no-urdf\.engram\.json: urdf: is missing: name the URDF file/);
    writeFileSync(join(dir, 'gone.engram.json'), JSON.stringify({ source: 'x', urdf: 'gone.urdf', defaultAcceleration: 1 }));
    expect(() => loadRobot(join(dir, 'gone.engram.json'))).toThrow(/gone\.urdf: \(file\): cannot be read: ENOENT/);
  });
});

describe('a URDF plus a sidecar', () => {
  it('moves every non-fixed, non-mimic joint of the chain; continuous joints get -2 pi..2 pi', () => {
    const r = robotFromUrdf(arm(), sidecar, 'arm.urdf');
    expect(r.name).toBe('arm');
    expect(r.joints).toEqual([
      { name: 'j1', type: 'revolute', min: -1, max: 1, maxSpeed: 2, maxAccel: 10, maxEffort: 10 },
      { name: 'j2', type: 'continuous', min: -2 * Math.PI, max: 2 * Math.PI, maxSpeed: 3, maxAccel: 10, maxEffort: 5 },
    ]);
    expect(r.chain!.map((c) => c.name)).toEqual(['j1', 'j2', 'tool']);
    expect(r.chain![1]).toEqual({ name: 'j2', type: 'continuous', parent: 'l1', child: 'l2', origin: { xyz: [0.5, 0, 0], rpy: [0, 0, 0] }, axis: [0, 1, 0] });
  });

  it('takes the sidecar\'s joints, order, accelerations, ranges, speed scale, name, and tool link', () => {
    const r = robotFromUrdf(arm(), { source: 's', name: 'mine', joints: ['j2', 'j1'], accelerations: { j1: 4, j2: 6 }, ranges: { j2: [-1, 2] }, velocityScale: 0.5, toolLink: 'l2' }, 'arm.urdf');
    expect(r.name).toBe('mine');
    expect(r.joints.map((j) => [j.name, j.min, j.max, j.maxSpeed, j.maxAccel])).toEqual([['j2', -1, 2, 1.5, 6], ['j1', -1, 1, 1, 4]]);
    expect(r.chain!.map((c) => c.name)).toEqual(['j1', 'j2']);
  });

  it('leaves mimic joints to follow and ignores branches without moving joints', () => {
    const joints = `${ARM_JOINTS}
  <joint name="finger" type="prismatic"><parent link="tip"/><child link="f1"/><axis xyz="0 1 0"/><limit lower="0" upper="0.04" velocity="0.2" effort="20"/>
    <mimic joint="j2" multiplier="0.01"/></joint>
  <joint name="camera" type="fixed"><parent link="l1"/><child link="cam"/></joint>`;
    const r = robotFromUrdf(arm(joints, ['base', 'l1', 'l2', 'tip', 'f1', 'cam']), sidecar, 'arm.urdf');
    expect(r.joints.map((j) => j.name)).toEqual(['j1', 'j2']);
    expect(r.chain!.at(-1)).toMatchObject({ name: 'finger', mimic: { joint: 'j2', multiplier: 0.01, offset: 0 } });
  });

  it('is accepted as a robot\'s published message, as is a resolved description', () => {
    const r = describeRobotMessage({ urdf: ur5eUrdf, engram: ur5eSidecar }, 'engram/robots/ur/description');
    expect(r).toEqual(loadRobot('ur5e'));
    expect(describeRobotMessage(JSON.parse(JSON.stringify(r)), 'msg')).toEqual(r);
    expect(() => describeRobotMessage({ urdf: 42, engram: ur5eSidecar }, 'msg')).toThrow(/msg: urdf: must be the URDF text/);
    expect(() => describeRobotMessage({ urdf: ur5eUrdf, engram: { source: 'x' } }, 'msg')).toThrow(/msg: engram: accelerations\.shoulder_pan_joint: is missing/);
    expect(() => describeRobotMessage({ joints: [] }, 'msg')).toThrow(/msg: name: must be a non-empty string/);
  });
});

describe('a malformed URDF', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a revolute joint without <limit>', arm(ARM_JOINTS.replace(/<limit lower="-1"[^>]*\/>/, '')), /^arm\.urdf: <joint name="j1"> <limit>: is missing: a revolute joint needs one/],
    ['a limit that is no number', arm(ARM_JOINTS.replace('velocity="2"', 'velocity="fast"')), /^arm\.urdf: <joint name="j1"> <limit velocity>: must be a number, got "fast"$/],
    ['a negative speed', arm(ARM_JOINTS.replace('velocity="2"', 'velocity="-2"')), /^arm\.urdf: <joint name="j1"> <limit velocity>: must be a number >= 0, got -2$/],
    ['an origin of two numbers', arm(ARM_JOINTS.replace('xyz="0.5 0 0"', 'xyz="0.5 0"')), /^arm\.urdf: <joint name="j2"> <origin xyz>: must be 3 numbers separated by spaces/],
    ['unexpanded xacro', arm(ARM_JOINTS.replace('rpy="0 0 0"', 'rpy="0 ${pi/2} 0"')), /<joint name="j2"> <origin rpy>: .*unexpanded xacro: run xacro/],
    ['a zero axis', arm(ARM_JOINTS.replace('<axis xyz="0 1 0"/>', '<axis xyz="0 0 0"/>')), /^arm\.urdf: <joint name="j2"> <axis xyz>: must not be zero$/],
    ['an unknown parent link', arm(ARM_JOINTS.replace('<parent link="l1"/>', '<parent link="l9"/>')), /^arm\.urdf: <joint name="j2"> <parent link>: names no <link> \("l9"\)$/],
    ['a joint without a child', arm(ARM_JOINTS.replace('<child link="l2"/>', '')), /^arm\.urdf: <joint name="j2"> <child>: is missing$/],
    ['a floating joint', arm(ARM_JOINTS.replace('type="fixed"', 'type="floating"')), /^arm\.urdf: <joint name="tool" type>: floating joints are not supported/],
    ['an unknown joint type', arm(ARM_JOINTS.replace('type="fixed"', 'type="ball"')), /^arm\.urdf: <joint name="tool" type>: must be revolute, continuous, prismatic or fixed, got "ball"$/],
    ['a link named twice', arm(ARM_JOINTS, ['base', 'l1', 'l2', 'tip', 'l1']), /^arm\.urdf: <link name="l1">: names a link twice$/],
    ['a bad mass', arm().replace('<mass value="1"/>', '<mass value="heavy"/>'), /^arm\.urdf: <link name="base"> <inertial> <mass value>: must be a number, got "heavy"$/],
    ['a loop', arm(`${ARM_JOINTS}\n  <joint name="back" type="fixed"><parent link="tip"/><child link="base"/></joint>`), /^arm\.urdf: <joint name="\w+">: closes a loop .*: a URDF is a tree$/],
    ['a link with two parents', arm(`${ARM_JOINTS}\n  <joint name="again" type="fixed"><parent link="base"/><child link="l2"/></joint>`), /^arm\.urdf: <joint name="again"> <child link>: link "l2" is already the child of joint "j2"/],
    ['two trees', arm(ARM_JOINTS, ['base', 'l1', 'l2', 'tip', 'stray']), /^arm\.urdf: <robot>: its links form 2 separate trees \(roots "base", "stray"\)/],
    ['a mimic of no joint', arm(ARM_JOINTS.replace('<limit velocity="3" effort="5"/>', '<limit velocity="3" effort="5"/><mimic joint="j9"/>')), /^arm\.urdf: <joint name="j2"> <mimic joint>: names no <joint> \("j9"\)$/],
    ['no <robot>', '<?xml version="1.0"?>\n<robots name="x"/>', /^arm\.urdf: <robot>: is missing/],
    ['a robot without a name', arm().replace('<robot name="arm">', '<robot>'), /^arm\.urdf: <robot name>: is missing$/],
    ['empty text', '  ', /^arm\.urdf: \(urdf\): is empty/],
  ];
  for (const [what, text, error] of cases) {
    it(`is refused, naming the element and attribute: ${what}`, () => {
      expect(() => robotFromUrdf(text, sidecar, 'arm.urdf')).toThrow(error);
    });
  }

  it('with an XML syntax error is refused with its line and column', () => {
    const broken = arm().replace('<link name="l2">', '<link name="l2"');
    const line = broken.split('\n').findIndex((l) => l.includes('<link name="l2"')) + 1;
    expect(() => parseUrdf(broken, 'arm.urdf')).toThrow(new RegExp(`^arm\\.urdf: line ${line}, column \\d+: not well-formed XML: `));
    expect(() => parseUrdf(arm().replace('</robot>', ''), 'arm.urdf')).toThrow(/^arm\.urdf: line \d+, column \d+: not well-formed XML: /);
  });

  it('never echoes large input', () => {
    const huge = 'x'.repeat(100_000);
    for (const text of [arm(ARM_JOINTS.replace('name="j1"', `name="${huge}"`)).replace('velocity="2"', 'velocity="?"'), arm(ARM_JOINTS.replace('velocity="2"', `velocity="${huge}"`)), `<robot name="a"><link name="${huge}"`]) {
      let message = '';
      try {
        robotFromUrdf(text, sidecar, 'arm.urdf');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^arm\.urdf: /);
      expect(message.length).toBeLessThan(400);
    }
  });
});

describe('the chain and the sidecar', () => {
  const branching = arm(`${ARM_JOINTS}\n  <joint name="pan" type="revolute"><parent link="l1"/><child link="cam"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" velocity="1" effort="1"/></joint>`, ['base', 'l1', 'l2', 'tip', 'cam']);

  it('a branching tree without toolLink is an error naming the branch; with toolLink it is a chain', () => {
    expect(() => robotFromUrdf(branching, sidecar, 'arm.urdf')).toThrow(/^arm\.urdf: <link name="l1">: the tree branches here into joints "j2", "pan": name the tool link in the sidecar \(toolLink\)$/);
    expect(robotFromUrdf(branching, { ...sidecar, toolLink: 'cam' }, 'arm.urdf').joints.map((j) => j.name)).toEqual(['j1', 'pan']);
    expect(robotFromUrdf(branching, { ...sidecar, toolLink: 'tip' }, 'arm.urdf').joints.map((j) => j.name)).toEqual(['j1', 'j2']);
  });

  const cases: Array<[string, Sidecar, RegExp]> = [
    ['no acceleration for a joint', { source: 's', accelerations: { j1: 5 } }, /^arm\.engram\.json: accelerations\.j2: is missing: URDF has no acceleration limits; give accelerations\.<joint>/],
    ['an acceleration for a joint it does not move', { ...sidecar, accelerations: { j3: 5 } }, /^arm\.engram\.json: accelerations\.j3: names no joint engram moves$/],
    ['a range for a joint it does not move', { ...sidecar, ranges: { tool: [0, 1] } }, /^arm\.engram\.json: ranges\.tool: names no joint engram moves$/],
    ['a joint the URDF does not have', { ...sidecar, joints: ['j1', 'j7'] }, /^arm\.engram\.json: joints\[1\]: names no <joint> in the URDF \("j7"\)$/],
    ['a fixed joint to move', { ...sidecar, joints: ['tool'] }, /^arm\.engram\.json: joints\[0\]: joint "tool" is fixed: it cannot be moved$/],
    ['an unknown tool link', { ...sidecar, toolLink: 'hand' }, /^arm\.engram\.json: toolLink: names no <link> in the URDF \("hand"\)$/],
    ['a tool link above the base link', { ...sidecar, baseLink: 'l2', toolLink: 'l1' }, /^arm\.engram\.json: toolLink: link "l1" does not lie below baseLink "l2"$/],
    ['a piano placement on a 2-joint arm', { ...sidecar, piano: { base: { x: 0, y: 0.3 }, elbow: 'cw' }, hand: { fingers: 5, spacing: 0.0139, travel: 0.01, strokeTime: 0.01, maxForce: 10, mass: 0.2 } }, /piano: a piano arm is planar with 3 joints/],
  ];
  for (const [what, s, error] of cases) {
    it(`a sidecar with ${what} is refused, naming the field`, () => {
      expect(() => robotFromUrdf(arm(), s, 'arm.urdf', 'arm.engram.json')).toThrow(error);
    });
  }

  it('a piano arm takes its link lengths and masses from the URDF, and needs every mass', () => {
    const planar = readFileSync(join(arms, 'ur5e-planar.urdf'), 'utf8');
    const piano = JSON.parse(readFileSync(join(arms, 'ur5e-planar.engram.json'), 'utf8')) as Sidecar;
    const longer = planar.replace(/(<joint name="wrist"[\s\S]*?)<origin xyz="0.392 0 0"/, '$1<origin xyz="0.3 0.2 0"');
    expect(robotFromUrdf(longer, piano, 'p.urdf').piano!.links[1]!.length).toBeCloseTo(Math.hypot(0.3, 0.2), 12);
    const massless = planar.replace(/(<link name="forearm">[\s\S]*?)<inertial>[\s\S]*?<\/inertial>/, '$1');
    expect(() => robotFromUrdf(massless, piano, 'p.urdf')).toThrow(/^p\.urdf: <link name="forearm"> <inertial> <mass value>: is missing: a piano arm needs the mass of each link$/);
  });

  it('a sidecar of the wrong shape is refused, naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[], /^s\.json: \(root\): must be an object/],
      [{ defaultAcceleration: 1 }, /^s\.json: source: must be a non-empty string, got nothing$/],
      [{ source: 's', acceleration: { j1: 1 } }, /^s\.json: acceleration: is not a sidecar field/],
      [{ source: 's', defaultAcceleration: 0 }, /^s\.json: defaultAcceleration: must be a number > 0, got 0$/],
      [{ source: 's', accelerations: { j1: 'fast' } }, /^s\.json: accelerations\.j1: must be a number > 0, got "fast"$/],
      [{ source: 's', ranges: { j1: [1, -1] } }, /^s\.json: ranges\.j1: must be \[min, max\] with min < max, got \[1,-1\]$/],
      [{ source: 's', joints: ['a', 'a'] }, /^s\.json: joints\[1\]: names joint "a" twice$/],
      [{ source: 's', velocityScale: 2 }, /^s\.json: velocityScale: must be a number > 0 and <= 1, got 2$/],
      [{ source: 's', piano: { base: { x: 0, y: 0 }, elbow: 'up' } }, /^s\.json: piano\.elbow: must be "cw" or "ccw"$/],
      [{ source: 's', piano: { base: { x: 0, y: 0 }, elbow: 'cw' } }, /^s\.json: hand: a piano arm needs a hand/],
    ];
    for (const [raw, error] of bad) expect(() => validateSidecar(raw, 's.json')).toThrow(error);
  });
});
