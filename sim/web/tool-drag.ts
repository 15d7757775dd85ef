import * as THREE from 'three';
import { Emitter } from '../../robots/events.js';
import { SerialChain } from '../../robots/kinematics.js';
import type { LiveRobots } from './live-robots.js';
import type { StageView } from './view.js';

/** How near the tool (CSS px) a press must be to grab it rather than turn the view. */
const GRAB_PX = 28;

/**
 * Dragging a robot's tool in the 3D view: a press on the tool grabs it (instead of turning the view),
 * the pointer moves it in the plane facing the camera through where it was grabbed, and inverse
 * kinematics (robots/kinematics.ts, the robot's chain, seeded at its last answer) turns each point into
 * joint positions within the joints' ranges: 'target' events, which the teach panel jogs the robot to.
 * A point out of reach gives 'unreachable' and the last reachable answer stands.
 */
export class ToolDrag {
  readonly events = new Emitter<{ target: { positions: number[] }; unreachable: { point: number[] }; grab: { on: boolean } }>();
  readonly #view: StageView;
  readonly #live: LiveRobots;
  readonly #robot: () => string | null;
  #chain: { id: string; name: string; chain: SerialChain } | null = null;
  #drag: { plane: THREE.Plane; seed: Float64Array; pointer: number } | null = null;
  readonly #marker = new THREE.Mesh(new THREE.SphereGeometry(0.03, 16, 10), new THREE.MeshBasicMaterial({ color: 0xffd866, transparent: true, opacity: 0.8 }));
  /** Targets solved and refused so far (for the tests). */
  solved = 0;
  refused = 0;

  constructor(view: StageView, live: LiveRobots, robot: () => string | null) {
    this.#view = view;
    this.#live = live;
    this.#robot = robot;
    this.#marker.visible = false;
    view.add(this.#marker);
    const el = view.container;
    // capture: a press on the tool never reaches the orbit controls on the canvas
    el.addEventListener('pointerdown', (e) => this.#down(e), { capture: true });
    el.addEventListener('pointermove', (e) => this.#move(e), { capture: true });
    el.addEventListener('pointerup', (e) => this.#up(e), { capture: true });
    el.addEventListener('pointercancel', (e) => this.#up(e), { capture: true });
  }

  get dragging(): boolean {
    return this.#drag !== null;
  }

  /** The chosen robot's chain and model, when it has both (a robot known by its URDF or chain). */
  #target(): { chain: SerialChain; urdf: NonNullable<ReturnType<LiveRobots['robot']>>['urdf'] & object; positions: number[] } | null {
    const id = this.#robot();
    const r = id ? this.#live.robot(id) : null;
    if (!id || !r?.urdf || !r.description.chain?.length || !r.state) return null;
    if (this.#chain?.id !== id || this.#chain.name !== r.description.name) this.#chain = { id, name: r.description.name, chain: new SerialChain(r.description) };
    return { chain: this.#chain.chain, urdf: r.urdf, positions: r.state.positions };
  }

  #toolWorld(urdf: { tool: THREE.Object3D; root: THREE.Object3D }): THREE.Vector3 {
    urdf.root.updateMatrixWorld(true);
    return urdf.tool.getWorldPosition(new THREE.Vector3());
  }

  #pointer(e: PointerEvent): { x: number; y: number } {
    const r = this.#view.container.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  #down(e: PointerEvent): void {
    if (e.button !== 0) return;
    const t = this.#target();
    if (!t) return;
    const tool = this.#toolWorld(t.urdf);
    const at = this.#view.toScreen(tool);
    const p = this.#pointer(e);
    if (Math.hypot(at.x - p.x, at.y - p.y) > GRAB_PX) return;
    e.stopPropagation();
    e.preventDefault();
    const normal = this.#view.camera.getWorldDirection(new THREE.Vector3()).negate();
    this.#drag = { plane: new THREE.Plane().setFromNormalAndCoplanarPoint(normal, tool), seed: Float64Array.from(t.positions), pointer: e.pointerId };
    this.#view.container.setPointerCapture(e.pointerId);
    this.#marker.position.copy(tool);
    this.#marker.visible = true;
    this.#view.requestRender();
    this.events.emit('grab', { on: true });
  }

  #move(e: PointerEvent): void {
    const d = this.#drag;
    if (!d) {
      // the tool can be grabbed here: say so with the cursor
      const t = this.#target();
      if (!t) return;
      const at = this.#view.toScreen(this.#toolWorld(t.urdf));
      const p = this.#pointer(e);
      this.#view.container.style.cursor = Math.hypot(at.x - p.x, at.y - p.y) <= GRAB_PX ? 'grab' : '';
      return;
    }
    if (e.pointerId !== d.pointer) return;
    e.stopPropagation();
    const t = this.#target();
    if (!t) return;
    const p = this.#pointer(e);
    const el = this.#view.container;
    const ndc = new THREE.Vector2((p.x / el.clientWidth) * 2 - 1, 1 - (p.y / el.clientHeight) * 2);
    const ray = new THREE.Raycaster();
    ray.setFromCamera(ndc, this.#view.camera);
    const world = ray.ray.intersectPlane(d.plane, new THREE.Vector3());
    if (!world) return;
    this.#marker.position.copy(world);
    this.#view.requestRender();
    // the point in the chain's base link frame: where the kinematics work
    const base = t.urdf.robot.links[t.chain.baseLink] ?? t.urdf.robot;
    base.updateMatrixWorld(true);
    const local = world.clone().applyMatrix4(base.matrixWorld.clone().invert());
    const q = t.chain.inverse([local.x, local.y, local.z], d.seed, { orientation: false, tolerance: 2e-3, restarts: 2 });
    if (!q) {
      this.refused++;
      this.events.emit('unreachable', { point: [local.x, local.y, local.z] });
      return;
    }
    d.seed = q;
    this.solved++;
    this.events.emit('target', { positions: Array.from(q) });
  }

  #up(e: PointerEvent): void {
    if (!this.#drag || e.pointerId !== this.#drag.pointer) return;
    e.stopPropagation();
    this.#drag = null;
    this.#marker.visible = false;
    this.#view.container.style.cursor = '';
    this.#view.requestRender();
    this.events.emit('grab', { on: false });
  }
}
