import * as THREE from 'three';
import type { URDFLink } from 'urdf-loader';
import { pianoArm, type RobotDescription } from '../../robots/description.js';
import { Emitter } from '../../robots/events.js';
import { SerialChain } from '../../robots/kinematics.js';
import { chainGrab, complianceStep, planarGrab, type ComplianceModel, type GrabbedPoint } from '../../robots/motion/compliance.js';
import type { LiveRobots } from './live-robots.js';
import type { PlanarArmMesh } from './planar-arm.js';
import type { UrdfRobotView } from './urdf-robot.js';
import type { StageView } from './view.js';

/** The hand's spring, N/m: 10 cm of pull is 20 N, a gentle push. */
const STIFFNESS = 200;
/** Joint damping, N m s/rad: 10 N m (20 N half a metre out) turns a joint 2.5 rad/s, before the speed limit. */
const DAMPING = 4;
/** How often the arm gives way while held, ms. */
const TICK_MS = 20;

/** What freedrive is doing, for people poking at the page and for the browser test (window.engramFreedrive.state). */
export interface FreedriveState {
  on: boolean;
  /** The link held now (null: none), the robot it belongs to, and the joints that give way (indices). */
  link: string | null;
  robot: string | null;
  moving: number[];
  /** The hand's force on the link now, N. */
  force: number;
  /** The arm's joints when last grabbed, and the last pose sent since (what the robot was jogged to). */
  from: number[] | null;
  sent: number[] | null;
  /** Grabs so far, compliance steps taken, targets sent to the jog. */
  grabs: number;
  steps: number;
  targets: number;
}

declare global {
  interface Window {
    engramFreedrive: {
      state: FreedriveState;
      /** A point of the robot's link on screen (page CSS px) that a press there grabs, or null. */
      linkOnScreen(robot: string, link: string): { x: number; y: number } | null;
    };
  }
}

/** The chosen robot as freedrive needs it: drawn from its URDF (with its chain) or as a piano arm, with its last state. */
interface Target {
  id: string;
  description: RobotDescription;
  urdf: UrdfRobotView | null;
  chain: SerialChain | null;
  planar: PlanarArmMesh | null;
  positions: number[];
}

/** A grab under way: where the hand pulls, in the model's frame (URDF: the chain's base link; a piano arm: the keyboard plane). */
interface Held {
  robot: string;
  link: string;
  grab: GrabbedPoint;
  model: ComplianceModel;
  /** The arm as freedrive commands it (what the jog is sent). */
  q: number[];
  sent: number[];
  hand: Float64Array;
  plane: THREE.Plane;
  /** From the model's frame to the scene and back. */
  toWorld: THREE.Matrix4;
  toModel: THREE.Matrix4;
  pointer: number;
  last: number;
  timer: ReturnType<typeof setInterval>;
}

/**
 * Freedrive of a robot in the 3D view, as a cobot's hand-guiding mode: while on, a press anywhere on
 * the arm grabs that link at that point, and the pointer pulls it (the plane facing the camera through
 * the point; a piano arm's plane is its own). The joints give way compliantly (robots/motion/compliance.ts:
 * tau = J^T F through the chain up to the grabbed link, velocity = tau / damping within speed limits and
 * ranges), stepped every 20 ms, and each new pose is a 'target' event that the teach panel jogs the
 * robot to through the agent (its safety gate and limits). Let go, the arm holds where it is; off,
 * presses turn the view and the arm is held.
 */
export class Freedrive {
  readonly events = new Emitter<{ target: { positions: number[] }; grab: { link: string | null } }>();
  readonly state: FreedriveState = { on: false, link: null, robot: null, moving: [], force: 0, from: null, sent: null, grabs: 0, steps: 0, targets: 0 };
  readonly #view: StageView;
  readonly #live: LiveRobots;
  readonly #robot: () => string | null;
  #chain: { id: string; name: string; chain: SerialChain } | null = null;
  #held: Held | null = null;
  readonly #ray = new THREE.Raycaster();
  readonly #point = new THREE.Mesh(new THREE.SphereGeometry(0.022, 16, 10), new THREE.MeshBasicMaterial({ color: 0xffd866, depthTest: false, transparent: true }));
  readonly #hand = new THREE.Mesh(new THREE.SphereGeometry(0.016, 16, 10), new THREE.MeshBasicMaterial({ color: 0xffffff, depthTest: false, transparent: true, opacity: 0.85 }));
  readonly #spring = new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3()]), new THREE.LineBasicMaterial({ color: 0xffd866, depthTest: false, transparent: true }));

  constructor(view: StageView, live: LiveRobots, robot: () => string | null) {
    this.#view = view;
    this.#live = live;
    this.#robot = robot;
    for (const o of [this.#point, this.#hand, this.#spring]) {
      o.visible = false;
      o.renderOrder = 10; // drawn over the arm
      view.add(o);
    }
    const el = view.container;
    // capture: a press on the arm never reaches the orbit controls on the canvas
    el.addEventListener('pointerdown', (e) => this.#down(e), { capture: true });
    el.addEventListener('pointermove', (e) => this.#move(e), { capture: true });
    el.addEventListener('pointerup', (e) => this.#up(e), { capture: true });
    el.addEventListener('pointercancel', (e) => this.#up(e), { capture: true });
    // the page lost the pointer (another window, a dialog): the hand has let go
    el.addEventListener('lostpointercapture', (e) => this.#up(e));
    window.engramFreedrive = { state: this.state, linkOnScreen: (id, link) => this.#linkOnScreen(id, link) };
  }

  get on(): boolean {
    return this.state.on;
  }

  /** Off lets go of the arm (it holds where it is) and leaves presses to the view. */
  set on(on: boolean) {
    this.state.on = on;
    if (!on) this.#release();
  }

  get dragging(): boolean {
    return this.#held !== null;
  }

  /** The robot did not take a pose (a refused jog): what freedrive commands starts again from where the arm is. */
  resync(): void {
    const h = this.#held;
    const s = h ? this.#live.robot(h.robot)?.state : null;
    if (h && s) h.q = [...s.positions];
  }

  // ---- what is under the pointer -----------------------------------------------------------------

  #pointer(e: { clientX: number; clientY: number }): THREE.Vector2 {
    const el = this.#view.container;
    const r = el.getBoundingClientRect();
    return new THREE.Vector2(((e.clientX - r.left) / el.clientWidth) * 2 - 1, 1 - ((e.clientY - r.top) / el.clientHeight) * 2);
  }

  /** The chosen robot, when freedrive can hold it. */
  #target(): Target | null {
    const id = this.#robot();
    const r = id ? this.#live.robot(id) : null;
    if (!id || !r?.state) return null;
    if (r.planar && r.description.piano && r.description.hand) return { id, description: r.description, urdf: null, chain: null, planar: r.planar, positions: r.state.positions };
    if (!r.urdf || !r.description.chain?.length) return null;
    if (this.#chain?.id !== id || this.#chain.name !== r.description.name) this.#chain = { id, name: r.description.name, chain: new SerialChain(r.description) };
    return { id, description: r.description, urdf: r.urdf, chain: this.#chain.chain, planar: null, positions: r.state.positions };
  }

  /** The chain link a URDF mesh belongs to: the nearest link above it that the chain has (links past the tool go with it). */
  #chainLinkOf(o: THREE.Object3D, urdf: UrdfRobotView, chain: SerialChain): string | null {
    for (let x: THREE.Object3D | null = o; x && x !== urdf.root; x = x.parent) {
      if ((x as URDFLink).isURDFLink && chain.linkIndex(x.name) !== null) return x.name;
    }
    return null;
  }

  /** What a ray through this screen point hits first: a link and the point on it (scene). */
  #hit(ndc: THREE.Vector2, t: Target): { link: string; index: number; point: THREE.Vector3 } | null {
    this.#ray.setFromCamera(ndc, this.#view.camera);
    const root = t.urdf?.root ?? t.planar!.group;
    root.updateMatrixWorld(true);
    for (const hit of this.#ray.intersectObject(root, true)) {
      if (!(hit.object as THREE.Mesh).isMesh || !hit.object.visible) continue;
      if (t.planar) {
        const i = t.planar.linkOf(hit.object);
        if (i !== null) return { link: t.planar.robot.piano.links[i]!.name, index: i, point: hit.point };
      } else {
        const link = this.#chainLinkOf(hit.object, t.urdf!, t.chain!);
        if (link !== null) return { link, index: t.chain!.linkIndex(link)!, point: hit.point };
      }
    }
    return null;
  }

  // ---- grabbing and pulling ----------------------------------------------------------------------

  #down(e: PointerEvent): void {
    if (!this.state.on || e.button !== 0 || this.#held) return;
    const t = this.#target();
    if (!t) return;
    const hit = this.#hit(this.#pointer(e), t);
    if (!hit) return; // not on the arm: the view turns
    e.stopPropagation();
    e.preventDefault();
    let grab: GrabbedPoint;
    const toWorld = new THREE.Matrix4();
    let plane: THREE.Plane;
    let local: THREE.Vector3;
    if (t.planar) {
      toWorld.copy(t.planar.group.matrixWorld);
      local = hit.point.clone().applyMatrix4(toWorld.clone().invert());
      grab = planarGrab(pianoArm(t.description), hit.index, { x: local.x, y: local.y }, t.positions);
      // the arm's own plane (its points have z = 0 in the model, the meshes sit a little in front)
      toWorld.multiply(new THREE.Matrix4().makeTranslation(0, 0, local.z));
      local.z = 0;
      plane = new THREE.Plane().setFromNormalAndCoplanarPoint(new THREE.Vector3(0, 0, 1).transformDirection(t.planar.group.matrixWorld), hit.point);
    } else {
      const base = t.urdf!.robot.links[t.chain!.baseLink] ?? t.urdf!.robot;
      base.updateMatrixWorld(true);
      toWorld.copy(base.matrixWorld);
      local = hit.point.clone().applyMatrix4(toWorld.clone().invert());
      grab = chainGrab(t.chain!, hit.link, [local.x, local.y, local.z], t.positions)!;
      plane = new THREE.Plane().setFromNormalAndCoplanarPoint(this.#view.camera.getWorldDirection(new THREE.Vector3()).negate(), hit.point);
    }
    const model: ComplianceModel = { joints: t.description.joints, stiffness: STIFFNESS, damping: DAMPING };
    this.#held = {
      robot: t.id,
      link: hit.link,
      grab,
      model,
      q: [...t.positions],
      sent: [...t.positions],
      hand: Float64Array.of(local.x, local.y, local.z),
      plane,
      toWorld,
      toModel: toWorld.clone().invert(),
      pointer: e.pointerId,
      last: performance.now(),
      timer: setInterval(() => this.#tick(), TICK_MS),
    };
    this.#view.container.setPointerCapture(e.pointerId);
    this.#view.container.style.cursor = 'grabbing';
    Object.assign(this.state, { link: hit.link, robot: t.id, moving: grab.moves.flatMap((m, j) => (m ? [j] : [])), force: 0, from: [...t.positions], sent: null, grabs: this.state.grabs + 1 });
    this.#draw();
    this.events.emit('grab', { link: hit.link });
  }

  #move(e: PointerEvent): void {
    const h = this.#held;
    if (!h) {
      // the arm can be grabbed here: say so with the cursor
      if (!this.state.on) return;
      const t = this.#target();
      if (t) this.#view.container.style.cursor = this.#hit(this.#pointer(e), t) ? 'grab' : '';
      return;
    }
    if (e.pointerId !== h.pointer) return;
    e.stopPropagation();
    this.#ray.setFromCamera(this.#pointer(e), this.#view.camera);
    const world = this.#ray.ray.intersectPlane(h.plane, new THREE.Vector3());
    if (!world) return;
    const p = world.applyMatrix4(h.toModel);
    h.hand.set([p.x, p.y, p.z]);
    this.#draw();
  }

  #up(e: PointerEvent): void {
    if (!this.#held || e.pointerId !== this.#held.pointer) return;
    e.stopPropagation();
    this.#release();
  }

  /** Lets go: no force, no more steps; the last pose sent is where the arm stays. */
  #release(): void {
    const h = this.#held;
    if (!h) return;
    clearInterval(h.timer);
    this.#held = null;
    Object.assign(this.state, { link: null, robot: null, moving: [], force: 0 });
    for (const o of [this.#point, this.#hand, this.#spring]) o.visible = false;
    this.#view.container.style.cursor = '';
    this.#view.requestRender();
    this.events.emit('grab', { link: null });
  }

  /** One step of the arm giving way to the hand, and the pose it reached sent on when it moved. */
  #tick(): void {
    const h = this.#held;
    if (!h) return;
    if (h.robot !== this.#robot()) return this.#release(); // another robot chosen
    const now = performance.now();
    const step = complianceStep(h.q, h.grab, h.hand, h.model, (now - h.last) / 1000);
    h.last = now;
    h.q = step.q;
    this.state.steps++;
    this.state.force = Math.hypot(...step.force);
    if (step.q.some((q, j) => Math.abs(q - h.sent[j]!) > 1e-4)) {
      h.sent = [...step.q];
      this.state.sent = [...step.q];
      this.state.targets++;
      this.events.emit('target', { positions: [...step.q] });
    }
    this.#draw();
  }

  /** The grabbed point on the arm as drawn (the robot's last state), the hand, and the spring between them. */
  #draw(): void {
    const h = this.#held;
    const s = h ? this.#live.robot(h.robot)?.state : null;
    if (!h || !s) return;
    const p = new Float64Array(3);
    h.grab.at(s.positions, p, new Float64Array(3 * h.model.joints.length));
    const at = new THREE.Vector3(p[0], p[1], p[2]).applyMatrix4(h.toWorld);
    const hand = new THREE.Vector3(h.hand[0], h.hand[1], h.hand[2]).applyMatrix4(h.toWorld);
    this.#point.position.copy(at);
    this.#hand.position.copy(hand);
    this.#spring.geometry.setFromPoints([at, hand]);
    for (const o of [this.#point, this.#hand, this.#spring]) o.visible = true;
    this.#view.requestRender();
  }

  /** For the browser test: a screen point (page px) where a press grabs this link first. */
  #linkOnScreen(id: string, link: string): { x: number; y: number } | null {
    const r = this.#live.robot(id);
    const t = id === this.#robot() ? this.#target() : null;
    if (!r || !t) return null;
    let meshes: THREE.Mesh[] = [];
    if (t.planar) {
      const i = t.planar.robot.piano.links.findIndex((l) => l.name === link);
      if (i >= 0) meshes = t.planar.linkMeshes(i);
    } else {
      const l = t.urdf!.robot.links[link];
      // the link's own meshes, not those of the links past its joints
      const walk = (o: THREE.Object3D) => {
        for (const c of o.children) {
          if ((c as { isURDFJoint?: boolean }).isURDFJoint) continue;
          if ((c as THREE.Mesh).isMesh) meshes.push(c as THREE.Mesh);
          walk(c);
        }
      };
      if (l) walk(l);
    }
    const el = this.#view.container;
    const rect = el.getBoundingClientRect();
    (t.urdf?.root ?? t.planar!.group).updateMatrixWorld(true);
    const hits = (x: number, y: number) => this.#hit(new THREE.Vector2((x / el.clientWidth) * 2 - 1, 1 - (y / el.clientHeight) * 2), t)?.link === link;
    let edge: { x: number; y: number } | null = null;
    for (const m of meshes) {
      const box = new THREE.Box3().setFromObject(m);
      const centre = box.getCenter(new THREE.Vector3());
      const size = box.getSize(new THREE.Vector3());
      // its middle, then along its longest side
      const axis = size.x >= size.y && size.x >= size.z ? new THREE.Vector3(size.x, 0, 0) : size.y >= size.z ? new THREE.Vector3(0, size.y, 0) : new THREE.Vector3(0, 0, size.z);
      for (const f of [0, 0.2, -0.2, 0.35, -0.35]) {
        const s = this.#view.toScreen(centre.clone().addScaledVector(axis, f));
        if (!hits(s.x, s.y)) continue;
        // well inside the link (4 px around hit it too), so a pose a little further on is still grabbed there
        if ([[-4, 0], [4, 0], [0, -4], [0, 4]].every(([dx, dy]) => hits(s.x + dx!, s.y + dy!))) return { x: rect.left + s.x, y: rect.top + s.y };
        edge ??= { x: rect.left + s.x, y: rect.top + s.y };
      }
    }
    return edge;
  }
}
