import * as THREE from 'three';
import type { KeyboardDescription, PianoArm, RobotDescription } from '../../robots/description.js';
import { Emitter } from '../../robots/events.js';
import type { FleetDescription, RobotStatus } from '../../src/agent/robot-fleet.js';
import type { RobotStreamMessage } from '../../src/agent/robots-api.js';
import { PlanarArmMesh } from './planar-arm.js';
import { GripperMesh } from './gripper-mesh.js';
import { chainUrdf, UrdfRobotView } from './urdf-robot.js';
import { StageView } from './view.js';

type Described = RobotStatus & { description: RobotDescription };

/** One robot in the view: how it is drawn, what it last reported, and its path while a skill runs. */
interface LiveRobot {
  id: string;
  status: RobotStatus;
  description: RobotDescription;
  /** urdf: from its URDF (or its chain); planar: a piano arm at the keyboard; none: no kinematics to draw. */
  kind: 'urdf' | 'planar' | 'none';
  urdf?: UrdfRobotView;
  planar?: PlanarArmMesh;
  marker?: THREE.Mesh;
  /** Its gripper, drawn at the tool (robots whose description has one). */
  gripper?: GripperMesh;
  /** The URDF joint each reported position sets, in the description's joint order. */
  jointNames: string[];
  /** The space it can sweep, in the scene, for framing. */
  reach: THREE.Box3;
  path: THREE.Mesh | null;
  /** The tool's path drawn now, in the scene. */
  pathPoints: THREE.Vector3[];
  /** Joint positions of the path the agent plans for a performance under way (gone when the robot is idle). */
  planned: number[][] | null;
  /** Joint positions of the path the page shows for a skill it chose; drawn when nothing is under way. */
  pinned: number[][] | null;
  statesShown: number;
  stateTime: number | null;
  label: HTMLElement;
}

/** What the page shows of the live robots, read-only, for people poking at it and for the browser test. */
export interface EngramView {
  robots(): Array<{ id: string; kind: LiveRobot['kind']; connected: boolean; stopped: boolean; activity: string }>;
  /** The joint values the three.js robot shows now, by joint name. */
  jointValues(id: string): Record<string, number> | null;
  /** Joint states drawn so far. */
  statesShown(id: string): number;
  /** The robot's time (its clock, s) of the joint state drawn now. */
  stateTime(id: string): number | null;
  /** Points of the planned path drawn now (0: none). */
  pathPoints(id: string): number;
  /** The planned path of the tool on screen now: CSS pixels in the viewport. */
  pathOnScreen(id: string): Array<{ x: number; y: number }>;
  /** Where the robot is on screen now: CSS pixels in the viewport. */
  screenBox(id: string): { x: number; y: number; width: number; height: number } | null;
  /** The tool (the URDF's last link, a piano arm's hand) on screen now: CSS pixels in the viewport. */
  toolOnScreen(id: string): { x: number; y: number } | null;
  /** How closed the robot's gripper is drawn (0 open .. 1 closed); null: it has none drawn. */
  gripperShown(id: string): number | null;
  renders(): number;
}

declare global {
  interface Window {
    __engramView: EngramView;
  }
}

const DOWN = 0x4a525a;
const STOPPED = 0xb3261e;
const PATH = 0xffd866;
const GAP = 0.3;

/**
 * Every robot the agent drives, drawn live in the stage from GET /api/robots (descriptions, with URDF
 * text) and the /api/robots/live stream (joint states, status, planned paths): URDF robots with
 * urdf-loader side by side to the right of the keyboard, piano arms at the keyboard. A robot that is
 * disconnected is drawn grey, a stopped one red, and each carries a label saying so. While a skill runs,
 * the tool's planned path is drawn (forward kinematics of the three.js model along the sampled curve).
 */
export class LiveRobots {
  readonly #view: StageView;
  readonly #overlay: HTMLElement;
  readonly #robots = new Map<string, LiveRobot>();
  readonly #latest = new Map<string, Extract<RobotStreamMessage, { type: 'robot-state' }>>();
  readonly #group = new THREE.Group();
  #refreshing: Promise<void> | null = null;
  #again = false;
  #ghost = false;
  /** Whether the agent is unreachable: then what a robot last reported is not known to hold. */
  #agentGone = false;
  error: string | null = null;
  /**
   * 'robots': every robot's status, whenever one joins, leaves or changes (link, stop, activity);
   * 'state': a joint state as the stream brought it (the teach panel records these); 'path': a skill's path began.
   */
  readonly events = new Emitter<{ robots: RobotStatus[]; state: { id: string; time: number; positions: number[]; gripper?: number }; path: { id: string; title: string; times: number[]; positions: number[][] } }>();

  constructor(view: StageView, overlay: HTMLElement) {
    this.#view = view;
    this.#overlay = overlay;
    view.add(this.#group);
    view.events.on('render', () => this.#placeLabels());
    const hook: EngramView = {
      robots: () => [...this.#robots.values()].map((r) => ({ id: r.id, kind: r.kind, connected: r.status.connected, stopped: r.status.stopped, activity: r.status.activity })),
      jointValues: (id) => {
        const r = this.#robots.get(id);
        if (r?.urdf) return r.urdf.jointValues();
        if (r?.planar) return Object.fromEntries(r.jointNames.map((n, i) => [n, r.planar!.q[i]!]));
        return null;
      },
      statesShown: (id) => this.#robots.get(id)?.statesShown ?? 0,
      stateTime: (id) => this.#robots.get(id)?.stateTime ?? null,
      pathPoints: (id) => this.#robots.get(id)?.pathPoints.length ?? 0,
      pathOnScreen: (id) => (this.#robots.get(id)?.pathPoints ?? []).map((p) => this.#onScreen(p)),
      screenBox: (id) => this.#screenBox(id),
      toolOnScreen: (id) => this.#toolOnScreen(id),
      gripperShown: (id) => this.#robots.get(id)?.gripper?.closure ?? null,
      renders: () => view.renders,
    };
    window.__engramView = Object.freeze(hook);
  }

  /** Follows the agent: the robots' stream, reconnecting as EventSource does. */
  start(): void {
    const source = new EventSource('/api/robots/live');
    source.onmessage = (m) => this.#handle(JSON.parse(m.data as string) as RobotStreamMessage);
  }

  /** Piano keys pressed by live arms (the agent's 'note' events). */
  key(robot: string, pitch: number, on: boolean): void {
    if (this.#robots.get(robot)?.kind !== 'planar') return;
    this.#view.setKey(pitch, on);
    this.#view.requestRender();
  }

  /** While a recorded performance plays on the keyboard, the live piano arms are drawn faint. */
  ghost(on: boolean): void {
    this.#ghost = on;
    for (const r of this.#robots.values()) if (r.planar) this.#look(r);
    this.#view.requestRender();
  }

  /** The agent went away (or came back): robots are drawn grey, their state unknown, until it is back. */
  agentGone(gone: boolean): void {
    this.#agentGone = gone;
    for (const r of this.#robots.values()) this.#look(r);
    this.#view.requestRender();
  }

  /** One robot as the teach panel needs it: its description, its model (URDF or a piano arm's), its last state. */
  robot(id: string): { description: RobotDescription; status: RobotStatus; urdf: UrdfRobotView | null; planar: PlanarArmMesh | null; state: { time: number; positions: number[]; gripper?: number } | null } | null {
    const r = this.#robots.get(id);
    if (!r) return null;
    const s = this.#latest.get(id);
    return { description: r.description, status: r.status, urdf: r.urdf ?? null, planar: r.planar ?? null, state: s ? { time: s.time, positions: s.positions, ...(s.gripper === undefined ? {} : { gripper: s.gripper }) } : null };
  }

  /** Draws a path for the robot's tool through these joint positions (a skill chosen in the teach panel); null clears it. */
  showPath(id: string, positions: number[][] | null): void {
    const r = this.#robots.get(id);
    if (!r) return;
    r.pinned = positions?.length ? positions : null;
    this.#drawPath(r);
  }

  get hasPianoArms(): boolean {
    return [...this.#robots.values()].some((r) => r.kind === 'planar');
  }

  #handle(m: RobotStreamMessage): void {
    if (m.type === 'robots') {
      void this.#refresh();
    } else if (m.type === 'robot-state') {
      this.#latest.set(m.id, m);
      const r = this.#robots.get(m.id);
      if (r) this.#show(r, m);
      this.events.emit('state', { id: m.id, time: m.time, positions: m.positions, ...(m.gripper === undefined ? {} : { gripper: m.gripper }) });
    } else if (m.type === 'robot-status') {
      const r = this.#robots.get(m.id);
      if (!r) return;
      const { type: _, ...status } = m;
      r.status = status;
      // a performance's path goes when it ends; a path the page pinned stays (the two arrive on
      // different channels, so neither may clear the other)
      if (status.activity === 'idle' && r.planned) {
        r.planned = null;
        this.#drawPath(r);
      }
      this.#look(r);
      this.#view.requestRender();
      this.#announce();
    } else if (m.type === 'robot-path') {
      const r = this.#robots.get(m.id);
      if (r) {
        r.planned = m.positions.length ? m.positions : null;
        this.#drawPath(r);
      }
      this.events.emit('path', { id: m.id, title: m.title, times: m.times, positions: m.positions });
    }
  }

  /** Reads the descriptions again (robots joined or left); one read at a time, the last one wins. */
  async #refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        try {
          const res = await fetch('/api/robots');
          const body = (await res.json()) as Partial<FleetDescription> & { error?: string };
          if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
          this.#build(body.robots ?? [], body.keyboard ?? null);
          this.error = null;
        } catch (err) {
          this.error = (err as Error).message;
        }
      } while (this.#again);
      this.#refreshing = null;
    })();
    return this.#refreshing;
  }

  #build(robots: Described[], kb: KeyboardDescription | null): void {
    const ids = new Set(robots.map((r) => r.id));
    for (const [id, r] of this.#robots) if (!ids.has(id) || r.description.name !== robots.find((d) => d.id === id)?.description.name) this.#drop(r);
    for (const d of robots) {
      const have = this.#robots.get(d.id);
      if (have) {
        have.status = d;
        this.#look(have);
        continue;
      }
      const r = this.#make(d, kb);
      this.#robots.set(d.id, r);
      const s = this.#latest.get(d.id);
      this.#show(r, s ?? { type: 'robot-state', id: d.id, time: 0, positions: d.positions }, !s);
    }
    this.#layout(kb);
    this.#view.requestRender();
    this.#announce();
  }

  #announce(): void {
    this.events.emit('robots', [...this.#robots.values()].map((r) => r.status));
  }

  #make(d: Described, kb: KeyboardDescription | null): LiveRobot {
    const desc = d.description;
    const label = document.createElement('div');
    label.className = 'robot-label';
    this.#overlay.appendChild(label);
    const base = { id: d.id, status: d, description: desc, reach: new THREE.Box3(), path: null, pathPoints: [], planned: null, pinned: null, statesShown: 0, stateTime: null, label };
    if (desc.piano && desc.hand && kb) {
      this.#view.keyboard(kb);
      const planar = new PlanarArmMesh(desc as PianoArm, this.#robots.size % 2 ? 0x7fb0ff : 0x6fd3a8);
      this.#group.add(planar.group);
      return { ...base, kind: 'planar', planar, jointNames: desc.joints.map((j) => j.name) };
    }
    const text = desc.urdf ?? (desc.chain?.length ? chainUrdf(desc.name, desc.chain) : null);
    if (text) {
      try {
        const urdf = new UrdfRobotView(text, desc.chain?.[desc.chain.length - 1]?.child);
        this.#group.add(urdf.root);
        // a joint by the description's name, or by the robot's own (ROS names) when the URDF uses those
        const jointNames = desc.joints.map((j, i) => (urdf.joints[j.name] ? j.name : (d.joints[i] ?? j.name)));
        const gripper = desc.gripper ? new GripperMesh(urdf.tool) : undefined;
        return { ...base, kind: 'urdf', urdf, jointNames, ...(gripper ? { gripper } : {}) };
      } catch (err) {
        label.title = `cannot draw from its URDF: ${(err as Error).message}`;
      }
    }
    const marker = new THREE.Mesh(new THREE.CylinderGeometry(0.12, 0.15, 0.3, 24), new THREE.MeshStandardMaterial({ color: 0x8a9aa8 }));
    marker.position.y = 0.15;
    const root = new THREE.Group();
    root.add(marker);
    this.#group.add(root);
    return { ...base, kind: 'none', marker, jointNames: desc.joints.map((j) => j.name) };
  }

  #drop(r: LiveRobot): void {
    r.gripper?.dispose();
    r.urdf?.dispose();
    r.planar?.dispose();
    r.marker?.parent?.removeFromParent();
    r.planned = r.pinned = null;
    this.#drawPath(r);
    r.label.remove();
    this.#robots.delete(r.id);
    this.#view.setFrame(`robot:${r.id}`, null);
  }

  /** Piano arms where their description places them; the others side by side to the right of the keyboard. */
  #layout(kb: KeyboardDescription | null): void {
    let cursor = kb && this.hasPianoArms ? kb.keys * kb.slot + GAP : 0;
    for (const r of [...this.#robots.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      if (r.planar) {
        r.planar.group.updateMatrixWorld(true);
        r.reach.setFromObject(r.planar.group);
      } else {
        const root = r.urdf?.root ?? r.marker!.parent!;
        root.position.set(0, StageView.FLOOR, 0);
        root.updateMatrixWorld(true);
        // room for most of its reach (from its URDF), or its size now: robots side by side here are
        // not near each other in the world, so a far pose may overlap a neighbour rather than make
        // every robot small
        const box = new THREE.Box3().setFromObject(root);
        const radius = Math.max(0.25, 0.8 * (r.urdf?.reach ?? 0), -box.min.x, box.max.x, -box.min.z, box.max.z);
        const x = cursor + radius;
        root.position.x = x;
        root.updateMatrixWorld(true);
        r.reach.set(new THREE.Vector3(x - radius, StageView.FLOOR, -radius * 0.4), new THREE.Vector3(x + radius, Math.max(box.max.y, radius), radius * 0.4));
        cursor = x + radius + GAP;
      }
      this.#view.setFrame(`robot:${r.id}`, r.reach);
    }
  }

  #show(r: LiveRobot, s: Extract<RobotStreamMessage, { type: 'robot-state' }>, initial = false): void {
    if (r.urdf) r.urdf.setJoints(r.jointNames, s.positions);
    else if (r.planar) r.planar.pose([...s.positions.slice(0, 3), ...(s.fingers ?? [])]);
    if (r.gripper && s.gripper !== undefined) r.gripper.set(s.gripper);
    if (!initial) {
      r.statesShown++;
      r.stateTime = s.time;
    }
    this.#view.requestRender();
  }

  /** The performance's path while one is under way, else the one the page pinned, else none. */
  #drawPath(r: LiveRobot): void {
    const positions = r.planned ?? r.pinned;
    if (r.path) {
      r.path.removeFromParent();
      r.path.geometry.dispose();
      (r.path.material as THREE.Material).dispose();
      r.path = null;
      r.pathPoints = [];
    }
    if (!positions?.length) return;
    let points: THREE.Vector3[];
    if (r.urdf) points = r.urdf.toolPath(r.jointNames, positions);
    else if (r.planar) points = positions.map((q) => r.planar!.handAt(q));
    else return;
    r.pathPoints = points;
    // a thin tube rather than a line (WebGL draws lines one pixel wide), through the distinct points
    const distinct = points.filter((p, i) => i === 0 || p.distanceToSquared(points[i - 1]!) > 1e-8);
    if (distinct.length < 2) return;
    const curve = new THREE.CatmullRomCurve3(distinct);
    r.path = new THREE.Mesh(new THREE.TubeGeometry(curve, Math.min(400, distinct.length * 2), 0.007, 6), new THREE.MeshBasicMaterial({ color: PATH }));
    this.#group.add(r.path);
    this.#view.requestRender();
  }

  #look(r: LiveRobot): void {
    const s = r.status;
    const unknown = this.#agentGone;
    const tint = unknown || !s.connected ? DOWN : s.stopped ? STOPPED : null;
    r.urdf?.look(tint);
    if (r.planar) {
      r.planar.look(tint, this.#ghost ? 0.25 : 1);
      r.planar.group.position.z = this.#ghost ? -0.15 : 0; // behind the recorded arms, not through them
    }
    // short, so neighbours' labels do not run into each other; the reason is in the tooltip and the panel
    r.label.textContent = `${r.id}${r.kind === 'none' ? ' (no kinematics to draw)' : ''} · ${unknown ? 'unknown: agent gone' : !s.connected ? 'disconnected' : s.stopped ? 'stopped' : s.activity}`;
    r.label.title = s.stopped ? `stopped: ${s.stopReason ?? ''}` : '';
    r.label.className = `robot-label ${unknown || !s.connected ? 'down' : s.stopped ? 'stopped' : 'up'}`;
  }

  #placeLabels(): void {
    for (const r of this.#robots.values()) {
      // under its base, clear of the arm and its path
      const x = r.planar ? r.planar.robot.piano.base.x : (r.reach.min.x + r.reach.max.x) / 2;
      const foot = new THREE.Vector3(x, StageView.FLOOR, 0.15);
      const p = this.#view.toScreen(foot);
      r.label.style.left = `${p.x}px`;
      r.label.style.top = `${p.y + 4}px`;
      if (!r.label.textContent) this.#look(r);
    }
  }

  #screenBox(id: string): { x: number; y: number; width: number; height: number } | null {
    const r = this.#robots.get(id);
    const obj = r?.urdf?.root ?? r?.planar?.group ?? r?.marker;
    if (!obj) return null;
    const box = new THREE.Box3().setFromObject(obj);
    const stage = this.#view.container.getBoundingClientRect();
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < 8; i++) {
      const p = this.#view.toScreen(new THREE.Vector3(i & 1 ? box.max.x : box.min.x, i & 2 ? box.max.y : box.min.y, i & 4 ? box.max.z : box.min.z));
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x);
      y1 = Math.max(y1, p.y);
    }
    x0 = Math.max(0, x0);
    y0 = Math.max(0, y0);
    x1 = Math.min(stage.width, x1);
    y1 = Math.min(stage.height, y1);
    return { x: stage.left + x0, y: stage.top + y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
  }

  #toolOnScreen(id: string): { x: number; y: number } | null {
    const r = this.#robots.get(id);
    let p: THREE.Vector3 | null = null;
    if (r?.urdf) {
      r.urdf.root.updateMatrixWorld(true);
      p = r.urdf.tool.getWorldPosition(new THREE.Vector3());
    } else if (r?.planar) p = r.planar.handAt(r.planar.q);
    return p && this.#onScreen(p);
  }

  #onScreen(p: THREE.Vector3): { x: number; y: number } {
    const s = this.#view.toScreen(p);
    const stage = this.#view.container.getBoundingClientRect();
    return { x: stage.left + s.x, y: stage.top + s.y };
  }
}
