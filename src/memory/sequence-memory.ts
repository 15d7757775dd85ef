import { Network } from '../snn/network.js';
import { Rng } from '../snn/rng.js';
import { Simulator } from '../snn/simulator.js';
import { withoutTitle, type ForgetStats } from './forgetting.js';
import { recruitTrack, train } from './learning.js';
import { DURATION_GATE, GOAL, INTERVAL_GATE, PACEMAKER, PROJECTIONS, RELATIVE, RELATIVE_OFFSET, SPATIAL, groupSpecs, type TitleEntry } from './model.js';
import { DEFAULT_PARAMS, MemoryParams, validateParams } from './params.js';
import { continueFrom } from './continuation.js';
import { clockSegments, decodeNotes, raster, recallMode } from './recall.js';
import { ContextIndex } from './context-index.js';
import { recognise, type Recognition } from './recognition.js';
import type { CompleteResult, Fragment, IdentifyMatch, RecallResult, Sequence } from './types.js';
import {
  MemoryInputError,
  UnknownTitleError,
  validateFragment,
  validateSequence,
  validateTempo,
  validateTitle,
} from './validate.js';

export { SPATIAL, DURATION, INTERVAL, GOAL, PACEMAKER, RELATIVE, SEQUENCE, DURATION_GATE, INTERVAL_GATE, FEEDBACK, RELATIVE_SEQUENCE, RELATIVE_LINK } from './model.js';
export type { TitleEntry } from './model.js';
export type { ForgetStats } from './forgetting.js';

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
  /** Bytes of the context sub-columns recognition uses (derived, not saved; 0 until first needed). */
  indexBytes: number;
}

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
  /** Context sub-columns of the consolidated network (built when recognition first needs them). */
  #contexts: ContextIndex | null = null;
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
    for (let c = 0; c < 2 * RELATIVE_OFFSET; c++) {
      const members = net.columnMembers(RELATIVE, c);
      for (let i = 0; i < members.length; i++) place(members[i]!);
    }
    for (let n = 0; n < N; n++) place(n);
    const { net: next, newIndex } = net.permuted(order);
    for (const e of this.#titles) e.goalFirst = newIndex[e.goalFirst]!;
    for (let i = 0; i < this.#pacemaker.length; i++) this.#pacemaker[i] = newIndex[this.#pacemaker[i]!]!;
    this.#net = next;
    this.#sim = new Simulator(next);
    this.#contexts = null;
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
      indexBytes: this.#contexts?.bytes ?? 0,
    };
  }

  /**
   * Makes room for `notes` more notes before they are learned (a folder or a corpus learned at once):
   * their neurons and synapses, at most four and five a note, get one allocation instead of the copies
   * of growing by doubling. Learning is the same with or without it.
   */
  reserve(notes: number): void {
    if (!Number.isInteger(notes) || notes < 0) throw new RangeError(`reserve: notes must be a non-negative integer, got ${notes}`);
    this.#net.reserve(4 * notes, 5 * notes);
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
      events += recruitTrack(net, p, this.#rng, goalFirst + ti, notes);
    });
    train(this.#sim, p, this.#pacemaker, goalFirst, tracks);
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

  /**
   * Forgets a title: its goal neurons and every neuron of its chains are reclaimed and every synapse
   * leaving or reaching them is cut (forgetting.ts), so it can no longer be recalled or identified.
   * Every other title keeps its chains exactly (same weights and delays), so its recall is unchanged.
   */
  forget(title: string): ForgetStats {
    const i = this.#titleIndex.get(title);
    if (i === undefined) throw new UnknownTitleError(title);
    const { net, newIndex, stats } = withoutTitle(this.#net, this.#titles, i);
    this.#titles.splice(i, 1);
    for (const e of this.#titles) e.goalFirst = newIndex[e.goalFirst]!;
    for (let k = 0; k < this.#pacemaker.length; k++) this.#pacemaker[k] = newIndex[this.#pacemaker[k]!]!;
    this.#titleIndex.clear();
    this.#titles.forEach((e, k) => this.#titleIndex.set(e.title, k));
    this.#typicalSpt.clear(); // keyed by title number
    this.#net = net;
    this.#sim = new Simulator(net);
    this.#contexts = null;
    this.#dirty = true;
    return stats;
  }

  /** Gives a title a new name; nothing in the network changes (goal neurons are numbered, not named). */
  rename(title: string, to: string): void {
    const i = this.#titleIndex.get(title);
    if (i === undefined) throw new UnknownTitleError(title);
    validateTitle(to);
    if (to === title) return;
    if (this.#titleIndex.has(to)) throw new MemoryInputError('to', 'another title already has that name');
    this.#titles[i]!.title = to;
    this.#titleIndex.delete(title);
    this.#titleIndex.set(to, i);
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
    const segments = clockSegments(e, tempo, this.params);
    recallMode(this.#sim);
    const sim = this.#sim;
    sim.startClock({ neurons: this.#pacemaker, startTime: 0, segments });
    const roots = new Map<number, number>();
    for (const t of want) {
      roots.set(e.goalFirst + t, t);
      sim.stimulate(e.goalFirst + t, 0, this.params.wDrive);
    }
    sim.run();
    const decoded = decodeNotes(this.#sim, this.#net, roots, 0);
    return {
      title,
      tempo,
      tracks: want.map((t) => ({ track: t, name: e.trackNames[t], notes: decoded.get(t) ?? [] })),
      timing: Array.from(e.timingTick, (tick, i) => ({ tick, secondsPerTick: e.timingSpt[i]! })),
      meta: e.meta,
      spikes: sim.recorder.count,
      pulses: sim.pulseCount,
      ...(options.raster ? { raster: raster(this.#sim, this.#net) } : {}),
    };
  }

  /** Ranked titles whose learned sequences contain the fragment (best first). */
  identify(fragment: Fragment, options: { limit?: number } = {}): IdentifyMatch[] {
    validateFragment(fragment, this.params);
    const matches = this.#recognise(fragment).matches;
    return options.limit !== undefined ? matches.slice(0, options.limit) : matches;
  }

  /** Recognition (recognition.ts) over the consolidated network. */
  #recognise(fragment: Fragment): Recognition {
    this.consolidate();
    if (!this.#contexts) {
      this.#contexts = ContextIndex.build(this.#net);
      // every title's typical tempo once here, not in the first queries that reach it
      for (let ti = 0; ti < this.#titles.length; ti++) this.#typicalSecondsPerTick(ti);
      this.#sim.prepare();
    }
    return recognise(
      { net: this.#net, sim: this.#sim, params: this.params, titles: this.#titles, contexts: this.#contexts, typicalSecondsPerTick: (ti) => this.#typicalSecondsPerTick(ti) },
      fragment,
    );
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
   * Identifies the fragment, then continues the piece from the place found (continuation.ts): `count`
   * further notes of the matched track with every other track joining in, at the tempo the fragment
   * was played (durations in seconds) or `tempo` times the piece's, following its tempo map from there.
   */
  complete(fragment: Fragment, options: { count?: number; tempo?: number; raster?: boolean } = {}): CompleteResult {
    validateFragment(fragment, this.params);
    const count = options.count ?? 32;
    if (!Number.isInteger(count) || count < 1) throw new MemoryInputError('count', `must be a positive integer, got ${count}`);
    if (options.tempo !== undefined) validateTempo(options.tempo);
    const { matches, winner: place } = this.#recognise(fragment);
    const match = matches[0] ?? null;
    if (!match || !place) return { match: null, notes: [] };
    const e = this.entry(match.title);
    const c = continueFrom({ net: this.#net, sim: this.#sim, params: this.params, pacemaker: this.#pacemaker, entry: e }, place, fragment, { count, tempo: options.tempo, raster: options.raster === true });
    const own = c.tracks[c.place.track]!;
    return { match: { ...match, track: c.place.track }, notes: own.notes, ...c };
  }

  /**
   * Cuts a random `fraction` of the synapses of a projection (weight set to 0): a lesion, to show that
   * recall depends on the learned synapses. Returns how many were cut.
   */
  lesion(fraction: number, options: { seed?: number; projection?: 'sequence' | 'duration-gate' | 'interval-gate' | 'feedback' | 'relative-sequence' | 'relative-link' } = {}): number {
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

