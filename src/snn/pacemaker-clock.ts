import { driveForPeriod, NeuronParams, periodForDrive } from './lif.js';

/** A stretch of constant pacemaker period, from pulse count `fromPulse` on. */
export interface ClockSegment {
  fromPulse: number;
  /** Wanted interval between pulses, ns (real-valued). */
  periodNs: number;
}

/**
 * The pacemaker population's spike times. Its neurons are LIF neurons under a constant drive that
 * changes at segment boundaries (a tempo map); the drive for a segment is chosen so the neurons' exact
 * firing period is the wanted one, and the pulse times follow from that period, rounded to integer ns
 * without accumulating rounding error. Each query keeps its own segment cursor, which moves both ways
(queries are nearly monotonic, so each costs O(1) amortised).
 */
export class PacemakerClock {
  readonly #from: Float64Array;
  readonly #period: Float64Array;
  readonly #start: Float64Array;
  #segOfPulse = 0;
  #segOfTime = 0;

  constructor(params: NeuronParams, startTime: number, segments: readonly ClockSegment[]) {
    if (segments.length === 0 || segments[0]!.fromPulse !== 0) throw new RangeError('PacemakerClock: segments must start at pulse 0');
    const n = segments.length;
    this.#from = new Float64Array(n);
    this.#period = new Float64Array(n);
    this.#start = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = segments[i]!;
      if (i > 0 && !(s.fromPulse > segments[i - 1]!.fromPulse)) {
        throw new RangeError(`PacemakerClock: segment ${i} starts at pulse ${s.fromPulse}, not after the previous one`);
      }
      this.#from[i] = s.fromPulse;
      // the drive that gives this period, and the period that drive really gives
      this.#period[i] = periodForDrive(params, driveForPeriod(params, s.periodNs));
      this.#start[i] = i === 0 ? startTime : this.#start[i - 1]! + (s.fromPulse - segments[i - 1]!.fromPulse) * this.#period[i - 1]!;
    }
  }

  /** Time (integer ns) of pulse `n` (pulse 0 is the start). */
  timeOf(n: number): number {
    let s = this.#segOfPulse;
    while (s + 1 < this.#from.length && this.#from[s + 1]! <= n) s++;
    while (s > 0 && this.#from[s]! > n) s--;
    this.#segOfPulse = s;
    return Math.round(this.#start[s]! + (n - this.#from[s]!) * this.#period[s]!);
  }

  /** How many pulses have occurred by time `t` (pulses at exactly t count). */
  pulsesBy(t: number): number {
    let s = this.#segOfTime;
    while (s + 1 < this.#from.length && Math.round(this.#start[s + 1]!) <= t) s++;
    while (s > 0 && Math.round(this.#start[s]!) > t) s--;
    this.#segOfTime = s;
    const from = this.#from[s]!;
    const start = this.#start[s]!;
    const period = this.#period[s]!;
    if (t < Math.round(start)) return 0; // before pulse 0
    let n = from + Math.floor((t - start) / period);
    while (Math.round(start + (n + 1 - from) * period) <= t) n++;
    while (n > from && Math.round(start + (n - from) * period) > t) n--;
    return n;
  }
}
