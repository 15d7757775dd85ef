import type { GripperResult } from '../robots/driver.js';

/** A command waiting for its time, or under way. */
interface GripperMove {
  closure: number;
  at: number;
  /** Where the gripper was when the move began (set once it begins). */
  from?: number;
}

/**
 * A simulated parallel gripper driven by its robot's clock: a command takes it from where it is to the
 * closure asked at a constant speed (full travel in `seconds`), starting at its time. A command
 * that starts while another is under way preempts it (that one ends not ok, as a GripperCommand action
 * server answers a preempted goal); stop() cancels what is under way and queued and holds where it is.
 * Nothing is in its jaws, so it never stalls.
 */
export class SimGripper {
  readonly seconds: number;
  #position: number;
  #time = 0;
  #moving: GripperMove | null = null;
  /** Commands not begun yet, by time. */
  #queue: GripperMove[] = [];

  constructor(seconds: number, closure = 0) {
    if (!(seconds > 0 && Number.isFinite(seconds))) throw new RangeError('SimGripper: seconds must be a positive number');
    this.seconds = seconds;
    this.#position = closure;
  }

  /** How closed it is now, 0 = open .. 1 = closed. */
  get position(): number {
    return this.#position;
  }

  /** Queues a move to `closure` at `at` (a time already past: now). Throws on a closure outside 0..1. */
  command(closure: number, at: number): void {
    if (!(typeof closure === 'number' && closure >= 0 && closure <= 1)) throw new RangeError(`gripper closure must be a number from 0 (open) to 1 (closed), got ${typeof closure === 'number' ? closure : typeof closure}`);
    if (!Number.isFinite(at)) throw new RangeError('gripper command time must be a finite number of seconds');
    const move = { closure, at: Math.max(at, this.#time) };
    const i = this.#queue.findIndex((m) => m.at > move.at);
    this.#queue.splice(i < 0 ? this.#queue.length : i, 0, move);
  }

  /** Moves on to time `t`, s; returns the commands that ended meanwhile, in order. */
  advance(t: number): GripperResult[] {
    const out: GripperResult[] = [];
    while (this.#time < t) {
      const next = this.#queue[0];
      // the next thing that happens: a queued command begins, or the move under way arrives
      const arrive = this.#moving ? this.#moving.at + (Math.abs(this.#moving.closure - this.#moving.from!) * this.seconds) : Infinity;
      const until = Math.min(t, next ? next.at : Infinity, arrive);
      this.#moveTo(until);
      if (this.#moving && until >= arrive) {
        this.#position = this.#moving.closure;
        out.push({ ok: true, closure: this.#moving.closure, position: this.#position });
        this.#moving = null;
      }
      if (next && until >= next.at) {
        this.#queue.shift();
        if (this.#moving) out.push({ ok: false, closure: this.#moving.closure, position: this.#position, error: `gripper command preempted at ${until.toFixed(3)} s by a newer one` });
        this.#moving = { ...next, at: until, from: this.#position };
      }
      if (until >= t) break;
    }
    return out;
  }

  /** Cancels the move under way and every queued one (each ends not ok) and holds where it is. */
  stop(reason: string): GripperResult[] {
    const ended = [...(this.#moving ? [this.#moving] : []), ...this.#queue];
    this.#moving = null;
    this.#queue = [];
    return ended.map((m) => ({ ok: false, closure: m.closure, position: this.#position, error: `gripper command cancelled (${reason})` }));
  }

  #moveTo(t: number): void {
    const m = this.#moving;
    if (m) {
      const way = Math.sign(m.closure - m.from!);
      const p = m.from! + (way * (t - m.at)) / this.seconds;
      this.#position = way > 0 ? Math.min(m.closure, p) : Math.max(m.closure, p);
    }
    this.#time = Math.max(this.#time, t);
  }
}
