import { Network } from '../snn/network.js';
import { Rng } from '../snn/rng.js';
import { ClockSegment, Simulator } from '../snn/simulator.js';
import { DEFAULT_PARAMS, longestTickNs, MemoryParams, validateParams } from './params.js';
import type {
  CompleteResult,
  Fragment,
  IdentifyMatch,
  RecalledNote,
  RecallResult,
  Sequence,
  SequenceNote,
} from './types.js';
import {
  MemoryInputError,
  UnknownTitleError,
  validateFragment,
  validateSequence,
  validateTempo,
  validateTitle,
} from './validate.js';

/** Neuron groups (areas and clusters) of the model. */
export const SPATIAL = 0;
export const DURATION = 1;
export const INTERVAL = 2;
export const GOAL = 3;
export const PACEMAKER = 4;
/** Projections. */
export const SEQUENCE = 0;
export const DURATION_GATE = 1;
export const INTERVAL_GATE = 2;
export const FEEDBACK = 3;

/** What the memory keeps per title: its goal neurons, its tempo map and descriptive metadata. */
export interface TitleEntry {
  title: string;
  /** First goal neuron; one goal neuron per track, consecutive. */
  goalFirst: number;
  tracks: number;
  trackNames: string[];
  /** Tempo map as parallel arrays (tick, seconds per tick). */
  timingTick: Float64Array;
  timingSpt: Float64Array;
  meta: NonNullable<Sequence['meta']>;
}

export interface LearnStats {
  title: string;
  tracks: number;
  notes: number;
  events: number;
  neuronsAdded: number;
  synapsesAdded: number;
}

export interface MemoryStats {
  titles: number;
  notes: number;
  neurons: number;
  synapses: number;
  /** Bytes of network structure (neurons + synapses), without slack. */
  structureBytes: number;
  /** Bytes of the per-title tables (tempo maps, names). */
  tableBytes: number;
}

/** One matching place found by recognition: the path's last neuron and where the path began. */
interface Endpoint {
  neuron: number;
  goal: number;
  /** Duration misfit of the place (Infinity when no durations were given). */
  misfit: number;
  /** |ln| of the tempo factor the fragment implies for this place (0 unless durations are in seconds). */
  tempoDistance: number;
}

/** Endpoint order: durations that fit first, then the most plausible tempo, then the closest fit. */
function endpointOrder(tol: number) {
  return (a: Endpoint, b: Endpoint) =>
    Number(a.misfit > tol) - Number(b.misfit > tol) || a.tempoDistance - b.tempoDistance || a.misfit - b.misfit;
}

interface Recognition {
  matches: IdentifyMatch[];
  endpoints: Endpoint[];
}

function groupSpecs(p: MemoryParams) {
  const counter = { model: 'counter' as const, tauM: 1, theta: p.pacemakerSize, vReset: 0, tRef: 0 };
  return [
    { name: 'spatial', params: p.spatial },
    { name: 'duration', params: counter },
    { name: 'interval', params: counter },
    { name: 'goal', params: p.goal },
    { name: 'pacemaker', params: p.pacemaker },
  ];
}

const PROJECTIONS = [
  { name: 'sequence', plastic: true },
  { name: 'duration-gate', plastic: false },
  { name: 'interval-gate', plastic: false },
  { name: 'feedback', plastic: false },
];

/**
 * The sequence memory of Liang, Zeng & Xu (2020): a spatial area of symbol minicolumns, a temporal
 * area of duration minicolumns (gated pulse counters), a goal cluster (one neuron per title and track)
 * and a pacemaker cluster whose rate sets the tempo. Each note of each learned context recruits its
 * own neuron; STDP over delayed synapses stores the order; counters of pacemaker pulses store timing.
 * See docs/MODEL.md.
 */
export class SequenceMemory {
  readonly params: MemoryParams;
  #net: Network;
  #sim: Simulator;
  /** Whether neurons were recruited since the last consolidation. */
  #dirty = false;
  readonly #rng: Rng;
  readonly #titles: TitleEntry[] = [];
  readonly #titleIndex = new Map<string, number>();
  readonly #pacemaker: number[] = [];
  readonly #typicalSpt = new Map<number, number>();

  constructor(params: Partial<MemoryParams> = {}, network?: Network, rngState?: number) {
    this.params = { ...DEFAULT_PARAMS, ...params };
    const p = this.params;
    validateParams(p);
    if (p.delayGate + p.delayRelease !== p.delayChord) {
      throw new RangeError(
        `params: delayGate + delayRelease (${p.delayGate} + ${p.delayRelease}) must equal delayChord (${p.delayChord}), so every step of a chain takes the same time`,
      );
    }
    if (p.maxChord * p.delayChord + p.delayGate + p.delayRelease >= p.minTickNs || p.minTickNs * 2 > p.learnTickNs) {
      throw new RangeError('params: a full chord must fit inside minTickNs, and minTickNs inside half of learnTickNs');
    }
    this.#net = network ?? new Network(groupSpecs(p), PROJECTIONS);
    this.#rng = new Rng(p.seed);
    if (rngState !== undefined) this.#rng.state = rngState;
    if (!network) for (let i = 0; i < p.pacemakerSize; i++) this.#pacemaker.push(this.#net.addNeuron(PACEMAKER, 0));
    else for (let n = 0; n < network.neuronCount; n++) if (network.neuronGroup[n] === PACEMAKER) this.#pacemaker.push(n);
    this.#sim = new Simulator(this.#net);
  }

  /** The network (replaced by consolidate(): do not keep it across learn/identify calls). */
  get net(): Network {
    return this.#net;
  }

  get sim(): Simulator {
    return this.#sim;
  }

  /**
   * Consolidation: renumbers the neurons so each symbol minicolumn's neurons lie together in memory,
   * each followed by its duration and interval neurons, with every neuron's synapses beside it (goal
   * and pacemaker neurons first). Nothing is added, removed or reweighted: only the storage order
   * changes, so driving a whole minicolumn (recognition) streams through memory. Runs when needed
   * (before recognition, before a snapshot); the order it makes depends only on what was learned.
   */
  consolidate(): void {
    if (!this.#dirty) return;
    const net = this.#net;
    const N = net.neuronCount;
    const placed = new Uint8Array(N);
    const order = new Int32Array(N);
    let k = 0;
    const place = (n: number) => {
      if (n >= 0 && !placed[n]) {
        placed[n] = 1;
        order[k++] = n;
      }
    };
    const target = (n: number, kind: number) => {
      const s = net.outOfKind(n, kind);
      return s < 0 ? -1 : net.synPost[s]!;
    };
    for (let n = 0; n < N; n++) if (net.neuronGroup[n] === PACEMAKER) place(n);
    for (let n = 0; n < N; n++) if (net.neuronGroup[n] === GOAL) place(n);
    for (let n = 0; n < N; n++) if (net.neuronGroup[n] === GOAL) place(target(n, INTERVAL_GATE));
    for (let c = 0; c <= this.params.maxSymbol; c++) {
      const members = net.columnMembers(SPATIAL, c);
      for (let i = 0; i < members.length; i++) {
        const m = members[i]!;
        place(m);
        place(target(m, DURATION_GATE));
        place(target(m, INTERVAL_GATE));
      }
    }
    for (let n = 0; n < N; n++) place(n);
    const { net: next, newIndex } = net.permuted(order);
    for (const e of this.#titles) e.goalFirst = newIndex[e.goalFirst]!;
    for (let i = 0; i < this.#pacemaker.length; i++) this.#pacemaker[i] = newIndex[this.#pacemaker[i]!]!;
    this.#net = next;
    this.#sim = new Simulator(next);
    this.#dirty = false;
  }

  get size(): number {
    return this.#titles.length;
  }

  get rngState(): number {
    return this.#rng.state;
  }

  has(title: string): boolean {
    return this.#titleIndex.has(title);
  }

  titles(): readonly TitleEntry[] {
    return this.#titles;
  }

  entry(title: string): TitleEntry {
    const i = this.#titleIndex.get(title);
    if (i === undefined) throw new UnknownTitleError(title);
    return this.#titles[i]!;
  }

  /** Restores a title table entry (snapshot load). */
  restoreEntry(e: TitleEntry): void {
    this.#titleIndex.set(e.title, this.#titles.length);
    this.#titles.push(e);
  }

  stats(): MemoryStats {
    let notes = 0;
    const { neuronGroup, neuronCount } = this.#net;
    for (let n = 0; n < neuronCount; n++) if (neuronGroup[n] === SPATIAL) notes++;
    let tableBytes = 0;
    for (const e of this.#titles) tableBytes += e.timingTick.byteLength + e.timingSpt.byteLength + 64 + e.title.length * 2;
    return {
      titles: this.#titles.length,
      notes,
      neurons: neuronCount,
      synapses: this.#net.synapseCount,
      structureBytes: this.#net.structureBytes(),
      tableBytes,
    };
  }

  /**
   * Learns a sequence under `title`: recruits a goal neuron per track, a spatial neuron per note, a
   * duration neuron per note and an interval neuron per event, links them with weak synapses, then
   * presents the sequence (teacher bias on the heard minicolumns, pacemaker running) so STDP
   * strengthens the links whose spikes arrive as their targets fire. Nothing changes if it throws.
   */
  learn(title: string, seq: Sequence): LearnStats {
    validateTitle(title);
    if (this.#titleIndex.has(title)) throw new MemoryInputError('title', `'${title}' is already learned`);
    const p = this.params;
    validateSequence(title, seq, p);
    const timing = seq.timing ?? [{ tick: 0, secondsPerTick: 0.001 }];
    const net = this.#net;
    const n0 = net.neuronCount;
    const s0 = net.synapseCount;
    const titleIndex = this.#titles.length;
    const tracks = seq.tracks.map((t) =>
      [...t.notes].sort((a, b) => a.tick - b.tick || a.symbol - b.symbol || a.duration - b.duration),
    );
    const goalFirst = net.neuronCount;
    for (let ti = 0; ti < tracks.length; ti++) net.addNeuron(GOAL, titleIndex);
    let events = 0;
    tracks.forEach((notes, ti) => {
      events += this.#recruitTrack(goalFirst + ti, notes);
    });
    this.#train(goalFirst, tracks);
    this.#dirty = true;
    const entry: TitleEntry = {
      title,
      goalFirst,
      tracks: tracks.length,
      trackNames: seq.tracks.map((t, i) => t.name ?? `track ${i + 1}`),
      timingTick: Float64Array.from(timing, (s) => s.tick),
      timingSpt: Float64Array.from(timing, (s) => s.secondsPerTick),
      meta: { ...(seq.meta ?? {}) },
    };
    this.restoreEntry(entry);
    return {
      title,
      tracks: tracks.length,
      notes: tracks.reduce((a, t) => a + t.length, 0),
      events,
      neuronsAdded: net.neuronCount - n0,
      synapsesAdded: net.synapseCount - s0,
    };
  }

  /** Recruits the chain of one track: goal -> offset counter -> notes (chord order) -> interval counter -> ... */
  #recruitTrack(goal: number, notes: SequenceNote[]): number {
    const net = this.#net;
    const p = this.params;
    let counter = net.addNeuron(INTERVAL, notes[0]!.tick);
    net.addSynapse(goal, counter, p.wGate, p.delayGate, INTERVAL_GATE);
    let events = 0;
    for (let i = 0; i < notes.length; ) {
      let j = i;
      while (j < notes.length && notes[j]!.tick === notes[i]!.tick) j++;
      let prev = counter;
      for (let k = i; k < j; k++) {
        const note = notes[k]!;
        const n = net.addNeuron(SPATIAL, note.symbol);
        const w = p.wInit + this.#rng.uniform(-p.wInitJitter, p.wInitJitter);
        net.addSynapse(prev, n, w, k === i ? p.delayRelease : p.delayChord, SEQUENCE);
        const d = net.addNeuron(DURATION, note.duration);
        net.addSynapse(n, d, p.wGate, p.delayGate, DURATION_GATE);
        net.addSynapse(n, goal, p.wFeedback, p.delayFeedback, FEEDBACK);
        prev = n;
      }
      events++;
      if (j < notes.length) {
        counter = net.addNeuron(INTERVAL, notes[j]!.tick - notes[i]!.tick);
        net.addSynapse(prev, counter, p.wGate, p.delayGate, INTERVAL_GATE);
      }
      i = j;
    }
    return events;
  }

  /** The learning episode: pacemaker at one pulse per tick, the heard symbols' columns biased during their tick. */
  #train(goalFirst: number, tracks: SequenceNote[][]): void {
    const p = this.params;
    const sim = this.#sim;
    sim.reset();
    sim.stdp = p.stdp;
    sim.counterMode = 'count';
    sim.gain.fill(1);
    sim.gain[FEEDBACK] = 0;
    sim.coincidenceOnly.fill(0);
    sim.recorder.groups.fill(0);
    const P = p.learnTickNs;
    const start = P;
    sim.startClock({ neurons: this.#pacemaker, startTime: start, segments: [{ fromPulse: 0, periodNs: P }] });
    // heard symbols per tick (all tracks), in time order
    const heard: number[] = [];
    for (const notes of tracks) for (const n of notes) heard.push(n.tick * 2048 + n.symbol);
    heard.sort((a, b) => a - b);
    let pendingOffTime = -1;
    let pendingOff: number[] = [];
    for (let i = 0; i < heard.length; ) {
      const tick = Math.floor(heard[i]! / 2048);
      const centre = start + tick * P;
      const on = centre - P / 2;
      if (pendingOffTime >= 0 && pendingOffTime <= on) {
        for (const c of pendingOff) sim.scheduleBias(pendingOffTime, SPATIAL, c, 0);
        pendingOff = [];
      }
      let last = -1;
      for (; i < heard.length && Math.floor(heard[i]! / 2048) === tick; i++) {
        const c = heard[i]! % 2048;
        if (c === last) continue;
        last = c;
        sim.scheduleBias(on, SPATIAL, c, p.teacherBias);
        pendingOff.push(c);
      }
      pendingOffTime = centre + P / 2;
    }
    for (const c of pendingOff) sim.scheduleBias(pendingOffTime, SPATIAL, c, 0);
    for (let ti = 0; ti < tracks.length; ti++) sim.stimulate(goalFirst + ti, start, p.wDrive);
    sim.run();
    sim.stdp = null;
  }

  /** Pacemaker segments for recall: each tick lasts secondsPerTick / tempo. */
  #clockSegments(e: TitleEntry, tempo: number): ClockSegment[] {
    const segs: ClockSegment[] = [];
    let minPeriod = Infinity;
    for (let i = 0; i < e.timingTick.length; i++) {
      const periodNs = (e.timingSpt[i]! * 1e9) / tempo;
      const last = segs[segs.length - 1];
      if (last && last.periodNs === periodNs) continue;
      if (last && last.fromPulse === e.timingTick[i]) segs.pop();
      segs.push({ fromPulse: e.timingTick[i]!, periodNs });
      minPeriod = Math.min(minPeriod, periodNs);
    }
    const maxPeriod = segs.reduce((m, s) => Math.max(m, s.periodNs), 0);
    if (maxPeriod > longestTickNs(this.params)) {
      throw new MemoryInputError(
        'tempo',
        `${tempo} is too slow for '${e.title}': a tick would last ${(maxPeriod / 1e6).toFixed(1)} ms, the pacemaker keeps at most ${longestTickNs(this.params) / 1e6} ms`,
      );
    }
    if (minPeriod < this.params.minTickNs) {
      throw new MemoryInputError(
        'tempo',
        `${tempo} is too fast for '${e.title}': a tick would last ${(minPeriod / 1000).toFixed(1)} us, the network needs >= ${this.params.minTickNs / 1000} us`,
      );
    }
    return segs;
  }

  #recallMode(): void {
    const sim = this.#sim;
    sim.reset();
    sim.stdp = null;
    sim.counterMode = 'count';
    sim.gain.fill(1);
    sim.gain[FEEDBACK] = 0;
    sim.coincidenceOnly.fill(0);
    const rec = sim.recorder.groups;
    rec.fill(0);
    rec[SPATIAL] = rec[DURATION] = rec[INTERVAL] = rec[GOAL] = 1;
  }

  /**
   * Recalls a title: its goal neurons fire, the pacemaker runs at `tempo` times the learned rate, and
   * every track unrolls through its learned synapses. The notes are read from the recorded spikes.
   */
  recall(title: string, options: { tempo?: number; tracks?: number[]; raster?: boolean } = {}): RecallResult {
    const e = this.entry(title);
    const tempo = options.tempo ?? 1;
    validateTempo(tempo);
    const want = options.tracks ?? [...Array(e.tracks).keys()];
    for (const t of want) {
      if (!Number.isInteger(t) || t < 0 || t >= e.tracks) {
        throw new MemoryInputError('track', `'${title}' has tracks 0..${e.tracks - 1}, got ${t}`);
      }
    }
    const segments = this.#clockSegments(e, tempo);
    this.#recallMode();
    const sim = this.#sim;
    sim.startClock({ neurons: this.#pacemaker, startTime: 0, segments });
    const roots = new Map<number, number>();
    for (const t of want) {
      roots.set(e.goalFirst + t, t);
      sim.stimulate(e.goalFirst + t, 0, this.params.wDrive);
    }
    sim.run();
    const decoded = this.#decode(roots, 0);
    return {
      title,
      tempo,
      tracks: want.map((t) => ({ track: t, name: e.trackNames[t], notes: decoded.get(t) ?? [] })),
      timing: Array.from(e.timingTick, (tick, i) => ({ tick, secondsPerTick: e.timingSpt[i]! })),
      meta: e.meta,
      spikes: sim.recorder.count,
      pulses: sim.pulseCount,
      ...(options.raster ? { raster: this.#raster() } : {}),
    };
  }

  /** The recorded spikes of the last run: time (s), neuron and group (the pacemaker is not recorded). */
  #raster(): NonNullable<RecallResult['raster']> {
    const rec = this.#sim.recorder;
    const time: number[] = [];
    const neuron: number[] = [];
    const group: number[] = [];
    for (let i = 0; i < rec.count; i++) {
      time.push(rec.time[i]! / 1e9);
      neuron.push(rec.neuron[i]!);
      group.push(this.#net.neuronGroup[rec.neuron[i]!]!);
    }
    // the pacemaker's pulses, thinned to at most ~4000 marks: enough to see its rate at any zoom a view has
    const sim = this.#sim;
    const pulseEvery = Math.max(1, Math.ceil(sim.pulseCount / 4000));
    const pulses: number[] = [];
    for (let k = 0; k <= sim.pulseCount; k += pulseEvery) pulses.push(sim.pulseTime(k)! / 1e9);
    return { time, neuron, group, groups: this.#net.groups.map((g) => g.name), pulses, pulseEvery };
  }

  /**
   * Reads notes from the recorded spikes. Each spike's cause links it to a root (a goal neuron, or the
   * neuron a continuation starts from); a spatial spike is a note onset at the current pulse count, the
   * spike of the duration neuron it gated is its end.
   */
  #decode(roots: Map<number, number>, t0: number): Map<number, RecalledNote[]> {
    const rec = this.#sim.recorder;
    const net = this.#net;
    const trackOf = new Map<number, number>(roots);
    const open = new Map<number, RecalledNote>();
    const out = new Map<number, RecalledNote[]>();
    for (let i = 0; i < rec.count; i++) {
      const n = rec.neuron[i]!;
      const g = net.neuronGroup[n]!;
      let track = roots.get(n);
      if (track === undefined) {
        track = trackOf.get(rec.source[i]!);
        if (track === undefined) continue;
        trackOf.set(n, track);
      }
      if (g === SPATIAL) {
        const note: RecalledNote = { symbol: net.neuronColumn[n]!, tick: rec.pulse[i]!, duration: -1, time: (rec.time[i]! - t0) / 1e9, seconds: NaN };
        let list = out.get(track);
        if (!list) out.set(track, (list = []));
        list.push(note);
        open.set(n, note);
      } else if (g === DURATION) {
        const note = open.get(rec.source[i]!);
        if (note) {
          note.duration = rec.pulse[i]! - note.tick;
          note.seconds = (rec.time[i]! - t0) / 1e9 - note.time;
        }
      }
    }
    return out;
  }

  /** Ranked titles whose learned sequences contain the fragment (best first). */
  identify(fragment: Fragment, options: { limit?: number } = {}): IdentifyMatch[] {
    validateFragment(fragment, this.params);
    const matches = this.#recognise(fragment).matches;
    return options.limit !== undefined ? matches.slice(0, options.limit) : matches;
  }

  /**
   * Recognition: the fragment's notes arrive one per chain step. The first note drives its whole
   * minicolumn; afterwards a neuron fires only where the heard minicolumn's bias coincides with the
   * (down-scaled) input of a neuron that fired one step before, so only paths that follow the fragment
   * stay alive; the area's inhibition clears the rest after each step. Interval counters relay at once.
   * If every path dies, the current note's column is driven again (the match restarts there). The
   * surviving paths' neurons are then read out through their duration gates (each duration neuron's
   * minicolumn is its class) and the last neurons send their spikes through the feedback links; each
   * goal neuron's potential counts the matching places of its title.
   */
  #recognise(fragment: Fragment): Recognition {
    this.consolidate();
    const p = this.params;
    const sim = this.#sim;
    const net = this.#net;
    if (this.#titles.length === 0) return { matches: [], endpoints: [] };
    sim.reset();
    sim.stdp = null;
    sim.counterMode = 'relay';
    sim.gain.fill(1);
    sim.gain[SEQUENCE] = p.recognitionGain;
    sim.coincidenceOnly[SEQUENCE] = 1;
    sim.gain[DURATION_GATE] = 0;
    sim.gain[FEEDBACK] = 0;
    const rec = sim.recorder;
    rec.groups.fill(0);
    rec.groups[SPATIAL] = rec.groups[DURATION] = 1; // interval relays pass their cause on unrecorded
    const notes = fragment.notes;
    const D = p.delayChord;
    const half = D / 2;
    let T = D;
    let pathStart = 0;
    let lastStepFirst = 0;
    const step = (symbol: number, drive: boolean): number => {
      if (drive) sim.stimulateColumn(SPATIAL, symbol, T, p.wDrive);
      else {
        sim.scheduleBias(T - half, SPATIAL, symbol, p.recognitionBias);
        sim.scheduleBias(T + half, SPATIAL, symbol, 0);
      }
      sim.scheduleInhibition(T + half, SPATIAL);
      const before = rec.perGroup[SPATIAL]!;
      lastStepFirst = rec.count;
      sim.run(T + half - 1);
      return rec.perGroup[SPATIAL]! - before;
    };
    for (let k = 0; k < notes.length; k++) {
      const symbol = notes[k]!.symbol;
      let fired = step(symbol, k === pathStart);
      if (fired === 0 && k > pathStart) {
        pathStart = k; // every path died: start again from this note
        T += D;
        fired = step(symbol, true);
      }
      if (fired === 0) pathStart = k + 1; // a symbol never learned: nothing can match from here
      T += D;
    }
    if (pathStart >= notes.length) return { matches: [], endpoints: [] };
    const tLast = T - D;
    const stepEnd = rec.count;
    const wantLen = notes.length - pathStart;
    const fragDur = notes.slice(pathStart).map((n) => n.duration);
    const useDur = fragDur[0] !== undefined;

    // each last-step spike, followed back through its causes, is one matching place
    const paths: number[][] = [];
    for (let i = lastStepFirst; i < stepEnd; i++) {
      const n = rec.neuron[i]!;
      if (rec.time[i] !== tLast || net.neuronGroup[n] !== SPATIAL) continue;
      const path: number[] = [];
      for (let j = i; j >= 0; j = rec.parent[j]!) if (net.neuronGroup[rec.neuron[j]!] === SPATIAL) path.push(rec.neuron[j]!);
      if (path.length === wantLen) paths.push(path.reverse());
    }
    // durations: the path neurons' duration gates open, the duration neurons relay their class
    const durClass = new Map<number, number>();
    if (useDur && paths.length > 0) {
      sim.gain[DURATION_GATE] = 1;
      const tDur = tLast + D;
      const seen = new Set<number>();
      for (const path of paths) for (const n of path) if (!seen.has(n)) (seen.add(n), sim.emitAlong(n, tDur, DURATION_GATE));
      const from = rec.count;
      sim.run(tDur + D - 1);
      for (let i = from; i < rec.count; i++) {
        const n = rec.neuron[i]!;
        if (net.neuronGroup[n] === DURATION) durClass.set(rec.source[i]!, net.neuronColumn[n]!);
      }
    }
    const inSeconds = useDur && fragment.unit === 'seconds';
    const fragSum = useDur ? (fragDur as number[]).reduce((a, b) => a + b, 0) : 0;
    const endpoints: Endpoint[] = [];
    for (const path of paths) {
      const last = path[path.length - 1]!;
      const fb = net.outOfKind(last, FEEDBACK);
      if (fb < 0) continue;
      const goal = net.synPost[fb]!;
      const classes = path.map((n) => durClass.get(n) ?? -1);
      const misfit = useDur ? this.#durationMisfit(fragDur as number[], classes) : Infinity;
      let tempoDistance = 0;
      if (inSeconds) {
        // the tempo factor this place implies, against the title's typical tick length
        const ticks = classes.reduce((a, c) => a + Math.max(0, c), 0);
        const factor = (ticks * this.#typicalSecondsPerTick(net.neuronColumn[goal]!)) / fragSum;
        tempoDistance = ticks > 0 && fragSum > 0 ? Math.abs(Math.log(factor)) : 0;
      }
      endpoints.push({ neuron: last, goal, misfit, tempoDistance });
    }
    const tol = p.durationTolerance;
    endpoints.sort(endpointOrder(tol));

    // evidence reaches the goal cluster through the feedback links
    sim.gain[FEEDBACK] = 1;
    const tRead = tLast + 3 * D;
    for (const e of endpoints) sim.emitAlong(e.neuron, tRead, FEEDBACK);
    sim.run();
    const tGoal = tRead + p.delayFeedback;
    // endpoints are in order, so each title's first one is its best place
    const byTitle = new Map<number, { occ: number; track: number; misfit: number; tempoDistance: number }>();
    const counted = new Set<number>();
    for (const e of endpoints) {
      const ti = net.neuronColumn[e.goal]!;
      let cur = byTitle.get(ti);
      if (!cur) {
        byTitle.set(ti, (cur = { occ: 0, track: e.goal - this.#titles[ti]!.goalFirst, misfit: e.misfit, tempoDistance: e.tempoDistance }));
      }
      if (counted.has(e.goal)) continue;
      counted.add(e.goal);
      cur.occ += Math.round(sim.potential(e.goal, tGoal) / p.wFeedback);
    }
    const full = wantLen / notes.length;
    const ranked = [...byTitle].map(([ti, v]) => ({
      title: this.#titles[ti]!.title,
      // places whose durations do not fit count half
      score: useDur && v.misfit > tol ? full / 2 : full,
      occurrences: v.occ,
      track: v.track,
      durationsMatched: useDur && v.misfit <= tol,
      misfit: useDur ? v.misfit : 0,
      tempoDistance: v.tempoDistance,
    }));
    ranked.sort(
      (a, b) =>
        b.score - a.score ||
        a.tempoDistance - b.tempoDistance ||
        a.misfit - b.misfit ||
        b.occurrences - a.occurrences ||
        (a.title < b.title ? -1 : a.title > b.title ? 1 : 0),
    );
    const matches: IdentifyMatch[] = ranked.map(({ misfit: _m, tempoDistance: _t, ...m }) => m);
    return { matches, endpoints };
  }

  /** The median tick length (s) of a title's tempo map: what "played at its own tempo" means. */
  #typicalSecondsPerTick(titleIndex: number): number {
    let v = this.#typicalSpt.get(titleIndex);
    if (v === undefined) {
      const spt = [...this.#titles[titleIndex]!.timingSpt].sort((a, b) => a - b);
      v = spt[spt.length >> 1]!;
      this.#typicalSpt.set(titleIndex, v);
    }
    return v;
  }

  /**
   * How far fragment durations (any unit) are from a path's duration classes (ticks) after the best
   * common scale: the largest relative error, with half a tick of slack. 0 = proportional.
   */
  #durationMisfit(frag: number[], classes: number[]): number {
    let sf = 0;
    let sc = 0;
    for (let i = 0; i < frag.length; i++) {
      if (classes[i]! < 0) return Infinity;
      sf += frag[i]!;
      sc += classes[i]!;
    }
    if (sf === 0) return sc === 0 ? 0 : Infinity;
    const scale = sc / sf;
    let worst = 0;
    for (let i = 0; i < frag.length; i++) {
      const err = Math.max(0, Math.abs(frag[i]! * scale - classes[i]!) - 0.5) / Math.max(1, classes[i]!);
      if (err > worst) worst = err;
    }
    return worst;
  }

  /**
   * Identifies the fragment, then lets the best match's chain run on from the fragment's last note:
   * up to `count` further notes of that track, at the title's opening tempo times `tempo`.
   */
  complete(fragment: Fragment, options: { count?: number; tempo?: number } = {}): CompleteResult {
    validateFragment(fragment, this.params);
    const count = options.count ?? 32;
    if (!Number.isInteger(count) || count < 1) throw new MemoryInputError('count', `must be a positive integer, got ${count}`);
    const tempo = options.tempo ?? 1;
    validateTempo(tempo);
    const { matches, endpoints } = this.#recognise(fragment);
    const match = matches[0] ?? null;
    if (!match) return { match: null, notes: [] };
    const e = this.entry(match.title);
    const start = endpoints.find((ep) => ep.goal >= e.goalFirst && ep.goal < e.goalFirst + e.tracks)!;
    const segments = this.#clockSegments(e, tempo).slice(0, 1);
    this.#recallMode();
    const sim = this.#sim;
    sim.startClock({ neurons: this.#pacemaker, startTime: 0, segments });
    sim.stimulate(start.neuron, 0, this.params.wDrive);
    sim.stopAfter(SPATIAL, count + 1);
    sim.run();
    sim.gain[SEQUENCE] = 0; // no new notes: let the sounding ones end
    sim.run();
    const notes = this.#decode(new Map([[start.neuron, 0]]), 0).get(0) ?? [];
    return { match: { ...match, track: start.goal - e.goalFirst }, notes: notes.slice(1, count + 1) };
  }

  /**
   * Cuts a random `fraction` of the synapses of a projection (weight set to 0): a lesion, to show that
   * recall depends on the learned synapses. Returns how many were cut.
   */
  lesion(fraction: number, options: { seed?: number; projection?: 'sequence' | 'duration-gate' | 'interval-gate' | 'feedback' } = {}): number {
    if (!(fraction >= 0 && fraction <= 1)) throw new MemoryInputError('fraction', `must be in 0..1, got ${fraction}`);
    const kind = this.#net.projectionIndex(options.projection ?? 'sequence');
    const rng = new Rng(options.seed ?? 1);
    let cut = 0;
    for (let s = 0; s < this.#net.synapseCount; s++) {
      if (this.#net.synKind[s] === kind && rng.next() < fraction) {
        this.#net.synWeight[s] = 0;
        cut++;
      }
    }
    return cut;
  }
}

