import type { JointLimits } from '../robots/description.js';
import type { JointState } from '../robots/driver.js';
import { sampleCurveInto, type FullPoint } from '../robots/motion/spline.js';

/**
 * Whether a robot's joint states are ones a real arm could have reported: every position finite and near
 * its range, no joint moving between two states faster than its speed limit allows, and, while a
 * commanded curve runs, the arm near where that curve says it is. The gate plans every move from the
 * last state, so a state that fails here (a forged or corrupted message, a sensor fault, an arm held
 * back or pushed) must not be planned from: the gate stops the robot instead.
 */
export interface StateTrustOptions {
  /** How far outside its range a joint may read (encoder slack, a controller's overshoot), rad or m. */
  rangeMargin?: number;
  /** Relative slack on the speed a pair of states implies (timestamps jitter). */
  speedSlack?: number;
  /** Absolute slack on a joint's step between two states (sensor noise), rad or m. */
  noise?: number;
  /** How far a joint may be from the commanded curve while it runs (tracking lag), rad or m. */
  pathTolerance?: number;
  /** How long after the curve's last point the arm may take to settle on it, s. */
  settleTime?: number;
}

export class StateTrust {
  readonly #joints: JointLimits[];
  readonly #rangeMargin: number;
  readonly #speedSlack: number;
  readonly #noise: number;
  readonly #pathTolerance: number;
  readonly #settleTime: number;
  /** The curve the robot was commanded to execute (its first point where the arm was), or empty. */
  #curve: FullPoint[] = [];
  #segment = 0;
  readonly #q: Float64Array;
  readonly #v: Float64Array;
  readonly #a: Float64Array;
  /** The last state judged consistent, and when it arrived (receive clock, ms). */
  #last: Float64Array | null = null;
  #lastTime = 0;
  #lastReceived = 0;

  constructor(joints: JointLimits[], options: StateTrustOptions = {}) {
    this.#joints = joints;
    this.#rangeMargin = options.rangeMargin ?? 0.1;
    // twice the rated speed plus 0.05 of noise: a simulated arm striking keys was seen at 1.9x for
    // one 22 ms step; a forged or faulty pose jumps far more than that
    this.#speedSlack = options.speedSlack ?? 1;
    this.#noise = options.noise ?? 0.05;
    this.#pathTolerance = options.pathTolerance ?? 0.25;
    this.#settleTime = options.settleTime ?? 1;
    const n = joints.length;
    this.#q = new Float64Array(n);
    this.#v = new Float64Array(n);
    this.#a = new Float64Array(n);
  }

  /**
   * The robot was sent this curve: `from` (where the arm was, or the end of what was queued) through
   * `points`. A curve that starts at the end of the one running continues it; otherwise it replaces it.
   */
  commanded(from: FullPoint, points: readonly FullPoint[]): void {
    const last = this.#curve[this.#curve.length - 1];
    if (last && last === from) {
      // the older part is behind the arm: keep the list bounded
      const keep = Math.max(0, this.#segment - 1);
      if (keep > 0) {
        this.#curve.splice(0, keep);
        this.#segment -= keep;
      }
      for (const p of points) this.#curve.push(p);
    } else {
      this.#curve = [from, ...points];
      this.#segment = 0;
    }
  }

  /** Nothing is commanded any more (a stop): states are judged on their own. */
  idle(): void {
    this.#curve = [];
    this.#segment = 0;
  }

  /** Forget the previous state: after a reconnect or a resume the next state starts afresh. */
  reset(): void {
    this.#last = null;
    this.idle();
  }

  /**
   * Judges a state that arrived at `receivedMs` (the gate's clock). Returns null when it is consistent
   * (and remembers it), or why not, naming the joint and the figures; an inconsistent state is not
   * remembered, so the next one is judged against the last good one.
   */
  judge(state: JointState, receivedMs: number): string | null {
    const n = this.#joints.length;
    if (state.positions.length !== n) return null; // a partial state carries no pose the gate plans from
    for (let j = 0; j < n; j++) {
      const lim = this.#joints[j]!;
      const q = state.positions[j]!;
      if (!Number.isFinite(q)) return `joint ${lim.name} reported a position that is not a number`;
      if (lim.type !== 'continuous' && (q < lim.min - this.#rangeMargin || q > lim.max + this.#rangeMargin)) {
        return `joint ${lim.name} reported ${round(q)}, outside its range ${round(lim.min)}..${round(lim.max)}`;
      }
    }
    const last = this.#last;
    if (last) {
      // the robot's clock and the arrival clock: the longer span is the benefit of the doubt (bunched or delayed messages)
      const dt = Math.max(state.time - this.#lastTime, (receivedMs - this.#lastReceived) / 1000, 0);
      for (let j = 0; j < n; j++) {
        const lim = this.#joints[j]!;
        let step = Math.abs(state.positions[j]! - last[j]!);
        if (lim.type === 'continuous') step = Math.min(step, Math.abs(2 * Math.PI - (step % (2 * Math.PI))));
        const allowed = lim.maxSpeed * (1 + this.#speedSlack) * dt + this.#noise;
        if (step > allowed) {
          return `joint ${lim.name} moved ${round(step)} in ${Math.round(dt * 1000)} ms, faster than its ${round(lim.maxSpeed)}/s limit`;
        }
      }
    }
    const off = this.#offCurve(state);
    if (off) return off;
    (this.#last ??= new Float64Array(n)).set(state.positions);
    this.#lastTime = state.time;
    this.#lastReceived = receivedMs;
    return null;
  }

  /** Why the state is too far from the commanded curve at its own time, or null. */
  #offCurve(state: JointState): string | null {
    const curve = this.#curve;
    if (curve.length === 0 || state.time < curve[0]!.time) return null;
    if (state.time > curve[curve.length - 1]!.time + this.#settleTime) {
      this.idle(); // done: the arm holds (or is moved by hand) with nothing commanded
      return null;
    }
    this.#segment = sampleCurveInto(curve, state.time, this.#q, this.#v, this.#a, this.#segment);
    for (let j = 0; j < this.#joints.length; j++) {
      const lim = this.#joints[j]!;
      let off = Math.abs(state.positions[j]! - this.#q[j]!);
      if (lim.type === 'continuous') off = Math.min(off, Math.abs(2 * Math.PI - (off % (2 * Math.PI))));
      if (off > this.#pathTolerance) {
        return `joint ${lim.name} is at ${round(state.positions[j]!)}, ${round(off)} from where it was commanded to be (${round(this.#q[j]!)})`;
      }
    }
    return null;
  }
}

const round = (x: number) => String(Number(x.toPrecision(3)));
