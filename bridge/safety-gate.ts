import type { JointLimits, RobotDescription } from '../robots/description.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../robots/driver.js';
import { Emitter } from '../robots/events.js';
import { fitFactor, worstBreak, type LimitQuantity } from '../robots/motion/curve-limits.js';
import { completeVelocities, retime, type FullPoint } from '../robots/motion/spline.js';
import { StateTrust, type StateTrustOptions } from './state-trust.js';

/** What a 'limits' refusal of a trajectory is about. */
export interface LimitData {
  robot: string;
  joint: string;
  quantity: LimitQuantity;
  /** The figure the executed curve would reach (rad, rad/s, rad/s^2; m for prismatic joints). */
  value: number;
  /** The limit it breaks (a range bound, maxSpeed or maxAccel). */
  limit: number;
  /**
   * Below 1: the largest time-scaling factor at which the same trajectory (retimed about where the arm
   * is, the move to its first point included) fits every limit. Undefined when slowing down cannot
   * make it fit (a position outside the range).
   */
  fitFactor?: number;
}

/** A command the gate refused; nothing of it reached the robot. */
export class SafetyError extends Error {
  readonly reason: 'limits' | 'disconnected' | 'stopped' | 'malformed';
  /** For a trajectory over a joint limit: which joint, what figure, and how much slower would fit. */
  readonly data?: LimitData;
  constructor(reason: SafetyError['reason'], message: string, data?: LimitData) {
    super(message);
    this.name = 'SafetyError';
    this.reason = reason;
    if (data) this.data = data;
  }
}

/** The fastest tempo that fits, for a trajectory refused at `tempo` (tempo scales speed), or undefined when none does. */
export function fastestTempo(err: SafetyError, tempo: number): number | undefined {
  const f = err.data?.fitFactor;
  return f === undefined ? undefined : tempo * f;
}

/** A trajectory slowed down to fit its robot's limits, and by how much (1: it already fitted). */
export interface FittedTrajectory {
  points: TrajectoryPoint[];
  factor: number;
}

export interface SafetyGateOptions {
  /** Stop the robot when no joint state has arrived for this long while it may be moving, ms. */
  watchdogMs?: number;
  /** Relative slack on speed limits for rounding in the planner, 0..1. */
  speedSlack?: number;
  /** How strictly joint states are judged before the gate plans from them. */
  stateTrust?: StateTrustOptions;
  /** Clock (ms) and timers, replaceable in tests. */
  now?: () => number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/** A figure with three significant digits, for messages. */
const fmt = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : String(x));

/**
 * The gate between the memory and any real robot. Every command is checked against the robot's
 * description before it is passed on: a trajectory's executed curve (the cubic, or quintic, a
 * ros_control controller interpolates, from where the arm is through every point) must stay inside
 * each joint's range, speed and acceleration limits at its peaks; finger indices and strokes must be in
 * range. While the link is down, or after a stop, commands are refused, never queued, and only resume()
 * on a live link lifts a stop. stop() always reaches the driver, whatever state the gate is in. A
 * watchdog stops the robot when its joint states stop arriving.
 */
export class SafetyGate implements RobotDriver {
  readonly #inner: RobotDriver;
  readonly #opts: Required<Omit<SafetyGateOptions, 'now' | 'setInterval' | 'clearInterval' | 'stateTrust'>>;
  readonly #trust: StateTrust;
  readonly #now: () => number;
  #connected = true;
  #stopped = false;
  /** True while the gate itself is stopping the robot (the robot's own 'stopped' echo is not a second stop). */
  #halting = false;
  #lastState = 0;
  /** The last point sent, as sent: the next trajectory starts from it while it is still ahead of the robot's clock. */
  #lastPoint: FullPoint | null = null;
  #watchdog: unknown = null;
  readonly #clearInterval: (h: unknown) => void;
  /** Why the robot was last stopped, for status reports. */
  lastStopReason: string | null = null;
  /** The robot's events passed on (its joint states feed the watchdog, its link state the gate), and the gate's own stops. */
  readonly events = new Emitter<DriverEvents>();
  readonly #unsubscribe: Array<() => void>;

  constructor(inner: RobotDriver, options: SafetyGateOptions = {}) {
    this.#inner = inner;
    this.#opts = { watchdogMs: options.watchdogMs ?? 500, speedSlack: options.speedSlack ?? 0.02 };
    this.#now = options.now ?? (() => Date.now());
    this.#trust = new StateTrust(inner.description.joints, options.stateTrust);
    this.#lastState = this.#now();
    const si = options.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms).unref());
    this.#clearInterval = options.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout));
    this.#watchdog = si(() => this.#checkWatchdog(), Math.max(10, this.#opts.watchdogMs / 4));
    const ev = inner.events;
    this.#unsubscribe = [
      ev.on('state', (s) => this.#state(s)),
      ev.on('connection', (up) => (this.setConnected(up), this.events.emit('connection', up))),
      // a refused or aborted goal: the arm is not following the curve any more
      ev.on('result', (r) => (r.ok || this.#trust.idle(), this.events.emit('result', r))),
      ev.on('stopped', (s) => this.#robotStopped(s.reason)),
      ev.on('error', (e) => this.events.emit('error', e)),
      ev.on('key', (k) => this.events.emit('key', k)),
      ev.on('gripper', (g) => this.events.emit('gripper', g)),
    ];
  }

  get description(): RobotDescription {
    return this.#inner.description;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The transport reports the link: when it drops, the robot is told to stop (best effort) and commands are refused. */
  setConnected(up: boolean): void {
    if (this.#connected && !up) this.#halt('link lost');
    if (up && !this.#connected) this.#trust.reset();
    this.#connected = up;
    if (up) this.#lastState = this.#now();
  }

  /** A joint state arrived from the robot: feeds the watchdog. */
  heartbeat(): void {
    this.#lastState = this.#now();
  }

  /**
   * A joint state from the robot. While the robot may be commanded, a state no arm could have reported
   * (a joint past its range, or faster than its speed limit since the last one: forged, corrupted or a
   * sensor fault) stops the robot: every move is planned from the last state, so it must be one to trust.
   */
  #state(s: JointState): void {
    if (this.#stopped || !this.#connected) {
      this.#trust.reset();
    } else {
      const why = this.#trust.judge(s, this.#now());
      if (why) {
        this.#halt(`joint states not trusted: ${why}`);
        this.events.emit('error', new SafetyError('limits', `${this.description.name}: joint states not trusted: ${why}`));
        this.events.emit('state', s);
        return;
      }
      this.heartbeat();
    }
    this.events.emit('state', s);
  }

  /** Allows commands again after a stop (an explicit operator action); refused while the link is down. */
  resume(): void {
    if (!this.#connected) throw new SafetyError('disconnected', `${this.description.name} is not connected: resume once the link is back`);
    this.#stopped = false;
    this.lastStopReason = null;
    this.#lastPoint = null;
    this.#trust.reset();
    this.#lastState = this.#now();
  }

  /** Checks the trajectory and sends it with every point's velocities filled in, so the robot interpolates exactly the curve that was checked. */
  follow(points: TrajectoryPoint[]): void {
    this.#admit();
    const from = this.#validate(points);
    const full = this.#check(points, from);
    if (full.length === 0) return;
    this.#inner.follow(full);
    this.#trust.commanded(from, full);
    this.#lastPoint = full[full.length - 1]!;
  }

  /**
   * The trajectory slowed down (retimed about where the arm is, the move to its first point included)
   * just enough to fit every joint's range, speed and acceleration limits, and the factor (1: it
   * already fits, returned as it is). Throws a SafetyError when it is malformed or slowing down
   * cannot make it fit (a position outside a joint's range). Sends nothing.
   */
  fit(points: TrajectoryPoint[]): FittedTrajectory {
    const from = this.#validate(points);
    if (points.length === 0) return { points, factor: 1 };
    const factor = fitFactor(this.description.joints, points, from);
    if (factor === undefined) throw this.#limitError(points, from, worstBreak(this.description.joints, completeVelocities(points), from)!);
    return factor === 1 ? { points, factor } : { points: retime(points, factor, from.time), factor };
  }

  press(finger: number, extension: number, at?: number): void {
    this.#admit();
    const hand = this.#hand();
    if (!Number.isInteger(finger) || finger < 0 || finger >= hand.fingers) {
      throw new SafetyError('limits', `${this.description.name}: finger ${finger} does not exist (0..${hand.fingers - 1})`);
    }
    if (!(extension >= 0 && extension <= hand.travel)) {
      throw new SafetyError('limits', `${this.description.name}: finger ${finger} extension ${extension} m is outside 0..${hand.travel} m`);
    }
    this.#inner.press(finger, extension, at);
  }

  release(finger: number, at?: number): void {
    this.#admit();
    const hand = this.#hand();
    if (!Number.isInteger(finger) || finger < 0 || finger >= hand.fingers) {
      throw new SafetyError('limits', `${this.description.name}: finger ${finger} does not exist (0..${hand.fingers - 1})`);
    }
    this.#inner.release(finger, at);
  }

  /**
   * Opens or closes the gripper like any command: refused while stopped or disconnected, and on a robot
   * whose description has no gripper; the closure must be 0 (open) .. 1 (closed), the time a number.
   */
  grip(closure: number, at?: number): void {
    this.#admit();
    const name = this.description.name;
    if (!this.description.gripper || !this.#inner.grip) throw new SafetyError('limits', `${name} has no gripper`);
    if (typeof closure !== 'number' || !(closure >= 0 && closure <= 1)) throw new SafetyError('malformed', `${name}: a gripper closure is a number from 0 (open) to 1 (closed)`);
    if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at))) throw new SafetyError('malformed', `${name}: a gripper command's time must be a finite number of seconds`);
    this.#inner.grip(closure, at);
  }

  state(): JointState {
    return this.#inner.state();
  }

  /** Always passes the stop on, connected or not, stopped already or not. */
  stop(reason = 'stop command'): void {
    this.#halt(reason);
  }

  dispose(): void {
    if (this.#watchdog !== null) this.#clearInterval(this.#watchdog);
    for (const off of this.#unsubscribe) off();
    this.#watchdog = null;
  }

  /**
   * Throws a SafetyError unless the curve the robot would execute for these points, from where it is
   * (or from the end of what is queued), stays inside every joint's limits: 'malformed' for a wrong
   * joint count, times that do not increase or a first point in the robot's past; 'limits' naming the
   * joint, the figure and the limit, with data for callers (LimitData: fitFactor, the slowing that fits).
   */
  checkTrajectory(points: TrajectoryPoint[]): void {
    this.#check(points, this.#validate(points));
  }

  /** The checked points with their velocities filled in; `from` is where the executed curve starts. */
  #check(points: TrajectoryPoint[], from: FullPoint): FullPoint[] {
    const full = completeVelocities(points);
    const b = worstBreak(this.description.joints, full, from, this.#opts.speedSlack);
    if (b) throw this.#limitError(points, from, b);
    return full;
  }

  /** Shape, numbers and times of the points; returns where the executed curve starts. */
  #validate(points: TrajectoryPoint[]): FullPoint {
    const name = this.description.name;
    const n = this.description.joints.length;
    if (!Array.isArray(points)) throw new SafetyError('malformed', `${name}: a trajectory is a list of points`);
    const finite = (xs: unknown, len: number) => Array.isArray(xs) && xs.length === len && xs.every((x) => typeof x === 'number' && Number.isFinite(x));
    points.forEach((p, k) => {
      if (!p || typeof p.time !== 'number' || !Number.isFinite(p.time) || !finite(p.positions, n)) {
        throw new SafetyError('malformed', `${name}: trajectory point ${k} needs a time and ${n} joint positions`);
      }
      if (p.velocities !== undefined && !finite(p.velocities, n)) throw new SafetyError('malformed', `${name}: trajectory point ${k}: velocities need ${n} finite numbers`);
      if (p.accelerations !== undefined && !finite(p.accelerations, n)) throw new SafetyError('malformed', `${name}: trajectory point ${k}: accelerations need ${n} finite numbers`);
      if (k > 0 && !(p.time > points[k - 1]!.time)) throw new SafetyError('malformed', `${name}: point ${k}: time ${p.time} s does not come after ${points[k - 1]!.time} s`);
    });
    const from = this.#from();
    if (points.length > 0 && points[0]!.time < from.time) {
      const why = this.#lastPoint === from ? `before the end of its queued trajectory (${from.time} s)` : `in the robot's past (its clock reads ${from.time} s)`;
      throw new SafetyError('malformed', `${name}: the first point (${points[0]!.time} s) is ${why}`);
    }
    return from;
  }

  /** Where the executed curve starts: the end of the queued trajectory while it is still ahead, else the arm's joint state. */
  #from(): FullPoint {
    const s = this.#inner.state();
    const queued = this.#lastPoint;
    if (queued && queued.time > s.time) return queued;
    const n = this.description.joints.length;
    if (s.positions.length !== n) {
      throw new SafetyError('disconnected', `${this.description.name} has not reported the state of its ${n} joints: the move to the first point cannot be checked`);
    }
    return { time: s.time, positions: [...s.positions], velocities: s.velocities.length === n ? [...s.velocities] : s.positions.map(() => 0) };
  }

  #limitError(points: TrajectoryPoint[], from: FullPoint, b: NonNullable<ReturnType<typeof worstBreak>>): SafetyError {
    const lim: JointLimits = this.description.joints[b.jointIndex]!;
    const unit = lim.type === 'prismatic' ? 'm' : 'rad';
    const robot = this.description.name;
    if (b.quantity === 'position') {
      return new SafetyError('limits', `${robot}: joint ${b.joint} would reach ${fmt(b.value)} ${unit}, outside its ${fmt(lim.min)}..${fmt(lim.max)} ${unit}`, {
        robot,
        joint: b.joint,
        quantity: b.quantity,
        value: b.value,
        limit: b.limit,
      });
    }
    const f = fitFactor(this.description.joints, points, from);
    const u = b.quantity === 'speed' ? `${unit}/s` : `${unit}/s^2`;
    const figure = Number.isFinite(b.value) ? `would reach ${fmt(b.value)} ${u}` : 'would jump in no time';
    const fits = f === undefined ? '' : `; it fits at ${fmt(f)} times this speed`;
    return new SafetyError('limits', `${robot}: joint ${b.joint} ${figure}, over its ${fmt(b.limit)} ${u}${fits}`, {
      robot,
      joint: b.joint,
      quantity: b.quantity,
      value: b.value,
      limit: b.limit,
      ...(f === undefined ? {} : { fitFactor: f }),
    });
  }

  #hand(): NonNullable<RobotDescription['hand']> {
    const hand = this.description.hand;
    if (!hand) throw new SafetyError('limits', `${this.description.name} has no fingers`);
    return hand;
  }

  #admit(): void {
    if (this.#stopped) throw new SafetyError('stopped', `${this.description.name} is stopped (${this.lastStopReason}): resume before sending commands`);
    if (!this.#connected) throw new SafetyError('disconnected', `${this.description.name} is not connected: commands are refused, not queued`);
  }

  #halt(reason: string): void {
    const was = this.#stopped;
    this.#stopped = true;
    this.lastStopReason = reason;
    this.#lastPoint = null;
    this.#trust.idle();
    this.#halting = true;
    try {
      this.#inner.stop(reason);
    } catch {
      // the link may be down: the robot's own watchdog and the refused commands cover that case
    } finally {
      this.#halting = false;
    }
    if (!was) this.events.emit('stopped', { reason });
  }

  /** The robot stopped by itself (its own watchdog, an aborted goal): it stays stopped here until resumed. */
  #robotStopped(reason: string): void {
    if (this.#halting) return;
    const was = this.#stopped;
    this.#stopped = true;
    this.#lastPoint = null;
    this.#trust.idle();
    if (!was) {
      this.lastStopReason = reason;
      this.events.emit('stopped', { reason });
    }
  }

  #checkWatchdog(): void {
    if (this.#stopped || !this.#connected) return;
    if (this.#now() - this.#lastState > this.#opts.watchdogMs) this.#halt(`no joint state for ${this.#opts.watchdogMs} ms`);
  }
}
