import * as THREE from 'three';
import URDFLoader, { type URDFJoint, type URDFLink, type URDFRobot } from 'urdf-loader';
import type { ChainJoint } from '../../robots/description.js';

const _v = new THREE.Vector3();

/**
 * A robot drawn from its URDF with urdf-loader: the links' primitive visuals (box, cylinder, sphere)
 * as the URDF gives them. Mesh files are not fetched (a robot's package:// meshes are not served by
 * the agent): a robot whose visuals are meshes, or that has none, is drawn as a skeleton instead, a rod
 * from each link's origin to each of its joints and a ball at every joint. URDF is z-up; `root` turns it
 * y-up for the scene.
 */
export class UrdfRobotView {
  readonly root = new THREE.Group();
  readonly robot: URDFRobot;
  /** The tool whose path is drawn. */
  readonly tool: URDFLink;
  readonly #materials = new Set<THREE.MeshStandardMaterial | THREE.MeshPhongMaterial>();

  /** `toolLink`: the link whose path is drawn (the end of the description's chain); else the deepest link. */
  constructor(urdf: string, toolLink?: string) {
    const loader = new URDFLoader();
    let meshFiles = 0;
    loader.loadMeshCb = (_url, _manager, _material, done) => {
      meshFiles++;
      done(new THREE.Object3D());
    };
    this.robot = loader.parse(urdf);
    if (!this.robot || !this.robot.isURDFRobot) throw new Error('URDF: no <robot> element');
    for (const j of Object.values(this.robot.joints)) j.ignoreLimits = true; // show what the robot reports
    let primitives = 0;
    this.robot.traverse((o) => {
      const m = o as THREE.Mesh;
      if (!m.isMesh) return;
      primitives++;
      // materials of its own, so one robot's tint does not colour another
      const own = (m.material as THREE.MeshPhongMaterial).clone();
      m.material = own;
      this.#materials.add(own);
    });
    if (primitives === 0 || meshFiles > 0) this.#skeleton();
    for (const m of this.#materials) m.userData.colour = m.color.getHex();
    this.tool = (toolLink !== undefined ? this.robot.links[toolLink] : undefined) ?? deepestLink(this.robot);
    this.robot.rotation.x = -Math.PI / 2; // z-up to y-up
    this.root.add(this.robot);
  }

  /** Rods and balls along the kinematic tree (for robots drawn without their meshes). */
  #skeleton(): void {
    const rod = new THREE.MeshStandardMaterial({ color: 0x9fb3c8, metalness: 0.4, roughness: 0.4 });
    const ball = new THREE.MeshStandardMaterial({ color: 0xffb86b, metalness: 0.3, roughness: 0.4 });
    this.#materials.add(rod).add(ball);
    const unit = new THREE.CylinderGeometry(0.025, 0.025, 1, 16);
    const sphere = new THREE.SphereGeometry(0.04, 20, 12);
    for (const j of Object.values(this.robot.joints)) {
      const parent = j.parent;
      if (!parent) continue;
      const length = j.position.length();
      if (length > 1e-4) {
        const r = new THREE.Mesh(unit, rod);
        r.scale.set(1, length, 1);
        r.position.copy(j.position).multiplyScalar(0.5);
        r.quaternion.setFromUnitVectors(new THREE.Vector3(0, 1, 0), _v.copy(j.position).normalize());
        parent.add(r);
      }
      if (j.jointType !== 'fixed') j.add(new THREE.Mesh(sphere, ball));
    }
  }

  /**
   * How far from its base axis (horizontally, m) the robot reaches: the furthest any link origin gets
   * over a fixed spread of poses across its joints' ranges (deterministic, so the layout is too).
   */
  get reach(): number {
    const movable = Object.values(this.robot.joints).filter((j) => j.jointType !== 'fixed');
    const keep = movable.map((j) => Number(j.jointValue[0] ?? 0));
    const links = Object.values(this.robot.links);
    const inv = new THREE.Matrix4().copy(this.robot.matrixWorld).invert();
    let most = 0;
    let seed = 12345;
    const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let k = 0; k < 64; k++) {
      for (const j of movable) {
        const ranged = j.jointType !== 'continuous' && Number(j.limit.upper) > Number(j.limit.lower);
        const lo = ranged ? Number(j.limit.lower) : -Math.PI;
        const hi = ranged ? Number(j.limit.upper) : Math.PI;
        const [a, b] = j.jointType === 'prismatic' ? [lo, hi] : [Math.max(-Math.PI, lo), Math.min(Math.PI, hi)];
        j.setJointValue(a + next() * (b - a));
      }
      this.robot.updateMatrixWorld(true);
      for (const l of links) {
        _v.setFromMatrixPosition(l.matrixWorld).applyMatrix4(inv); // in the robot's own (z-up) frame
        most = Math.max(most, Math.hypot(_v.x, _v.y));
      }
    }
    movable.forEach((j, i) => j.setJointValue(keep[i]!));
    this.robot.updateMatrixWorld(true);
    return most + 0.1;
  }

  /** The movable joints by name. */
  get joints(): Record<string, URDFJoint> {
    return this.robot.joints;
  }

  /** Sets the joints (names[i] to positions[i]); names the URDF lacks are skipped. */
  setJoints(names: readonly string[], positions: readonly number[]): void {
    for (let i = 0; i < names.length; i++) {
      const j = this.robot.joints[names[i]!];
      if (j && positions[i] !== undefined) j.setJointValue(positions[i]!);
    }
  }

  /** The joint values shown now, by joint name (movable joints only). */
  jointValues(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, j] of Object.entries(this.robot.joints)) if (j.jointType !== 'fixed') out[name] = Number(j.jointValue[0] ?? 0);
    return out;
  }

  /** Where the tool is (scene coordinates) at each of these joint positions; the shown pose is kept. */
  toolPath(names: readonly string[], positions: readonly (readonly number[])[]): THREE.Vector3[] {
    const keep = names.map((n) => Number(this.robot.joints[n]?.jointValue[0] ?? 0));
    const out = positions.map((q) => {
      this.setJoints(names, q);
      this.root.updateMatrixWorld(true);
      return this.tool.getWorldPosition(new THREE.Vector3());
    });
    this.setJoints(names, keep);
    this.root.updateMatrixWorld(true);
    return out;
  }

  /** Tints every part (a robot that is down or stopped) or restores its colours (null). */
  look(tint: number | null): void {
    for (const m of this.#materials) m.color.setHex(tint ?? (m.userData.colour as number));
  }

  dispose(): void {
    this.root.removeFromParent();
    for (const m of this.#materials) m.dispose();
    this.root.traverse((o) => (o as THREE.Mesh).geometry?.dispose());
  }
}

/** The link with the most joints between it and the base (the first such, in URDF order). */
function deepestLink(robot: URDFRobot): URDFLink {
  let best: URDFLink = robot;
  let bestDepth = -1;
  for (const link of Object.values(robot.links)) {
    let depth = 0;
    for (let o: THREE.Object3D | null = link.parent; o && o !== robot; o = o.parent) if ((o as URDFJoint).isURDFJoint) depth++;
    if (depth > bestDepth) (best = link), (bestDepth = depth);
  }
  return best;
}

/** URDF text for a robot known only by its kinematic chain (no visuals: it is drawn as a skeleton). */
export function chainUrdf(name: string, chain: readonly ChainJoint[]): string {
  const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const links = new Set<string>();
  for (const j of chain) links.add(j.parent).add(j.child);
  const big = 1e6;
  return [
    `<robot name="${esc(name)}">`,
    ...[...links].map((l) => `  <link name="${esc(l)}"/>`),
    ...chain.map(
      (j) =>
        `  <joint name="${esc(j.name)}" type="${j.type}"><parent link="${esc(j.parent)}"/><child link="${esc(j.child)}"/>` +
        `<origin xyz="${j.origin.xyz.join(' ')}" rpy="${j.origin.rpy.join(' ')}"/><axis xyz="${j.axis.join(' ')}"/>` +
        (j.type === 'revolute' || j.type === 'prismatic' ? `<limit lower="${-big}" upper="${big}" effort="1" velocity="1"/>` : '') +
        `</joint>`,
    ),
    '</robot>',
  ].join('\n');
}
