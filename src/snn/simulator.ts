import { EventQueue } from './event-queue.js';
import { grow } from './growable.js';
import { NeuronParams } from './lif.js';
import { Network } from './network.js';
import { ClockSegment, PacemakerClock } from './pacemaker-clock.js';
import { SpikeRecorder } from './spike-recorder.js';
import { StdpParams, stdpUpdate, validateStdpParams } from './stdp.js';

export type { ClockSegment };

export interface ClockSpec {
  /** The pacemaker neurons (one synchronous population); their spikes are the pulses. */
  neurons: readonly number[];
  /** Time of pulse 0 (ns); pulse 1 comes one period later. */
  startTime: number;
  segments: readonly ClockSegment[];
}

/** How gated counters (duration neurons) respond: count pacemaker pulses, or relay at once. */
export type CounterMode = 'count' | 'relay';

const NONE = -1;
/** Marks a queued drive of a whole minicolumn (target = column, source = group). */
const COLUMN_DRIVE = -2;
/** Marks a queued forced spike (source = the record its spike is caused by). */
const FORCED = -3;
/** Due-heap keys are pulse * DUE_SEQ + gating sequence number (exact in a double up to 2^31 pulses). */
const DUE_SEQ = 4194304;

/**
 * Event-driven simulation of a Network. Only neurons that receive an event are touched; a LIF
 * neuron's decay between events is applied exactly at the next event. State for a run is reset lazily
 * with an epoch stamp, so a run costs what its spikes cost, not the network's size.
 *
 * Order inside one instant: bias changes, then the pacemaker pulse, then synaptic events (FIFO).
 */
export class Simulator {
  readonly net: Network;
  readonly recorder = new SpikeRecorder();
  /** Per-projection gain (neuromodulation: recall, learning and recognition use different gains). */
  readonly gain: Float32Array;
  counterMode: CounterMode = 'count';
  /**
   * Per projection: 1 makes its synapses act only on neurons whose minicolumn has a non-zero bias at
   * that moment (NMDA-like coincidence: the input opens nothing without the column's own input).
   * Recognition sets it for sequence synapses, so a prediction into a column that is not heard has no
   * effect and costs nothing.
   */
  readonly coincidenceOnly: Uint8Array;
  /**
   * Predictions: when set, every input a coincidenceOnly projection delivers to a neuron whose minicolumn
   * is silent is noted here (the neuron, and the record of the spike that predicted it) instead of
   * vanishing, so a reader can see which neurons were expected but not heard.
   */
  recordPredictions = false;
  /**
   * With recordPredictions: a prediction that finds its minicolumn silent passes on at once along the
   * neuron's links of the same kind to neurons of its own group (a chord's next note), so an event is
   * entered by whichever of its notes is heard.
   */
  spreadPredictions = false;
  readonly predicted = { count: 0, neuron: new Int32Array(256), parent: new Int32Array(256) };
  /**
   * Late inputs: when set, an input a coincidenceOnly projection delivers to a neuron that already fired
   * at that very moment is noted here (the neuron, the input's source neuron and the record of the
   * spike that caused it), so a reader can tell every path that reached a neuron, not only the first.
   */
  recordLateInputs = false;
  readonly lateInputs = { count: 0, neuron: new Int32Array(256), source: new Int32Array(256), parent: new Int32Array(256) };
  /** STDP on plastic projections, or null for none. */
  #stdp: StdpParams | null = null;

  // lazily reset per-neuron state
  #epoch = 1;
  // per-neuron run state, 48 bytes a neuron in one buffer, so a neuron's state is one cache line
  // (two for a third of them) and one page: two views of it,
  // #fs[6n..6n+3] = v (mV or count), time of last event, last spike time, last plastic arrival time
  // #is[12n+8..12n+11] = epoch stamp, last plastic synapse (or a counter's gating neuron), last record, gated
  #fs = new Float64Array(0);
  #is = new Int32Array(0);

  #queue = new EventQueue();
  // open counters, a min-heap keyed by the pulse on which each will fire (ties: gating order)
  #dueHeap = new Float64Array(64);
  #dueNeuron = new Int32Array(64);
  #dueSize = 0;
  #dueSeq = 0;
  #stopGroup = -1;
  #stopCount = Infinity;
  #stopSeen = 0;

  // pacemaker clock
  #clock: PacemakerClock | null = null;
  #volley = 0;
  /** Pulses elapsed at the latest processed instant. */
  pulseCount = 0;

  /** Time (ns) of pacemaker pulse `n` of the clock running now; null without a clock. */
  pulseTime(n: number): number | null {
    return this.#clock ? this.#clock.timeOf(n) : null;
  }

  // bias schedule: parallel arrays sorted by time
  #biasTime: number[] = [];
  #biasKey: number[] = [];
  #biasGroup: number[] = [];
  #biasValue: number[] = [];
  #biasNext = 0;
  /** Column bias per group (allocated when first used), and how many entries are non-zero. */
  #bias: Array<Float32Array | null>;
  #biasActive = 0;
  #inhibitTime: Float64Array;

  // per-group constants, copied once
  readonly #groupModelCounter: Uint8Array;
  readonly #groupTheta: Float64Array;
  readonly #groupTauM: Float64Array;
  readonly #groupVReset: Float64Array;
  readonly #groupTRef: Float64Array;
  readonly #plastic: Uint8Array;

  constructor(net: Network) {
    this.net = net;
    const G = net.groups.length;
    this.#groupModelCounter = new Uint8Array(G);
    this.#groupTheta = new Float64Array(G);
    this.#groupTauM = new Float64Array(G);
    this.#groupVReset = new Float64Array(G);
    this.#groupTRef = new Float64Array(G);
    net.groups.forEach((g, i) => {
      this.#groupModelCounter[i] = g.params.model === 'counter' ? 1 : 0;
      this.#groupTheta[i] = g.params.theta;
      this.#groupTauM[i] = g.params.tauM;
      this.#groupVReset[i] = g.params.vReset;
      this.#groupTRef[i] = g.params.tRef;
    });
    this.gain = new Float32Array(net.projections.length).fill(1);
    this.coincidenceOnly = new Uint8Array(net.projections.length);
    this.#plastic = new Uint8Array(net.projections.map((p) => (p.plastic ? 1 : 0)));
    this.#inhibitTime = new Float64Array(G).fill(-Infinity);
    this.#bias = new Array<Float32Array | null>(G).fill(null);
  }

  set stdp(p: StdpParams | null) {
    if (p) validateStdpParams(p);
    this.#stdp = p;
  }

  get stdp(): StdpParams | null {
    return this.#stdp;
  }

  /** Starts a new run: clears pending events, clock, biases, recorder and all neuron state. */
  reset(): void {
    this.#epoch++;
    const n = this.net.neuronCount;
    if (this.#fs.length < 6 * n) {
      // every stamp is stale after this reset, so a grown memory gets a fresh buffer (nothing to copy:
      // its pages are touched only where a run goes), with room for it to double
      const buf = new ArrayBuffer(48 * Math.max(n, (this.#fs.length / 6) * 2 + 16));
      this.#fs = new Float64Array(buf);
      this.#is = new Int32Array(buf);
    }
    this.#queue.clear();
    this.#dueSize = 0;
    this.#dueSeq = 0;
    this.#clock = null;
    this.#volley = 0;
    this.pulseCount = 0;
    this.#biasTime.length = this.#biasKey.length = this.#biasValue.length = this.#biasGroup.length = 0;
    this.#biasNext = 0;
    for (const b of this.#bias) b?.fill(0);
    this.#biasActive = 0;
    this.#inhibitTime.fill(-Infinity);
    this.#stopGroup = -1;
    this.#stopCount = Infinity;
    this.#stopSeen = 0;
    this.recorder.clear();
    this.predicted.count = 0;
    this.recordPredictions = false;
    this.spreadPredictions = false;
    this.lateInputs.count = 0;
    this.recordLateInputs = false;
  }

  /**
   * Allocates the run state of every neuron and touches its pages now. A fresh buffer's pages are
   * mapped on first touch, and a query that lands on one pays for it (on huge pages, zeroing 2 MiB):
   * a memory that answers queries prepares once, when it is built, instead.
   */
  prepare(): void {
    this.reset();
    this.#fs.fill(0);
  }

  /** The record of `neuron`'s latest recorded spike in this run (or its latest recorded cause), or -1. */
  lastRecord(neuron: number): number {
    return this.#is[neuron * 12 + 8] === this.#epoch ? this.#is[neuron * 12 + 10]! : NONE;
  }

  /**
   * Starts the pacemaker. Its neurons are LIF neurons under constant drive; each volley (all of them
   * firing together) is one pulse. Counters are advanced lazily: after j volleys a gated counter holds
   * j * volley, so the volley on which it reaches threshold is known when it is gated, and the run
   * jumps to that volley's time, which the pacemaker's own dynamics give (see PacemakerClock). This is
   * identical to delivering every volley, without the work.
   */
  startClock(spec: ClockSpec): void {
    if (spec.neurons.length === 0) throw new RangeError('startClock: the pacemaker population is empty');
    const pm = spec.neurons[0]!;
    const p = this.net.groups[this.net.neuronGroup[pm]!]!.params as NeuronParams;
    this.#clock = new PacemakerClock(p, spec.startTime, spec.segments);
    this.#volley = spec.neurons.length;
    this.pulseCount = 0;
  }

  /**
   * Schedules shunting inhibition of a whole group (the area's inhibitory interneurons firing): every
   * neuron of the group that has not fired since is reset to 0 mV. Applied lazily at each neuron's
   * next event, so it costs O(1).
   */
  scheduleInhibition(time: number, group: number): void {
    this.#schedule(time, group, -1, 0);
  }

  /** Schedules the input bias of a minicolumn (added to every event its neurons receive). */
  scheduleBias(time: number, group: number, column: number, value: number): void {
    if (column < 0) throw new RangeError(`scheduleBias: column must be >= 0, got ${column}`);
    this.#schedule(time, group, column, value);
  }

  #schedule(time: number, group: number, column: number, value: number): void {
    const n = this.#biasTime.length;
    if (n > this.#biasNext && time < this.#biasTime[n - 1]!) {
      throw new RangeError(`scheduleBias: times must not decrease (${time} after ${this.#biasTime[n - 1]})`);
    }
    this.#biasTime.push(time);
    this.#biasGroup.push(group);
    this.#biasKey.push(column);
    this.#biasValue.push(value);
  }

  /** External input of `weight` mV to `neuron` at `time` (a gate, for a counter). */
  stimulate(neuron: number, time: number, weight: number): void {
    this.#queue.push(time, neuron, weight, NONE, NONE);
  }

  /** External input to every neuron of a minicolumn at `time` (one event, fanned out when due). */
  stimulateColumn(group: number, column: number, time: number, weight: number): void {
    this.#queue.push(time, column, weight, group, COLUMN_DRIVE);
  }

  /**
   * Makes `neuron` fire at `time` (unless refractory) as if caused by the spike recorded at `parent`
   * (-1: none): a path carried on although its minicolumn was not heard.
   */
  fireFrom(neuron: number, time: number, parent: number): void {
    this.#queue.push(time, neuron, 0, parent, FORCED);
  }

  /**
   * Sends `neuron`'s spike at `time` along its synapses of projection `kind` only (a readout); with
   * `burst` > 1, that many spikes `spacing` ns apart.
   */
  emitAlong(neuron: number, time: number, kind: number, burst = 1, spacing = 1): void {
    const net = this.net;
    for (let s = net.firstOut[neuron]!; s >= 0; s = net.synNext[s]!) {
      if (net.synKind[s] !== kind) continue;
      for (let j = 0; j < burst; j++) this.#queue.push(time + j * spacing + net.synDelay[s]!, net.synPost[s]!, net.synWeight[s]!, neuron, s);
    }
  }

  /** Makes run() return once `count` spikes of `group` have occurred in this run (reset clears it). */
  stopAfter(group: number, count: number): void {
    this.#stopGroup = group;
    this.#stopCount = count;
    this.#stopSeen = 0;
  }

  /** Membrane potential of `neuron` at `time` (0 if untouched this run). */
  potential(neuron: number, time: number): number {
    if (this.#is[neuron * 12 + 8] !== this.#epoch) return 0;
    const g = this.net.neuronGroup[neuron]!;
    if (this.#groupModelCounter[g]) return this.#fs[neuron * 6]!;
    return this.#fs[neuron * 6]! * Math.exp(-(time - this.#fs[neuron * 6 + 1]!) / this.#groupTauM[g]!);
  }

  /** Runs until nothing is pending (or past `until` ns). Returns the time reached. */
  run(until = Infinity): number {
    const q = this.#queue;
    const net = this.net;
    let now = 0;
    for (;;) {
      if (this.#stopSeen >= this.#stopCount) {
        this.#stopCount = Infinity;
        break;
      }
      const tq = q.peekTime();
      const tb = this.#biasNext < this.#biasTime.length ? this.#biasTime[this.#biasNext]! : Infinity;
      const tp = this.#dueSize > 0 && this.#clock ? this.#clock.timeOf(Math.floor(this.#dueHeap[0]! / DUE_SEQ)) : Infinity;
      const t = Math.min(tq, tb, tp);
      if (t === Infinity || t > until) break;
      now = t;
      if (tb === t) {
        this.#applyBias(t);
        continue;
      }
      if (tp === t) {
        this.#fireDueCounters(t);
        continue;
      }
      let e = q.popBucket();
      while (e >= 0) {
        const next = q.evNext[e]!;
        const target = q.evTarget[e]!;
        const w = q.evWeight[e]!;
        const src = q.evSource[e]!;
        const syn = q.evSyn[e]!;
        q.release(e);
        if (syn === COLUMN_DRIVE) {
          const members = net.columnMembers(src, target);
          for (let i = 0; i < members.length; i++) this.#deliver(members[i]!, t, w, NONE, NONE, net);
        } else if (syn === FORCED) this.#force(target, t, src);
        else this.#deliver(target, t, w, src, syn, net);
        e = next;
      }
    }
    return now;
  }

  #applyBias(t: number): void {
    while (this.#biasNext < this.#biasTime.length && this.#biasTime[this.#biasNext] === t) {
      const i = this.#biasNext++;
      const v = this.#biasValue[i]!;
      const column = this.#biasKey[i]!;
      const g = this.#biasGroup[i]!;
      if (column < 0) {
        this.#inhibitTime[g] = t;
        continue;
      }
      let arr = this.#bias[g];
      if (!arr || arr.length <= column) {
        const next = new Float32Array(Math.max(column + 1, 128));
        if (arr) next.set(arr);
        this.#bias[g] = arr = next;
      }
      this.#biasActive += (v !== 0 ? 1 : 0) - (arr[column] !== 0 ? 1 : 0);
      arr[column] = v;
    }
  }

  /** The volley at time t: every counter due on it fires, in gating order. */
  #fireDueCounters(t: number): void {
    const pulse = Math.floor(this.#dueHeap[0]! / DUE_SEQ);
    this.pulseCount = pulse;
    while (this.#dueSize > 0 && Math.floor(this.#dueHeap[0]! / DUE_SEQ) === pulse) {
      const n = this.#dueNeuron[0]!;
      this.#duePop();
      this.#is[n * 12 + 11] = 0;
      this.#fs[n * 6] = this.#groupTheta[this.net.neuronGroup[n]!]! * this.net.neuronColumn[n]!;
      this.#spike(n, t, this.#is[n * 12 + 9]!);
    }
  }

  #duePush(n: number, key: number): void {
    let i = this.#dueSize++;
    if (i >= this.#dueHeap.length) {
      this.#dueHeap = grow(this.#dueHeap, i + 1);
      this.#dueNeuron = grow(this.#dueNeuron, i + 1);
    }
    const heap = this.#dueHeap;
    const who = this.#dueNeuron;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= key) break;
      heap[i] = heap[p]!;
      who[i] = who[p]!;
      i = p;
    }
    heap[i] = key;
    who[i] = n;
  }

  #duePop(): void {
    const heap = this.#dueHeap;
    const who = this.#dueNeuron;
    const n = --this.#dueSize;
    if (n === 0) return;
    const key = heap[n]!;
    const last = who[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]! < heap[l]! ? r : l;
      if (heap[c]! >= key) break;
      heap[i] = heap[c]!;
      who[i] = who[c]!;
      i = c;
    }
    heap[i] = key;
    who[i] = last;
  }

  #touch(n: number, t: number): void {
    const fs = this.#fs;
    const is = this.#is;
    is[n * 12 + 8] = this.#epoch;
    fs[n * 6] = 0;
    fs[n * 6 + 1] = t;
    fs[n * 6 + 2] = -Infinity;
    is[n * 12 + 9] = NONE;
    is[n * 12 + 11] = 0;
    is[n * 12 + 10] = NONE;
  }

  #deliver(n: number, t: number, w: number, src: number, syn: number, net: Network): void {
    const fs = this.#fs;
    const is = this.#is;
    const g = net.neuronGroup[n]!;
    if (syn >= 0 && this.coincidenceOnly[net.synKind[syn]!] && !(this.#bias[g]?.[net.neuronColumn[n]!] ?? 0)) {
      // a dendritic input that needs its minicolumn's input: without it, no effect (but it may be noted)
      if (this.recordPredictions && w * this.gain[net.synKind[syn]!]! > 0) {
        this.#notePrediction(n, src);
        if (this.spreadPredictions) this.#spread(n, t, w, src, syn, net);
      }
      return;
    }
    if (is[n * 12 + 8] !== this.#epoch) this.#touch(n, t);
    if (this.#groupModelCounter[g]) {
      // a gate event: the counter starts counting pulses (source kept as the cause of its spike);
      // a cut synapse (weight 0) opens nothing
      if (is[n * 12 + 11] || !(syn < 0 ? w > 0 : w * this.gain[net.synKind[syn]!]! > 0)) return;
      is[n * 12 + 9] = src;
      if (this.counterMode === 'relay' || net.neuronColumn[n] === 0) {
        this.#spike(n, t, src);
        return;
      }
      if (!this.#clock) return; // no pacemaker: it would never fire
      is[n * 12 + 11] = 1;
      fs[n * 6] = 0;
      const now = this.#clock.pulsesBy(t);
      const due = now + Math.ceil((this.#groupTheta[g]! * net.neuronColumn[n]!) / this.#volley);
      this.#duePush(n, due * DUE_SEQ + (this.#dueSeq++ % DUE_SEQ));
      return;
    }
    // LIF: exact decay since the last event, then the input
    const dtLast = t - fs[n * 6 + 1]!;
    if (fs[n * 6 + 1]! < this.#inhibitTime[g]!) fs[n * 6] = 0;
    let v = dtLast > 0 ? fs[n * 6]! * Math.exp(-dtLast / this.#groupTauM[g]!) : fs[n * 6]!;
    fs[n * 6 + 1] = t;
    let input = w;
    if (syn >= 0) {
      const kind = net.synKind[syn]!;
      input *= this.gain[kind]!;
      if (this.#plastic[kind] && this.#stdp) {
        // depression if the post neuron already fired; remember the arrival for potentiation
        const tPost = fs[n * 6 + 2]!;
        if (tPost > -Infinity) net.synWeight[syn] = stdpUpdate(this.#stdp, net.synWeight[syn]!, tPost - t);
        is[n * 12 + 9] = syn;
        fs[n * 6 + 3] = t;
      }
    }
    if (this.#biasActive > 0) {
      const arr = this.#bias[g];
      if (arr) input += arr[net.neuronColumn[n]!] ?? 0;
    }
    v += input;
    if (v >= this.#groupTheta[g]! && t - fs[n * 6 + 2]! >= this.#groupTRef[g]!) {
      this.#spike(n, t, src);
      return;
    }
    fs[n * 6] = v;
    if (this.recordLateInputs && fs[n * 6 + 2] === t && syn >= 0 && this.coincidenceOnly[net.synKind[syn]!]) this.#noteLateInput(n, src);
  }

  #noteLateInput(n: number, src: number): void {
    const l = this.lateInputs;
    const i = l.count++;
    if (i >= l.neuron.length) {
      l.neuron = grow(l.neuron, i + 1);
      l.source = grow(l.source, i + 1);
      l.parent = grow(l.parent, i + 1);
    }
    l.neuron[i] = n;
    l.source[i] = src;
    l.parent[i] = src >= 0 && this.#is[src * 12 + 8] === this.#epoch ? this.#is[src * 12 + 10]! : NONE;
  }

  #notePrediction(n: number, src: number): void {
    const p = this.predicted;
    const i = p.count++;
    if (i >= p.neuron.length) {
      p.neuron = grow(p.neuron, i + 1);
      p.parent = grow(p.parent, i + 1);
    }
    p.neuron[i] = n;
    p.parent[i] = src >= 0 && this.#is[src * 12 + 8] === this.#epoch ? this.#is[src * 12 + 10]! : NONE;
  }

  /** The silent neuron passes the prediction on as its own (its cause: the prediction's cause). */
  #spread(n: number, t: number, w: number, src: number, syn: number, net: Network): void {
    const kind = net.synKind[syn]!;
    const g = net.neuronGroup[n]!;
    if (this.#is[n * 12 + 8] !== this.#epoch) this.#touch(n, t);
    this.#is[n * 12 + 10] = src >= 0 && this.#is[src * 12 + 8] === this.#epoch ? this.#is[src * 12 + 10]! : NONE;
    for (let s = net.firstOut[n]!; s >= 0; s = net.synNext[s]!) {
      const post = net.synPost[s]!;
      if (net.synKind[s] === kind && net.neuronGroup[post] === g && net.synWeight[s]! > 0) this.#deliver(post, t, w, n, s, net);
    }
  }

  #force(n: number, t: number, parent: number): void {
    if (this.#is[n * 12 + 8] !== this.#epoch) this.#touch(n, t);
    if (t - this.#fs[n * 6 + 2]! < this.#groupTRef[this.net.neuronGroup[n]!]!) return;
    this.#fs[n * 6 + 1] = t;
    this.#spike(n, t, NONE, parent);
  }

  #spike(n: number, t: number, src: number, forcedParent = FORCED): void {
    const fs = this.#fs;
    const is = this.#is;
    const net = this.net;
    const g = net.neuronGroup[n]!;
    fs[n * 6 + 2] = t;
    fs[n * 6] = this.#groupVReset[g]!;
    // the latest recorded ancestor: a spike's parent record; an unrecorded spike passes its cause's on
    const parent = forcedParent !== FORCED ? forcedParent : src >= 0 && is[src * 12 + 8] === this.#epoch ? is[src * 12 + 10]! : NONE;
    if (this.recorder.groups[g]) {
      if (this.#clock) this.pulseCount = this.#clock.pulsesBy(t);
      is[n * 12 + 10] = this.recorder.record(t, n, src, this.pulseCount, parent, g);
    } else is[n * 12 + 10] = parent;
    if (g === this.#stopGroup) this.#stopSeen++;
    if (this.#stdp && !this.#groupModelCounter[g]) {
      const s = is[n * 12 + 9]!;
      if (s >= 0) {
        net.synWeight[s] = stdpUpdate(this.#stdp, net.synWeight[s]!, t - fs[n * 6 + 3]!);
        is[n * 12 + 9] = NONE;
      }
    }
    const q = this.#queue;
    const gain = this.gain;
    for (let s = net.firstOut[n]!; s >= 0; s = net.synNext[s]!) {
      if (gain[net.synKind[s]!] === 0) continue;
      q.push(t + net.synDelay[s]!, net.synPost[s]!, net.synWeight[s]!, n, s);
    }
  }
}
