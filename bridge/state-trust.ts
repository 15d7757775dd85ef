import type { JointLimits } from '../robots/description.js';
import type { JointState } from '../robots/driver.js';

/**
 * Whether a robot's joint states are ones a real arm could have reported: every position finite and near
 * its range, and no joint moving between two states faster than its speed limit allows. The gate plans
 * every move from the last state, so a state that fails here (a forged or corrupted message, a sensor
 * fault) must not be planned from: the gate stops the robot instead.
 */
export interface StateTrustOptions {
  /** How far outside its range a joint may read (encoder slack, a controller's overshoot), rad or m. */
  rangeMargin?: number;
  /** Relative slack on the speed a pair of states implies (timestamps jitter). */
  speedSlack?: number;
  /** Absolute slack on a joint's step between two states (sensor noise), rad or m. */
  noise?: number;
}

export class StateTrust {
  readonly #joints: JointLimits[];
  readonly #rangeMargin: number;
  readonly #speedSlack: number;
  readonly #noise: number;
  /** The last state judged consistent, and when it arrived (receive clock, ms). */
  #last: Float64Array | null = null;
  #lastTime = 0;
  #lastReceived = 0;

  constructor(joints: JointLimits[], options: StateTrustOptions = {}) {
    this.#joints = joints;
    this.#rangeMargin = options.rangeMargin ?? 0.1;
    this.#speedSlack = options.speedSlack ?? 0.5;
    this.#noise = options.noise ?? 0.02;
  }

  /** Forget the previous state: after a reconnect or a resume the next state starts afresh. */
  reset(): void {
    this.#last = null;
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
    (this.#last ??= new Float64Array(n)).set(state.positions);
    this.#lastTime = state.time;
    this.#lastReceived = receivedMs;
    return null;
  }
}

const round = (x: number) => String(Number(x.toPrecision(3)));
