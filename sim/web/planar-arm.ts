import * as THREE from 'three';
import type { PianoArm } from '../../robots/description.js';
import { forward } from '../../robots/planar.js';

/**
 * A planar piano arm as meshes in the vertical plane along the keyboard (x along the keys, y up): three
 * links, their joints, a palm and the fingers. Posed from [q0, q1, q2, finger extensions...], whether
 * those come from a recorded performance or from a live robot's joint states.
 */
export class PlanarArmMesh {
  readonly group = new THREE.Group();
  readonly robot: PianoArm;
  /** The joint angles last shown. */
  readonly q: number[] = [0, 0, 0];
  readonly #links: THREE.Mesh[];
  readonly #joints: THREE.Mesh[];
  readonly #fingers: THREE.Mesh[];
  readonly #palm: THREE.Mesh;
  readonly #materials: THREE.MeshStandardMaterial[];

  constructor(robot: PianoArm, colour: number) {
    this.robot = robot;
    const mat = new THREE.MeshStandardMaterial({ color: colour, metalness: 0.3, roughness: 0.4 });
    const jointMat = new THREE.MeshStandardMaterial({ color: 0xc8d0d8, metalness: 0.6, roughness: 0.3 });
    const fingerMat = new THREE.MeshStandardMaterial({ color: 0xffb86b, metalness: 0.2, roughness: 0.5 });
    this.#materials = [mat, jointMat, fingerMat];
    for (const m of this.#materials) m.userData.colour = m.color.getHex();
    this.#links = robot.piano.links.map((l) => new THREE.Mesh(new THREE.BoxGeometry(l.length, 0.05, 0.06), mat));
    this.#joints = [0, 1, 2].map(() => new THREE.Mesh(new THREE.SphereGeometry(0.035, 20, 12), jointMat));
    const hand = robot.hand;
    this.#fingers = Array.from({ length: hand.fingers }, () => new THREE.Mesh(new THREE.BoxGeometry(hand.spacing * 0.7, 0.03, 0.05), fingerMat));
    this.#palm = new THREE.Mesh(new THREE.BoxGeometry(hand.fingers * hand.spacing, 0.02, 0.07), mat);
    this.group.add(...this.#links, ...this.#joints, ...this.#fingers, this.#palm);
  }

  /** [q0, q1, q2, finger extensions...]. */
  pose(f: readonly number[]): void {
    for (let i = 0; i < 3; i++) this.q[i] = f[i] ?? 0;
    const pts = [this.robot.piano.base, ...forward(this.robot, this.q)];
    for (let i = 0; i < 3; i++) {
      const a = pts[i]!;
      const b = pts[i + 1]!;
      const link = this.#links[i]!;
      link.position.set((a.x + b.x) / 2, (a.y + b.y) / 2, 0.05);
      link.rotation.z = Math.atan2(b.y - a.y, b.x - a.x);
      this.#joints[i]!.position.set(a.x, a.y, 0.05);
    }
    const hand = pts[3]!;
    this.#palm.position.set(hand.x, hand.y + 0.01, 0.05);
    const n = this.#fingers.length;
    this.#fingers.forEach((finger, j) => {
      const ext = f[3 + j] ?? 0;
      finger.position.set(hand.x + (j - (n - 1) / 2) * this.robot.hand.spacing, hand.y - ext + 0.015, 0.05);
    });
  }

  /**
   * The link (0 upper arm, 1 forearm, 2 wrist with the hand) a mesh of this arm belongs to, null for
   * none of its meshes: a joint's ball goes with the link it starts, the palm and the fingers with the wrist.
   */
  linkOf(o: THREE.Object3D): number | null {
    const mesh = o as THREE.Mesh;
    const link = this.#links.indexOf(mesh);
    if (link >= 0) return link;
    const joint = this.#joints.indexOf(mesh);
    if (joint >= 0) return joint;
    return mesh === this.#palm || this.#fingers.includes(mesh) ? 2 : null;
  }

  /** The meshes of link i (its bar; the wrist's palm and fingers too). */
  linkMeshes(i: number): THREE.Mesh[] {
    return [this.#links[i]!, ...(i === 2 ? [this.#palm, ...this.#fingers] : [])].filter((m) => m !== undefined);
  }

  /** The hand's position for joint angles q (for drawing a planned path). */
  handAt(q: readonly number[], out = new THREE.Vector3()): THREE.Vector3 {
    const h = forward(this.robot, q)[2]!;
    return out.set(h.x, h.y, 0.05);
  }

  /** Tints the arm (a robot that is down or stopped) or restores its colours (null); opacity for a ghost. */
  look(tint: number | null, opacity = 1): void {
    for (const m of this.#materials) {
      m.color.setHex(tint ?? (m.userData.colour as number));
      if (m.transparent !== opacity < 1) m.needsUpdate = true; // a new shader program
      m.transparent = opacity < 1;
      m.opacity = opacity;
    }
  }

  dispose(): void {
    this.group.removeFromParent();
    for (const m of this.#materials) m.dispose();
    this.group.traverse((o) => (o as THREE.Mesh).geometry?.dispose());
  }
}
