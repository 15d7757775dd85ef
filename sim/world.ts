import Matter from 'matter-js';
import { keyCentre, type KeyboardDescription, type PianoArm } from '../robots/description.js';
import { forward } from '../robots/planar.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../robots/driver.js';
import { Emitter } from '../robots/events.js';
import { keyTop } from '../robots/motion/planner.js';
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
export class ArmBodies implements RobotDriver {
  readonly robot: PianoArm;
  readonly links: Matter.Body[] = [];
  readonly fingers: Matter.Body[] = [];
  /** Largest x error of the hand while a finger was extended, m. */
  maxStrokeError = 0;
  /** Each finger's extension at the last step, m (for views). */
  readonly extension: Float64Array;
  /** state (after each run of the world, when someone listens), stopped. */
  readonly events = new Emitter<DriverEvents>();
  /** Queued joint trajectory (time order) and each finger's queued [time, extension] commands. */
  #points: TrajectoryPoint[] = [];
  #segment = 0;
  #hold: number[];
  /** The reference the servos track: the commanded curve, rate-limited to each joint's rated speed. */
  #ref: number[];
  #fingerCommands: Array<Array<[number, number]>>;
  #time = 0;
  #dtMs = 1;

  constructor(robot: PianoArm, startQ: number[], world: Matter.World) {
    this.robot = robot;
    const q = startQ;
    this.#hold = [...startQ];
    this.#ref = [...startQ];
    let px = robot.piano.base.x;
    let py = robot.piano.base.y;
    let a = 0;
    robot.piano.links.forEach((l, i) => {
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
    const anchor = Bodies.circle(toX(robot.piano.base.x), toY(robot.piano.base.y), 6, { isStatic: true, collisionFilter: { group: -1, mask: 0 } });
    // Matter takes constraint offsets in the world frame at creation: the link ends, rotated
    const end = (i: number, sign: number) => {
      const b = this.links[i]!;
      const h = (sign * toX(robot.piano.links[i]!.length)) / 2;
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
    this.#fingerCommands = Array.from({ length: F }, () => []);
    this.#placeFingers(0);
  }

  get description(): PianoArm {
    return this.robot;
  }

  follow(points: TrajectoryPoint[]): void {
    let prev = this.#points[this.#points.length - 1];
    for (const p of points) {
      if (p.positions.length !== 3) throw new RangeError(`${this.robot.name}: a trajectory point needs 3 joint positions, got ${p.positions.length}`);
      if (prev && p.time < prev.time) throw new RangeError(`${this.robot.name}: trajectory times must not go back (${p.time} after ${prev.time})`);
      // like a real controller, a goal outside the joints' range is refused whole, whoever sent it
      for (let j = 0; j < 3; j++) {
        const lim = this.robot.joints[j]!;
        const q = p.positions[j]!;
        if (!(q >= lim.min && q <= lim.max)) throw new RangeError(`${this.robot.name}: joint ${lim.name} target outside its range ${lim.min.toFixed(2)}..${lim.max.toFixed(2)} rad`);
      }
      prev = p;
    }
    const last = this.#points[this.#points.length - 1];
    if (!last || last.time <= this.#time) {
      // nothing ahead: what was done is dropped (a long-lived arm keeps no history), and the arm moves
      // from where it is held to the first point, as a trajectory controller does
      this.#points = [];
      this.#segment = 0;
      const first = points[0];
      if (first && first.time > this.#time) this.#points.push({ time: this.#time, positions: [...this.#hold], velocities: [0, 0, 0] });
    }
    for (const p of points) this.#points.push(p);
  }

  press(finger: number, extension: number, at = this.#time): void {
    this.#fingerCommand(finger, at, Math.max(0, Math.min(this.robot.hand.travel, extension)));
  }

  release(finger: number, at = this.#time): void {
    this.#fingerCommand(finger, at, 0);
  }

  #fingerCommand(finger: number, at: number, extension: number): void {
    const list = this.#fingerCommands[finger];
    if (!list) throw new RangeError(`${this.robot.name}: no finger ${finger} (0..${this.robot.hand.fingers - 1})`);
    let i = list.length;
    while (i > 0 && list[i - 1]![0] > at) i--;
    list.splice(i, 0, [at, extension]);
  }

  state(): JointState {
    const w = this.links.map((b) => -(b.angle - verlet(b).anglePrev) / (this.#dtMs / 1000));
    return { time: this.#time, positions: this.jointAngles(), velocities: [w[0]!, w[1]! - w[0]!, w[2]! - w[1]!], fingers: [...this.extension] };
  }

  stop(reason = 'stop command'): void {
    this.#hold = this.jointAngles();
    this.#points = [];
    this.#segment = 0;
    for (let f = 0; f < this.#fingerCommands.length; f++) this.#fingerCommands[f] = [[this.#time, 0]];
    this.events.emit('stopped', { reason });
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

  /**
   * Desired joint angle, speed (rad/ms) and acceleration (rad/ms^2) at time t (s): cubic Hermite
   * interpolation of the queued trajectory; before its first point and after its last, hold still.
   */
  #desired(t: number): { q: number[]; v: number[]; a: number[] } {
    const pts = this.#points;
    while (this.#segment + 1 < pts.length && pts[this.#segment + 1]!.time <= t) this.#segment++;
    const p0 = pts[this.#segment];
    const p1 = pts[this.#segment + 1];
    if (!p0 || t < p0.time) return { q: this.#hold, v: [0, 0, 0], a: [0, 0, 0] };
    if (!p1) {
      this.#hold = p0.positions;
      return { q: p0.positions, v: [0, 0, 0], a: [0, 0, 0] };
    }
    const T = (p1.time - p0.time) * 1000; // ms
    const u = ((t - p0.time) * 1000) / T;
    const vel = (p: TrajectoryPoint, i: number) => (p.velocities ? p.velocities[i]! / 1000 : 0); // rad/ms
    const q: number[] = [];
    const v: number[] = [];
    const acc: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a0 = p0.positions[i]!;
      const a1 = p1.positions[i]!;
      const m0 = vel(p0, i) * T;
      const m1 = vel(p1, i) * T;
      const u2 = u * u;
      const u3 = u2 * u;
      q.push((2 * u3 - 3 * u2 + 1) * a0 + (u3 - 2 * u2 + u) * m0 + (-2 * u3 + 3 * u2) * a1 + (u3 - u2) * m1);
      v.push(((6 * u2 - 6 * u) * a0 + (3 * u2 - 4 * u + 1) * m0 + (-6 * u2 + 6 * u) * a1 + (3 * u2 - 2 * u) * m1) / T);
      acc.push(((12 * u - 6) * a0 + (6 * u - 4) * m0 + (-12 * u + 6) * a1 + (6 * u - 2) * m1) / (T * T));
    }
    return { q, v, a: acc };
  }

  /**
   * The servos' own speed limit, whoever commands them: the reference moves towards the commanded
   * position at no more than each joint's rated speed, so a jump in a command (a goal that skipped the
   * gate) is a ramp, never a runaway joint. A curve inside the limits passes unchanged.
   */
  #limitSpeed(d: { q: number[]; v: number[]; a: number[] }, dtMs: number): { q: number[]; v: number[]; a: number[] } {
    let limited = false;
    for (let j = 0; j < 3; j++) {
      const vMax = this.robot.joints[j]!.maxSpeed / 1000; // rad/ms
      const err = d.q[j]! - this.#ref[j]!;
      const step = err - 2 * Math.PI * Math.round(err / (2 * Math.PI));
      if (Math.abs(step) > vMax * dtMs * 1.05 + 1e-9) limited = true;
    }
    if (!limited) {
      this.#ref = [...d.q];
      return d;
    }
    const q: number[] = [];
    const v: number[] = [];
    for (let j = 0; j < 3; j++) {
      const vMax = this.robot.joints[j]!.maxSpeed / 1000;
      const err = d.q[j]! - this.#ref[j]!;
      const step = Math.max(-vMax * dtMs, Math.min(vMax * dtMs, err - 2 * Math.PI * Math.round(err / (2 * Math.PI))));
      q.push(this.#ref[j]! + step);
      v.push(step / dtMs);
    }
    this.#ref = q;
    return { q, v, a: [0, 0, 0] };
  }

  /** Before a step: joint torques and finger strokes. */
  control(t: number, dtMs: number): void {
    this.#time = t;
    this.#dtMs = dtMs;
    const d = this.#limitSpeed(this.#desired(t), dtMs);
    const q = this.jointAngles();
    const v = this.#jointSpeeds(dtMs);
    const wn = 0.06; // rad/ms: 60 rad/s closed-loop bandwidth
    // positions of joints and link centres (mm, y down) for inertia and gravity terms
    const joints = [this.links[0]!, this.links[1]!, this.links[2]!].map((b, i) => {
      const h = toX(this.robot.piano.links[i]!.length) / 2;
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
      const lim = this.robot.joints[j]!;
      const err = d.q[j]! - q[j]!;
      const e = err - 2 * Math.PI * Math.round(err / (2 * Math.PI));
      let acc = d.a[j]! + wn * wn * e + 2 * wn * (d.v[j]! - v[j]!);
      if (q[j]! < lim.min) acc += 0.01 * (lim.min - q[j]!) - 0.2 * Math.min(0, v[j]!);
      if (q[j]! > lim.max) acc += 0.01 * (lim.max - q[j]!) - 0.2 * Math.max(0, v[j]!);
      // model-frame torque: inertia * acc plus what holds the distal links against gravity
      let tau = inertia * acc + gravity;
      const maxT = lim.maxEffort; // N m == kg mm^2 / ms^2
      tau = Math.max(-maxT, Math.min(maxT, tau));
      torques[j] = tau;
    }
    for (let j = 0; j < 3; j++) {
      // y-down frame: a counter-clockwise model torque is negative in Matter
      this.links[j]!.torque += -torques[j]!;
      if (j > 0) this.links[j - 1]!.torque -= -torques[j]!;
    }
    this.#placeFingers(dtMs);
    // how far the hand is from where it should be while a finger is out
    if (this.extension.some((e) => e > 0.005)) {
      const want = forward(this.robot, d.q)[2]!.x;
      const got = forward(this.robot, q)[2]!.x;
      this.maxStrokeError = Math.max(this.maxStrokeError, Math.abs(want - got));
    }
  }

  /** Fingers follow the hand; each moves at stroke speed towards its latest commanded extension. */
  #placeFingers(dtMs: number): void {
    const hand = this.links[2]!;
    const h = toX(this.robot.piano.links[2]!.length) / 2;
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
      const ext = this.#extension(f, speed, dtMs);
      this.extension[f] = ext;
      const along = toX((f - (F - 1) / 2) * this.robot.hand.spacing);
      const down = toX(ext) - 15; // the finger body's centre sits 15 mm above its tip
      const x = ox + ax * along + ex * down;
      const y = oy + ay * along + ey * down;
      // driven: moved to where its actuator puts it, with that motion as its velocity for contacts
      setPosition(this.fingers[f]!, { x, y }, dtMs > 0);
    }
  }

  /** A finger's extension (m) after this step: towards its latest command at stroke speed. */
  #extension(f: number, speed: number, dtMs: number): number {
    const list = this.#fingerCommands[f]!;
    while (list.length > 1 && list[1]![0] <= this.#time) list.shift();
    const target = list.length > 0 && list[0]![0] <= this.#time ? list[0]![1] : 0;
    const cur = this.extension[f]!;
    const stepMax = (speed * dtMs) / 1000;
    return cur + Math.max(-stepMax, Math.min(stepMax, target - cur));
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

  constructor(kb: KeyboardDescription, arms: Array<{ robot: PianoArm; startQ: number[] }>, options: WorldOptions = {}) {
    this.dtMs = options.dtMs ?? 1;
    this.engine = Engine.create({ gravity: { x: 0, y: 1, scale: G } });
    this.engine.constraintIterations = Number(process.env.CI_IT ?? 4);
    this.engine.positionIterations = Number(process.env.PI_IT ?? 3);
    this.engine.velocityIterations = Number(process.env.VI_IT ?? 2);
    this.keyboard = new KeyboardBodies(kb, this.engine.world, this.dtMs);
    this.arms = arms.map((a) => new ArmBodies(a.robot, a.startQ, this.engine.world));
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
    for (const a of this.arms) if (a.events.listenerCount('state') > 0) a.events.emit('state', a.state());
  }

  get events(): readonly KeyEvent[] {
    return this.keyboard.events;
  }
}

