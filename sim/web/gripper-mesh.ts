import * as THREE from 'three';

/** Widest opening drawn between the fingers, m (a typical parallel gripper's stroke). */
const STROKE = 0.085;

/**
 * A parallel gripper drawn at a robot's tool: a palm and two fingers along the tool's z axis (the
 * flange's outward axis in ROS-Industrial URDFs), the fingers apart by how open it is. Its state
 * comes with the robot's joint states (0 = open .. 1 = closed); the URDF does not draw it.
 */
export class GripperMesh {
  readonly group = new THREE.Group();
  readonly #fingers: THREE.Mesh[];
  readonly #material = new THREE.MeshStandardMaterial({ color: 0xc9d1d9, metalness: 0.2, roughness: 0.6 });
  /** How closed it is as last drawn. */
  closure = 0;

  constructor(tool: THREE.Object3D) {
    const palm = new THREE.Mesh(new THREE.BoxGeometry(STROKE + 0.03, 0.03, 0.025), this.#material);
    palm.position.z = 0.0125;
    const finger = new THREE.BoxGeometry(0.012, 0.022, 0.05);
    this.#fingers = [-1, 1].map(() => new THREE.Mesh(finger, this.#material));
    for (const f of this.#fingers) f.position.z = 0.025 + 0.025;
    this.group.add(palm, ...this.#fingers);
    this.group.name = 'gripper';
    tool.add(this.group);
    this.set(0);
  }

  /** Shows the gripper `closure` closed (0 open .. 1 closed). */
  set(closure: number): void {
    this.closure = Math.min(1, Math.max(0, closure));
    const half = ((1 - this.closure) * STROKE) / 2 + 0.006;
    this.#fingers[0]!.position.x = -half;
    this.#fingers[1]!.position.x = half;
  }

  dispose(): void {
    this.group.removeFromParent();
    this.group.traverse((o) => (o as THREE.Mesh).geometry?.dispose());
    this.#material.dispose();
  }
}
