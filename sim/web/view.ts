import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { isBlack, type KeyboardDescription, type PianoArm } from '../../robots/description.js';
import { Emitter } from '../../robots/events.js';
import { PlanarArmMesh } from './planar-arm.js';

/** Where the camera looks from, relative to what it frames: in front and a little above. */
const VIEW_DIRECTION = new THREE.Vector3(0, 0.42, 1).normalize();
const _corner = new THREE.Vector3();
const _right = new THREE.Vector3();
const _up = new THREE.Vector3();
const _centre = new THREE.Vector3();

/**
 * The Three.js view: the keyboard in the vertical plane along it (x along the keys, y up), seen from the
 * front and a little above, the arms of a recorded performance, and whatever else is added (the live
 * robots). It only draws: poses come from the recorded physics or the robots' joint states. The camera
 * frames every box it is given (setFrame), so every robot is in view.
 */
export class StageView {
  readonly renderer: THREE.WebGLRenderer;
  readonly camera: THREE.PerspectiveCamera;
  readonly container: HTMLElement;
  /** 'render' after each frame drawn (labels follow the robots then). */
  readonly events = new Emitter<{ render: void }>();
  readonly #scene = new THREE.Scene();
  readonly #keyGroup = new THREE.Group();
  readonly #recorded = new THREE.Group();
  #keys: THREE.Mesh[] = [];
  #keyRest: number[] = [];
  #keyMaterial: THREE.Material[] = [];
  readonly #pressedWhite = new THREE.MeshStandardMaterial({ color: 0x6fd3a8, emissive: 0x1f6b4c, roughness: 0.5 });
  readonly #pressedBlack = new THREE.MeshStandardMaterial({ color: 0x2f9c74, emissive: 0x0f4a33, roughness: 0.4 });
  readonly #down = new Set<number>();
  #arms: PlanarArmMesh[] = [];
  #kb: KeyboardDescription | null = null;
  readonly #frames = new Map<string, THREE.Box3>();
  readonly #floor: THREE.Mesh;
  /** Drag to turn, wheel to zoom, right-drag to pan; reset whenever what is framed changes. */
  readonly #controls: OrbitControls;
  #renderQueued = false;
  /** Frames drawn so far. */
  renders = 0;

  constructor(container: HTMLElement) {
    this.container = container;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    container.appendChild(this.renderer.domElement);
    this.camera = new THREE.PerspectiveCamera(32, 2, 0.05, 100);
    this.#scene.background = new THREE.Color(0x0c1014);
    this.#scene.add(new THREE.HemisphereLight(0xdde8ff, 0x202830, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(0.3, 1.5, 1.2);
    this.#scene.add(sun);
    // a platform under what is framed (sized in #frame): a small floor keeps software rendering cheap
    const floor = new THREE.Mesh(new THREE.PlaneGeometry(1, 1), new THREE.MeshLambertMaterial({ color: 0x151b21 }));
    floor.rotation.x = -Math.PI / 2;
    floor.position.y = StageView.FLOOR;
    this.#floor = floor;
    this.#scene.add(floor, this.#keyGroup, this.#recorded);
    this.#controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.#controls.maxPolarAngle = Math.PI / 2 - 0.02; // not under the floor
    this.#controls.addEventListener('change', () => this.requestRender());
    const resize = () => {
      const w = container.clientWidth || 800;
      const h = container.clientHeight || 380;
      this.renderer.setSize(w, h, false);
      this.renderer.domElement.style.width = '100%';
      this.renderer.domElement.style.height = '100%';
      this.camera.aspect = w / h;
      this.#frame();
      this.requestRender();
    };
    resize();
    window.addEventListener('resize', resize);
  }

  /** Height of the floor, m (the keys' tops are at 0). */
  static readonly FLOOR = -0.05;

  /** Shows this keyboard (once: the same keyboard is not rebuilt). */
  keyboard(kb: KeyboardDescription): void {
    if (this.#kb && this.#kb.name === kb.name && this.#kb.keys === kb.keys && this.#kb.slot === kb.slot) return;
    this.#keyGroup.clear();
    this.#kb = kb;
    this.#keys = [];
    this.#keyRest = [];
    this.#keyMaterial = [];
    this.#down.clear();
    const white = new THREE.MeshStandardMaterial({ color: 0xf2efe6, roughness: 0.5 });
    const black = new THREE.MeshStandardMaterial({ color: 0x1b1b1f, roughness: 0.4 });
    for (let i = 0; i < kb.keys; i++) {
      const pitch = kb.lowest + i;
      const blackKey = isBlack(pitch);
      const h = 0.02;
      const key = new THREE.Mesh(new THREE.BoxGeometry(kb.slot * 0.92, h, blackKey ? 0.09 : 0.15), blackKey ? black : white);
      key.position.set((i + 0.5) * kb.slot, (blackKey ? kb.blackRaise : 0) - h / 2, blackKey ? -0.03 : 0);
      this.#keyGroup.add(key);
      this.#keys.push(key);
      this.#keyRest.push(key.position.y);
      this.#keyMaterial.push(key.material as THREE.Material);
    }
    // the keyboard and the space the arms work in above it
    const width = kb.keys * kb.slot;
    this.setFrame('keyboard', new THREE.Box3(new THREE.Vector3(-0.05, StageView.FLOOR, -0.1), new THREE.Vector3(width + 0.05, 0.6, 0.1)));
  }

  /** Builds the keyboard and the arms of a recording. */
  build(kb: KeyboardDescription, robots: PianoArm[]): void {
    this.keyboard(kb);
    for (const a of this.#arms) a.dispose();
    const colours = [0x6fd3a8, 0x7fb0ff];
    this.#arms = robots.map((robot, k) => new PlanarArmMesh(robot, colours[k % 2]!));
    for (const a of this.#arms) this.#recorded.add(a.group);
    this.#recorded.visible = true;
  }

  /** Whether the recorded arms are shown. */
  get recordingShown(): boolean {
    return this.#recorded.visible && this.#arms.length > 0;
  }

  showRecording(visible: boolean): void {
    this.#recorded.visible = visible;
    this.requestRender();
  }

  /** Poses the recorded arms: per arm [q0, q1, q2, finger extensions...]. */
  pose(frame: number[][]): void {
    this.#arms.forEach((arm, k) => {
      const f = frame[k];
      if (f) arm.pose(f);
    });
  }

  /** A key that sounds is drawn at the key bed and lit. */
  setKey(pitch: number, down: boolean): void {
    if (!this.#kb) return;
    const i = pitch - this.#kb.lowest;
    const key = this.#keys[i];
    if (!key) return;
    key.position.y = this.#keyRest[i]! - (down ? this.#kb.travel : 0);
    key.material = down ? (isBlack(pitch) ? this.#pressedBlack : this.#pressedWhite) : this.#keyMaterial[i]!;
    if (down) this.#down.add(pitch);
    else this.#down.delete(pitch);
  }

  /** Lets every key up. */
  releaseKeys(): void {
    for (const pitch of [...this.#down]) this.setKey(pitch, false);
  }

  /** The keys drawn down now, lowest first. */
  keysDown(): number[] {
    return [...this.#down].sort((a, b) => a - b);
  }

  /** The recorded arms' joint angles as drawn now, per arm [q0, q1, q2]. */
  armAngles(): number[][] {
    return this.#arms.map((a) => [...a.q]);
  }

  add(object: THREE.Object3D): void {
    this.#scene.add(object);
  }

  /** A region the camera keeps in view, by name (null forgets it). */
  setFrame(name: string, box: THREE.Box3 | null): void {
    if (box) this.#frames.set(name, box.clone());
    else this.#frames.delete(name);
    this.#frame();
    this.requestRender();
  }

  /** Camera in front of and above everything framed, just far enough that every corner is in view. */
  #frame(): void {
    const all = new THREE.Box3();
    for (const b of this.#frames.values()) all.union(b);
    if (all.isEmpty()) all.set(new THREE.Vector3(-0.5, StageView.FLOOR, -0.2), new THREE.Vector3(0.5, 0.5, 0.2));
    all.getCenter(_centre);
    const cam = this.camera;
    const tanV = Math.tan(THREE.MathUtils.degToRad(cam.fov / 2));
    const tanH = tanV * cam.aspect;
    _right.set(1, 0, 0);
    _up.crossVectors(VIEW_DIRECTION, _right); // the camera's up
    let distance = 0.3;
    for (let i = 0; i < 8; i++) {
      _corner.set(i & 1 ? all.max.x : all.min.x, i & 2 ? all.max.y : all.min.y, i & 4 ? all.max.z : all.min.z).sub(_centre);
      const towards = _corner.dot(VIEW_DIRECTION);
      distance = Math.max(distance, towards + Math.abs(_corner.dot(_right)) / tanH, towards + Math.abs(_corner.dot(_up)) / tanV);
    }
    cam.position.copy(_centre).addScaledVector(VIEW_DIRECTION, distance * 1.04);
    const size = all.getSize(_corner);
    this.#floor.scale.set(size.x + 1.5, size.z + 1.5, 1);
    this.#floor.position.x = _centre.x;
    this.#floor.position.z = _centre.z;
    cam.lookAt(_centre);
    cam.updateProjectionMatrix();
    // (the constructor frames once before the controls exist)
    if (this.#controls) {
      this.#controls.target.copy(_centre);
      this.#controls.update();
    }
  }

  /** Where a point in the scene is on screen: CSS pixels from the stage's top left corner. */
  toScreen(p: THREE.Vector3): { x: number; y: number } {
    const v = p.clone().project(this.camera);
    return { x: ((v.x + 1) / 2) * this.container.clientWidth, y: ((1 - v.y) / 2) * this.container.clientHeight };
  }

  /** Draws on the next animation frame (many requests, one frame). */
  requestRender(): void {
    if (this.#renderQueued) return;
    this.#renderQueued = true;
    requestAnimationFrame(() => this.render());
  }

  render(): void {
    this.#renderQueued = false;
    this.renderer.render(this.#scene, this.camera);
    this.renders++;
    this.events.emit('render', undefined);
  }
}
