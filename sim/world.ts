import Matter from 'matter-js';
import { isBlack, keyCentre, type KeyboardDescription, type RobotDescription } from '../robots/description.js';
import { forward, inverse } from '../robots/kinematics.js';
import { keyTop, movePoint, type ArmPlan, type Strike } from './planner.js';
import { toAngle, toX, toY } from './units.js';

const { Engine, Bodies, Body, Composite, Constraint } = Matter;

/** Fields Matter keeps on every body that its type definitions leave out. */
type VerletBody = Matter.Body & { positionPrev: Matter.Vector; anglePrev: number };
const verlet = (b: Matter.Body) => b as VerletBody;
/** Body.setPosition with its third argument (update velocity), missing from the type definitions. */
const setPosition = Body.setPosition as (body: Matter.Body, position: Matter.Vector, updateVelocity?: boolean) => void;

/** A key event detected from the key's physical depth. */
export interface KeyEvent {
  pitch: number;
  on: boolean;
  /** Simulated time, s. */
  time: number;
}

const CAT_FINGER = 0x0002;
const CAT_KEY = 0x0004;
const G = 9.81e-3; // mm/ms^2

/**
 * The keyboard: one body per key on a uniform slot grid, held up by a spring (a force we apply: Matter
 * has no springs with physical stiffness), locked horizontally, stopped by the key bed. A key sounds when
 * its depth passes pressDepth and stops when it comes back above releaseDepth.
 */
class KeyboardBodies {
  readonly bodies: Matter.Body[] = [];
  readonly restY: number[] = [];
  readonly restX: number[] = [];
  readonly down: boolean[] = [];
  readonly events: KeyEvent[] = [];
  /** Keys at rest are made static (Matter skips them) until a finger comes near; steps each has been still. */
  readonly #still: Int32Array;
  readonly kb: KeyboardDescription;
  readonly dtMs: number;

  constructor(kb: KeyboardDescription, world: Matter.World, dtMs: number) {
    this.kb = kb;
    this.dtMs = dtMs;
    for (let i = 0; i < kb.keys; i++) {
      const pitch = kb.lowest + i;
      const h = 20;
      const x = toX(keyCentre(kb, pitch));
      const y = toY(keyTop(kb, pitch)) + h / 2;
      const key = Bodies.rectangle(x, y, toX(kb.slot) - 1.5, h, {
        frictionAir: 0,
        friction: 0,
        restitution: 0,
        label: `key ${pitch}`,
        collisionFilter: { category: CAT_KEY, mask: CAT_FINGER },
      });
      Body.setMass(key, kb.keyMass);
      Body.setInertia(key, Infinity);
      Body.setStatic(key, true);
      this.bodies.push(key);
      this.restY.push(y);
      this.restX.push(x);
      this.down.push(false);
    }
    Composite.add(world, this.bodies);
    this.#still = new Int32Array(kb.keys);
  }

  /** Makes the keys under x0..x1 (mm) free to move: a finger tip is about to reach them. */
  wakeRange(x0: number, x1: number): void {
    const slot = toX(this.kb.slot);
    const i0 = Math.max(0, Math.floor(x0 / slot));
    const i1 = Math.min(this.bodies.length - 1, Math.floor(x1 / slot));
    for (let i = i0; i <= i1; i++) {
      const b = this.bodies[i]!;
      if (b.isStatic) Body.setStatic(b, false);
      this.#still[i] = 0;
    }
  }

  /** Before a step: spring and damping forces (key mass rides on the spring; gravity is in the preload). */
  applyForces(): void {
    const k = this.kb.springStiffness * 1e-6; // N/m -> kg/ms^2
    const c = 2 * Math.sqrt(this.kb.springStiffness * this.kb.keyMass) * 1e-3 * 0.7; // damping, kg/ms
    for (let i = 0; i < this.bodies.length; i++) {
      const b = this.bodies[i]!;
      if (b.isStatic) continue;
      const depth = b.position.y - this.restY[i]!;
      const vy = b.position.y - verlet(b).positionPrev.y; // mm per step
      if (depth === 0 && vy === 0) continue;
      const preload = b.mass * G; // holds the key up against gravity at rest
      b.force.y += -k * depth - (c * vy) / this.dtMs - preload;
    }
  }

  /** After a step: horizontal lock, key bed and top stop, then press/release detection. */
  sense(timeS: number): void {
    const travel = toX(this.kb.travel);
    const press = toX(this.kb.pressDepth);
    const release = toX(this.kb.releaseDepth);
    for (let i = 0; i < this.bodies.length; i++) {
      const b = this.bodies[i]!;
      if (b.isStatic) continue;
      let depth = b.position.y - this.restY[i]!;
      if (b.position.x !== this.restX[i] || depth > travel || depth < 0) {
        const stopped = depth > travel || depth < 0;
        depth = Math.min(travel, Math.max(0, depth));
        const vy = stopped ? 0 : b.position.y - verlet(b).positionPrev.y;
        setPosition(b, { x: this.restX[i]!, y: this.restY[i]! + depth }, false);
        verlet(b).positionPrev.x = b.position.x;
        verlet(b).positionPrev.y = b.position.y - vy;
      }
      if (!this.down[i] && depth >= press) {
        this.down[i] = true;
        this.events.push({ pitch: this.kb.lowest + i, on: true, time: timeS });
      } else if (this.down[i] && depth <= release) {
        this.down[i] = false;
        this.events.push({ pitch: this.kb.lowest + i, on: false, time: timeS });
      }
      // back at rest and left alone for a while: static again
      if (depth < 0.02 && Math.abs(b.position.y - verlet(b).positionPrev.y) < 0.01 && ++this.#still[i]! > 10) {
        setPosition(b, { x: this.restX[i]!, y: this.restY[i]! }, false);
        Body.setStatic(b, true);
      }
    }
  }
}

/**
 * An arm: three link bodies joined by pin constraints to a fixed shoulder, driven by joint torques from
 * a PD controller with feed-forward and gravity compensation (Matter has no motors: torques are
 * computed here, scaled by the links' inertia, limited to each joint's torque, and applied as equal and
 * opposite pairs on the two links of a joint). Joint limits are a stiff one-sided spring we add.
 * Fingers are driven bodies on the hand that push keys by contact.
 */
export class ArmBodies {
  readonly robot: RobotDescription;
  readonly plan: ArmPlan;
  readonly links: Matter.Body[] = [];
  readonly fingers: Matter.Body[] = [];
  readonly #kb: KeyboardDescription;
  #move = 0;
  #strikesByFinger: Strike[][];
  #strikeCursor: number[];
  /** Largest hand position error seen during strokes, m. */
  maxStrokeError = 0;
  /** Each finger's extension at the last step, m (for views). */
  readonly extension: Float64Array;

  constructor(robot: RobotDescription, kb: KeyboardDescription, plan: ArmPlan, world: Matter.World) {
    this.robot = robot;
    this.plan = plan;
    this.#kb = kb;
    const q = plan.startQ;
    let px = robot.base.x;
    let py = robot.base.y;
    let a = 0;
    robot.links.forEach((l, i) => {
      a += q[i]!;
      const cx = px + (Math.cos(a) * l.length) / 2;
      const cy = py + (Math.sin(a) * l.length) / 2;
      const mass = l.mass + (i === 2 ? robot.hand.mass : 0);
      const body = Bodies.rectangle(toX(cx), toY(cy), toX(l.length), 30, { frictionAir: 0, collisionFilter: { group: -1, mask: 0 }, label: l.name });
      Body.setMass(body, mass);
      Body.setInertia(body, (mass * (toX(l.length) ** 2 + 900)) / 12);
      Body.setAngle(body, toAngle(a));
      this.links.push(body);
      px += Math.cos(a) * l.length;
      py += Math.sin(a) * l.length;
    });
    const anchor = Bodies.circle(toX(robot.base.x), toY(robot.base.y), 6, { isStatic: true, collisionFilter: { group: -1, mask: 0 } });
    // Matter takes constraint offsets in the world frame at creation: the link ends, rotated
    const end = (i: number, sign: number) => {
      const b = this.links[i]!;
      const h = (sign * toX(robot.links[i]!.length)) / 2;
      return { x: Math.cos(b.angle) * h, y: Math.sin(b.angle) * h };
    };
    const cons = [Constraint.create({ bodyA: anchor, pointA: { x: 0, y: 0 }, bodyB: this.links[0]!, pointB: end(0, -1), length: 0, stiffness: 1 })];
    for (let i = 1; i < 3; i++) {
      cons.push(Constraint.create({ bodyA: this.links[i - 1]!, pointA: end(i - 1, 1), bodyB: this.links[i]!, pointB: end(i, -1), length: 0, stiffness: 1 }));
    }
    const F = robot.hand.fingers;
    for (let f = 0; f < F; f++) {
      const finger = Bodies.rectangle(0, 0, toX(robot.hand.spacing) - 4, 30, {
        frictionAir: 0,
        friction: 0,
        restitution: 0,
        collisionFilter: { category: CAT_FINGER, mask: CAT_KEY },
        label: `finger ${f}`,
      });
      Body.setMass(finger, 2);
      Body.setInertia(finger, Infinity);
      this.fingers.push(finger);
    }
    Composite.add(world, [anchor, ...this.links, ...cons, ...this.fingers]);
    this.extension = new Float64Array(F);
    this.#strikesByFinger = Array.from({ length: F }, () => []);
    for (const s of [...plan.strikes].sort((a, b) => a.down - b.down)) this.#strikesByFinger[s.finger]!.push(s);
    this.#strikeCursor = new Array<number>(F).fill(0);
    this.#placeFingers(0, 0);
  }

  /** Joint angles (model convention, y up), rad. */
  jointAngles(): number[] {
    const a = this.links.map((b) => -b.angle);
    return [a[0]!, a[1]! - a[0]!, a[2]! - a[1]!];
  }

  /** Joint speeds, rad/ms. */
  #jointSpeeds(dtMs: number): number[] {
    const w = this.links.map((b) => -(b.angle - verlet(b).anglePrev) / dtMs);
    return [w[0]!, w[1]! - w[0]!, w[2]! - w[1]!];
  }

  /** Desired joint angle, speed (rad/ms) and acceleration (rad/ms^2) at time t (s), from the plan's moves. */
  #desired(t: number): { q: number[]; v: number[]; a: number[] } {
    const moves = this.plan.moves;
    while (this.#move < moves.length && moves[this.#move]!.start + moves[this.#move]!.duration < t) this.#move++;
    const m = moves[this.#move];
    const prev = this.#move > 0 ? moves[this.#move - 1]!.toQ : this.plan.startQ;
    if (!m || t < m.start) return { q: prev, v: [0, 0, 0], a: [0, 0, 0] };
    // joints by inverse kinematics along the hand's path; rates by central differences (1 ms)
    const h = 0.001;
    const at = (tt: number) => {
      const p = movePoint(m, (tt - m.start) / m.duration);
      return inverse(this.robot, p.x, p.y) ?? m.toQ;
    };
    const q0 = at(t - h);
    const q = at(t);
    const q1 = at(t + h);
    const unwrap = (a: number, ref: number) => a + 2 * Math.PI * Math.round((ref - a) / (2 * Math.PI));
    const v = q.map((x, i) => (unwrap(q1[i]!, x) - unwrap(q0[i]!, x)) / 2); // rad/ms
    const acc = q.map((x, i) => unwrap(q1[i]!, x) - 2 * x + unwrap(q0[i]!, x)); // rad/ms^2
    return { q, v, a: acc };
  }

  /** Before a step: joint torques. */
  control(t: number, dtMs: number): void {
    const d = this.#desired(t);
    const q = this.jointAngles();
    const v = this.#jointSpeeds(dtMs);
    const wn = 0.06; // rad/ms: 60 rad/s closed-loop bandwidth
    // positions of joints and link centres (mm, y down) for inertia and gravity terms
    const joints = [this.links[0]!, this.links[1]!, this.links[2]!].map((b, i) => {
      const h = toX(this.robot.links[i]!.length) / 2;
      return { x: b.position.x - Math.cos(b.angle) * h, y: b.position.y - Math.sin(b.angle) * h };
    });
    const torques = [0, 0, 0];
    for (let j = 0; j < 3; j++) {
      let inertia = 0;
      let gravity = 0;
      for (let k = j; k < 3; k++) {
        const b = this.links[k]!;
        const rx = b.position.x - joints[j]!.x;
        const ry = b.position.y - joints[j]!.y;
        inertia += b.inertia + b.mass * (rx * rx + ry * ry);
        gravity += b.mass * G * rx; // torque (y down frame) that gravity exerts about joint j, sign flipped below
      }
      const lim = this.robot.links[j]!.joint;
      const err = d.q[j]! - q[j]!;
      const e = err - 2 * Math.PI * Math.round(err / (2 * Math.PI));
      let acc = d.a[j]! + wn * wn * e + 2 * wn * (d.v[j]! - v[j]!);
      if (q[j]! < lim.min) acc += 0.01 * (lim.min - q[j]!) - 0.2 * Math.min(0, v[j]!);
      if (q[j]! > lim.max) acc += 0.01 * (lim.max - q[j]!) - 0.2 * Math.max(0, v[j]!);
      // model-frame torque: inertia * acc plus what holds the distal links against gravity
      let tau = inertia * acc + gravity;
      const maxT = lim.maxTorque; // N m == kg mm^2 / ms^2
      tau = Math.max(-maxT, Math.min(maxT, tau));
      torques[j] = tau;
    }
    for (let j = 0; j < 3; j++) {
      // y-down frame: a counter-clockwise model torque is negative in Matter
      this.links[j]!.torque += -torques[j]!;
      if (j > 0) this.links[j - 1]!.torque -= -torques[j]!;
    }
    this.#placeFingers(t, dtMs);
  }

  /** Fingers follow the hand; each extends and retracts on its strike schedule. */
  #placeFingers(t: number, dtMs: number): void {
    const hand = this.links[2]!;
    const h = toX(this.robot.links[2]!.length) / 2;
    // hand origin: the distal end of link 3; the hand's x axis is perpendicular to the wrist link
    const ex = Math.cos(hand.angle);
    const ey = Math.sin(hand.angle);
    const ox = hand.position.x + ex * h;
    const oy = hand.position.y + ey * h;
    // the wrist link points down (0, 1) in Matter coordinates; the hand's x runs along (-ey, ex) rotated to +x
    const ax = ey;
    const ay = -ex;
    const F = this.robot.hand.fingers;
    const speed = this.robot.hand.travel / this.robot.hand.strokeTime; // m/s
    for (let f = 0; f < F; f++) {
      const ext = this.#extension(f, t, speed);
      this.extension[f] = ext;
      const along = toX((f - (F - 1) / 2) * this.robot.hand.spacing);
      const down = toX(ext) - 15; // the finger body's centre sits 15 mm above its tip
      const x = ox + ax * along + ex * down;
      const y = oy + ay * along + ey * down;
      // driven: moved to where its actuator puts it, with that motion as its velocity for contacts
      setPosition(this.fingers[f]!, { x, y }, dtMs > 0);
    }
  }

  /** Finger extension (m) at time t: ramps at stroke speed towards the strike's extension, then back. */
  #extension(f: number, t: number, speed: number): number {
    const list = this.#strikesByFinger[f]!;
    let i = this.#strikeCursor[f]!;
    while (i < list.length && list[i]!.up + this.robot.hand.strokeTime < t) i++;
    this.#strikeCursor[f] = i;
    const s = list[i];
    if (!s || t < s.down) return 0;
    if (t < s.up) {
      const e = Math.min(s.extension, (t - s.down) * speed);
      if (e >= s.extension) this.#trackError(s);
      return e;
    }
    const reached = Math.min(s.extension, (s.up - s.down) * speed);
    return Math.max(0, reached - (t - s.up) * speed);
  }

  #trackError(s: Strike): void {
    const tip = forward(this.robot, this.jointAngles())[2]!;
    const want = keyCentre(this.#kb, s.pitch) - (s.finger - (this.robot.hand.fingers - 1) / 2) * this.robot.hand.spacing;
    this.maxStrokeError = Math.max(this.maxStrokeError, Math.abs(tip.x - want));
  }
}

export interface WorldOptions {
  /** Physics step, ms. */
  dtMs?: number;
}

/**
 * The simulated world in the vertical plane along the keyboard. step() is a fixed pipeline: controllers
 * (joint torques, finger strokes), key springs, Matter's integration and contacts, then key sensing.
 */
export class World {
  readonly engine: Matter.Engine;
  readonly keyboard: KeyboardBodies;
  readonly arms: ArmBodies[];
  readonly dtMs: number;
  /** Simulated time, s. */
  time = 0;

  constructor(kb: KeyboardDescription, arms: Array<{ robot: RobotDescription; plan: ArmPlan }>, options: WorldOptions = {}) {
    this.dtMs = options.dtMs ?? 1;
    this.engine = Engine.create({ gravity: { x: 0, y: 1, scale: G } });
    this.engine.constraintIterations = Number(process.env.CI_IT ?? 4);
    this.engine.positionIterations = Number(process.env.PI_IT ?? 3);
    this.engine.velocityIterations = Number(process.env.VI_IT ?? 2);
    this.keyboard = new KeyboardBodies(kb, this.engine.world, this.dtMs);
    this.arms = arms.map((a) => new ArmBodies(a.robot, kb, a.plan, this.engine.world));
  }

  step(): void {
    const t = this.time;
    for (const a of this.arms) a.control(t, this.dtMs);
    // broad phase of our own: keys under a finger tip that is low enough to touch them become dynamic
    const wakeLevel = toY(this.keyboard.kb.blackRaise) - 8;
    for (const a of this.arms) {
      for (const f of a.fingers) if (f.bounds.max.y > wakeLevel) this.keyboard.wakeRange(f.bounds.min.x, f.bounds.max.x);
    }
    this.keyboard.applyForces();
    Engine.update(this.engine, this.dtMs);
    this.time = t + this.dtMs / 1000;
    this.keyboard.sense(this.time);
  }

  /** Steps until `until` seconds of simulated time. */
  run(until: number): void {
    while (this.time < until) this.step();
  }

  get events(): readonly KeyEvent[] {
    return this.keyboard.events;
  }
}

export { isBlack };
