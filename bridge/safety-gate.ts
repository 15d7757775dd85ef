import type { RobotDescription } from '../robots/description.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../robots/driver.js';
import { Emitter } from '../robots/events.js';

/** A command the gate refused; nothing of it reached the robot. */
export class SafetyError extends Error {
  readonly reason: 'limits' | 'disconnected' | 'stopped' | 'malformed';
  constructor(reason: SafetyError['reason'], message: string) {
    super(message);
    this.name = 'SafetyError';
    this.reason = reason;
  }
}

export interface SafetyGateOptions {
  /** Stop the robot when no joint state has arrived for this long while it may be moving, ms. */
  watchdogMs?: number;
  /** Relative slack on speed limits for rounding in the planner, 0..1. */
  speedSlack?: number;
  /** Clock (ms) and timers, replaceable in tests. */
  now?: () => number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/**
 * The gate between the memory and any real robot. Every command is checked against the robot's
 * description before it is passed on: joint positions inside their limits, speeds (given, and implied
 * between consecutive points) under the joint's maximum, finger indices and strokes in range. While the
 * link is down, or after stop(), commands are refused, never queued. stop() always reaches the driver,
 * whatever state the gate is in. A watchdog stops the robot when its joint states stop arriving.
 */
export class SafetyGate implements RobotDriver {
  readonly #inner: RobotDriver;
  readonly #opts: Required<Omit<SafetyGateOptions, 'now' | 'setInterval' | 'clearInterval'>>;
  readonly #now: () => number;
  #connected = true;
  #stopped = false;
  #lastState = 0;
  #lastPoint: TrajectoryPoint | null = null;
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
    this.#lastState = this.#now();
    const si = options.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms).unref());
    this.#clearInterval = options.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout));
    this.#watchdog = si(() => this.#checkWatchdog(), Math.max(10, this.#opts.watchdogMs / 4));
    const ev = inner.events;
    this.#unsubscribe = [
      ev.on('state', (s) => (this.heartbeat(), this.events.emit('state', s))),
      ev.on('connection', (up) => (this.setConnected(up), this.events.emit('connection', up))),
      ev.on('result', (r) => this.events.emit('result', r)),
      ev.on('stopped', (s) => this.events.emit('stopped', s)),
      ev.on('error', (e) => this.events.emit('error', e)),
      ev.on('key', (k) => this.events.emit('key', k)),
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
    this.#connected = up;
    if (up) this.#lastState = this.#now();
  }

  /** A joint state arrived from the robot: feeds the watchdog. */
  heartbeat(): void {
    this.#lastState = this.#now();
  }

  /** Allows commands again after a stop (an explicit operator action). */
  resume(): void {
    this.#stopped = false;
    this.lastStopReason = null;
    this.#lastPoint = null;
    this.#lastState = this.#now();
  }

  follow(points: TrajectoryPoint[]): void {
    this.#admit();
    this.checkTrajectory(points);
    this.#inner.follow(points);
    this.#lastPoint = points[points.length - 1] ?? this.#lastPoint;
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

  /** Throws a SafetyError naming the joint and value for the first point that breaks a limit. */
  checkTrajectory(points: TrajectoryPoint[]): void {
    const joints = this.description.joints;
    const slack = 1 + this.#opts.speedSlack;
    let prev = this.#lastPoint;
    points.forEach((p, k) => {
      if (!p || !Number.isFinite(p.time) || !Array.isArray(p.positions) || p.positions.length !== joints.length) {
        throw new SafetyError('malformed', `${this.description.name}: trajectory point ${k} needs a time and ${joints.length} joint positions`);
      }
      for (let j = 0; j < joints.length; j++) {
        const lim = joints[j]!;
        const q = p.positions[j]!;
        if (!Number.isFinite(q) || q < lim.min || q > lim.max) {
          throw new SafetyError('limits', `${this.description.name}: point ${k}: joint ${lim.name} position ${q} rad is outside ${lim.min}..${lim.max}`);
        }
        const v = p.velocities?.[j];
        if (v !== undefined && (!Number.isFinite(v) || Math.abs(v) > lim.maxSpeed * slack)) {
          throw new SafetyError('limits', `${this.description.name}: point ${k}: joint ${lim.name} speed ${v} rad/s is over its ${lim.maxSpeed} rad/s`);
        }
        if (prev && p.time > prev.time) {
          const implied = Math.abs(q - prev.positions[j]!) / (p.time - prev.time);
          if (implied > lim.maxSpeed * slack) {
            throw new SafetyError('limits', `${this.description.name}: point ${k}: joint ${lim.name} would move at ${implied.toFixed(3)} rad/s, over its ${lim.maxSpeed} rad/s`);
          }
        } else if (prev && p.time < prev.time) {
          throw new SafetyError('malformed', `${this.description.name}: point ${k}: time ${p.time} goes back (after ${prev.time})`);
        }
      }
      prev = p;
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
    try {
      this.#inner.stop();
    } catch {
      // the link may be down: the robot's own watchdog and the refused commands cover that case
    }
    if (!was) this.events.emit('stopped', { reason });
  }

  #checkWatchdog(): void {
    if (this.#stopped || !this.#connected) return;
    if (this.#now() - this.#lastState > this.#opts.watchdogMs) this.#halt(`no joint state for ${this.#opts.watchdogMs} ms`);
  }
}
