import * as THREE from 'three';
import { isBlack, type KeyboardDescription, type PianoArm } from '../../robots/description.js';
import { forward } from '../../robots/planar.js';

/**
 * The Three.js view: the keyboard and the arms in the vertical plane along the keyboard (x along the
 * keys, y up), seen from the front and a little above. It only draws: poses come from the recorded
 * physics, keys go down on the recorded key events.
 */
export class StageView {
  readonly renderer: THREE.WebGLRenderer;
  readonly #scene = new THREE.Scene();
  readonly #camera: THREE.PerspectiveCamera;
  #keys: THREE.Mesh[] = [];
  #keyRest: number[] = [];
  #arms: Array<{ robot: PianoArm; links: THREE.Mesh[]; joints: THREE.Mesh[]; fingers: THREE.Mesh[]; palm: THREE.Mesh }> = [];
  #kb: KeyboardDescription | null = null;

  constructor(container: HTMLElement) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    container.appendChild(this.renderer.domElement);
    this.#camera = new THREE.PerspectiveCamera(32, 2, 0.05, 20);
    this.#scene.background = new THREE.Color(0x0c1014);
    this.#scene.add(new THREE.HemisphereLight(0xdde8ff, 0x202830, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(0.3, 1.5, 1.2);
    this.#scene.add(sun);
    const floor = new THREE.Mesh(new THREE.PlaneGeometry(6, 3), new THREE.MeshStandardMaterial({ color: 0x151b21 }));
    floor.rotation.x = -Math.PI / 2;
    floor.position.y = -0.05;
    this.#scene.add(floor);
    const resize = () => {
      const w = container.clientWidth || 800;
      const h = container.clientHeight || 380;
      this.renderer.setSize(w, h, false);
      this.renderer.domElement.style.width = '100%';
      this.renderer.domElement.style.height = '100%';
      this.#camera.aspect = w / h;
      this.#camera.updateProjectionMatrix();
    };
    resize();
    window.addEventListener('resize', resize);
  }

  /** Builds the keyboard and the arms of a recording. */
  build(kb: KeyboardDescription, robots: PianoArm[]): void {
    for (const m of [...this.#keys, ...this.#arms.flatMap((a) => [...a.links, ...a.joints, ...a.fingers, a.palm])]) this.#scene.remove(m);
    this.#kb = kb;
    this.#keys = [];
    this.#keyRest = [];
    const white = new THREE.MeshStandardMaterial({ color: 0xf2efe6, roughness: 0.5 });
    const black = new THREE.MeshStandardMaterial({ color: 0x1b1b1f, roughness: 0.4 });
    for (let i = 0; i < kb.keys; i++) {
      const pitch = kb.lowest + i;
      const blackKey = isBlack(pitch);
      const h = 0.02;
      const geom = new THREE.BoxGeometry(kb.slot * 0.92, h, blackKey ? 0.09 : 0.15);
      const key = new THREE.Mesh(geom, blackKey ? black : white);
      const top = blackKey ? kb.blackRaise : 0;
      key.position.set((i + 0.5) * kb.slot, top - h / 2, blackKey ? -0.03 : 0);
      this.#scene.add(key);
      this.#keys.push(key);
      this.#keyRest.push(key.position.y);
    }
    const colours = [0x6fd3a8, 0x7fb0ff];
    this.#arms = robots.map((robot, k) => {
      const mat = new THREE.MeshStandardMaterial({ color: colours[k % 2], metalness: 0.3, roughness: 0.4 });
      const jointMat = new THREE.MeshStandardMaterial({ color: 0xc8d0d8, metalness: 0.6, roughness: 0.3 });
      const links = robot.piano.links.map((l) => new THREE.Mesh(new THREE.BoxGeometry(l.length, 0.05, 0.06), mat));
      const joints = [0, 1, 2].map(() => new THREE.Mesh(new THREE.SphereGeometry(0.035, 20, 12), jointMat));
      const hand = robot.hand;
      const fingerMat = new THREE.MeshStandardMaterial({ color: 0xffb86b, metalness: 0.2, roughness: 0.5 });
      const fingers = Array.from({ length: hand.fingers }, () => new THREE.Mesh(new THREE.BoxGeometry(hand.spacing * 0.7, 0.03, 0.05), fingerMat));
      const palm = new THREE.Mesh(new THREE.BoxGeometry(hand.fingers * hand.spacing, 0.02, 0.07), mat);
      for (const m of [...links, ...joints, ...fingers, palm]) this.#scene.add(m);
      return { robot, links, joints, fingers, palm };
    });
    const width = kb.keys * kb.slot;
    this.#camera.position.set(width / 2, 0.72, 1.45);
    this.#camera.lookAt(width / 2, 0.17, 0);
  }

  /** Poses the arms: per arm [q0, q1, q2, finger extensions...]. */
  pose(frame: number[][]): void {
    this.#arms.forEach((arm, k) => {
      const f = frame[k];
      if (!f) return;
      const q = f.slice(0, 3);
      const pts = [arm.robot.piano.base, ...forward(arm.robot, q)];
      for (let i = 0; i < 3; i++) {
        const a = pts[i]!;
        const b = pts[i + 1]!;
        const link = arm.links[i]!;
        link.position.set((a.x + b.x) / 2, (a.y + b.y) / 2, 0.05);
        link.rotation.z = Math.atan2(b.y - a.y, b.x - a.x);
        arm.joints[i]!.position.set(a.x, a.y, 0.05);
      }
      const hand = pts[3]!;
      arm.palm.position.set(hand.x, hand.y + 0.01, 0.05);
      const n = arm.fingers.length;
      arm.fingers.forEach((finger, j) => {
        const ext = f[3 + j] ?? 0;
        finger.position.set(hand.x + (j - (n - 1) / 2) * arm.robot.hand.spacing, hand.y - ext + 0.015, 0.05);
      });
    });
  }

  /** Key depth: a key that sounds is drawn at the key bed. */
  setKey(pitch: number, down: boolean): void {
    if (!this.#kb) return;
    const i = pitch - this.#kb.lowest;
    const key = this.#keys[i];
    if (key) key.position.y = this.#keyRest[i]! - (down ? this.#kb.travel : 0);
  }

  render(): void {
    this.renderer.render(this.#scene, this.#camera);
  }
}
