import { grow } from '../snn/growable.js';
import type { Network } from '../snn/network.js';
import { ContextIndex, NOTE_CONTEXT, STEP_CONTEXT } from './context-index.js';
import type { Simulator } from '../snn/simulator.js';
import { DURATION, DURATION_GATE, FEEDBACK, GOAL, INTERVAL_GATE, KEY_PHASE, KEY_RANGE, KEY_SPAN, RELATIVE, RELATIVE_LINK, RELATIVE_OFFSET, SEQUENCE, SPATIAL, type TitleEntry } from './model.js';
import type { MemoryParams } from './params.js';
import { BURST, durationFit, feedbackLatency, placeScore, raceWindow, readRace, type Endpoint } from './ranking.js';
import type { Fragment, IdentifyMatch } from './types.js';

export interface Recognition {
  /** The titles in the order their goal neurons first fired. */
  matches: IdentifyMatch[];
  /** Where `complete` goes on from: the first place the paths found among the winner's places of its first slot. */
  winner: Endpoint | null;
}

/** What recognition reads: the consolidated network, its simulator, the title table. */
export interface RecognitionContext {
  net: Network;
  sim: Simulator;
  params: MemoryParams;
  titles: readonly TitleEntry[];
  /** Context sub-columns of the network (where paths start). */
  contexts: ContextIndex;
  /** The median tick length (s) of a title's tempo map. */
  typicalSecondsPerTick(titleIndex: number): number;
}

/** A matching place: its path's neurons (one per fragment step it covers), those steps, its evidence. */
interface Place {
  path: number[];
  steps: number[];
  evidence: number;
  /** Whether the path heard every note of the fragment as predicted. */
  whole: boolean;
  /** Symbols the fragment was moved by to follow it here (the interval area's key; 0: as played). */
  offset?: number;
}

/** Per spike record bookkeeping of followPaths, grown as needed and kept for the next call. */
class PathBook {
  step = new Int32Array(0);
  confirmed = new Float64Array(0);
  misses = new Int32Array(0);
  continued = new Uint8Array(0);
  chordSkips = new Int32Array(0);

  grow(needed: number): void {
    this.step = grow(this.step, needed);
    this.confirmed = grow(this.confirmed, needed);
    this.misses = grow(this.misses, needed);
    this.continued = grow(this.continued, needed);
    this.chordSkips = grow(this.chordSkips, needed);
  }
}

const sharedBook = new PathBook();

function bookFor(capacity: number): PathBook {
  if (sharedBook.step.length < capacity) sharedBook.grow(capacity);
  return sharedBook;
}

/** Successors of a neuron through its intact links of `kind` (and, for notes, via their interval counter). */
function successors(net: Network, n: number, kind: number, out: number[]): void {
  for (let q = net.firstOut[n]!; q >= 0; q = net.synNext[q]!) {
    const k = net.synKind[q]!;
    if (k === kind && net.synWeight[q]! > 0) out.push(net.synPost[q]!);
    else if (k === INTERVAL_GATE && net.synWeight[q]! > 0) {
      const c = net.synPost[q]!;
      for (let r = net.firstOut[c]!; r >= 0; r = net.synNext[r]!) if (net.synKind[r] === kind && net.synWeight[r]! > 0) out.push(net.synPost[r]!);
    }
  }
}

/**
 * Where paths start: at the first window and at each later one no path has explained whole so far (a
 * note every path predicted starts nothing, as a predicted minicolumn does not burst), and paths are
 * carried over a miss only while no path has heard every note; or at every window with every path
 * carried, and optionally also where a first window with a damaged note would have started.
 */
type Starts = 'unexplained windows' | 'every window' | 'every window, damaged start';

/** Notes of a chord a missing note's search walks through at most. */
const MAX_CHORD = 16;

/** The next note of `n`'s chord (a direct link of `kind` within its area), or -1. */
function nextInChord(net: Network, n: number, kind: number): number {
  const g = net.neuronGroup[n];
  for (let q = net.firstOut[n]!; q >= 0; q = net.synNext[q]!) {
    if (net.synKind[q] === kind && net.synWeight[q]! > 0 && net.neuronGroup[net.synPost[q]!] === g) return net.synPost[q]!;
  }
  return -1;
}

/**
 * Follows the fragment through one area: `columns` arrive one per chain step. The first ones drive
 * their whole minicolumns (seeds); afterwards a neuron fires where the heard minicolumn's bias
 * coincides with the (down-scaled) input of a neuron that fired one step before, so paths that follow
 * the fragment go on; the area's inhibition clears the rest after each step. Interval counters relay
 * at once. A path that has confirmed enough steps survives a bounded number of unconfirmed ones: where
 * its predicted neuron is not heard, the predicted neuron fires anyway (a wrong note), or the path's
 * last neuron fires again (an extra note), or the neuron after the predicted one fires if that is what
 * was heard (a missing note); each costs evidence (confirmed steps minus misses). Returns the paths
 * alive after the last step, read back through their spikes' causes.
 *
 * `keyed`: the fragment is heard in every key but its own (within KEY_RANGE) at once, key k in phase
 * k of each step (see KEY_SPAN), and paths start from the interval area's links into the phase of
 * their note's key; every synapse of a step keeps its phase, so a path stays in its key.
 */
function followPaths(ctx: RecognitionContext, group: number, seqKind: number, columns: number[], maxMisses: number, neighbours = 0, start: Starts = 'unexplained windows', keyed = false): Place[] {
  // a path starts in the sub-column of the next `context` inputs (spatial: four notes; intervals: three
  // steps), at the first note and wherever no path explains every note so far (or at every window, see
  // Starts); a fragment shorter than that drives whole minicolumns
  const context = group === SPATIAL ? NOTE_CONTEXT : STEP_CONTEXT;
  const seeds: number[] = [];
  const { net, sim, params: p } = ctx;
  sim.reset();
  sim.stdp = null;
  sim.counterMode = 'relay';
  sim.gain.fill(1);
  sim.gain[seqKind] = p.recognitionGain;
  sim.coincidenceOnly.fill(0);
  sim.coincidenceOnly[seqKind] = 1;
  sim.gain[DURATION_GATE] = 0;
  sim.gain[FEEDBACK] = 0;
  // keyed: an interval neuron's link fires its note where the note's minicolumn is heard in some key
  // (the bias of that key's phase), not alone
  sim.gain[RELATIVE_LINK] = keyed ? (p.spatial.theta - p.recognitionBias / 2) / p.wGate : 0;
  // a heard note enters a predicted chord at any of its notes (the melody on top of chords is a path)
  // (not for a fragment shorter than a context: from whole minicolumns that would reach nearly every chord)
  sim.spreadPredictions = group === SPATIAL && columns.length >= NOTE_CONTEXT;
  // predictions are noted for carrying paths over a missed note and for entering chords
  sim.recordPredictions = maxMisses > 0 || sim.spreadPredictions;
  // a neuron that paths reach together fires once: its spike goes on as the best of their paths (all
  // paths of a fragment shorter than a context start together and hear every note: alike, unrecorded)
  sim.recordLateInputs = columns.length >= context;
  let lateFrom = 0;
  const rec = sim.recorder;
  rec.groups.fill(0);
  rec.groups[group] = 1; // interval relays pass their cause on unrecorded
  const n = columns.length;
  const D = p.delayChord;
  const half = D / 2;
  /** The key a spike of step st at `time` was heard in (keyed: its phase of the step; else 0). */
  const keyOf = (time: number, st: number) => (keyed ? Math.round((time - D * (st + 1) - 1) / KEY_PHASE) - KEY_SPAN : 0);
  const steps = keyed ? columns.slice(1).map((x, i) => x - columns[i]! + RELATIVE_OFFSET) : [];
  const members: number[] = [];
  // per spike record: fragment step (-1: not one of this area's), confirmed steps and misses of its
  // path, chord notes it skipped, whether it went on (typed, reused across calls: a short fragment's
  // whole minicolumns record tens of thousands of spikes)
  const book = bookFor(rec.time.length);
  let prevHeads: number[] = [];
  let heads: number[] = [];
  /**
   * Steps up to which a path has heard every note as predicted (a path's record only ever gets a
   * better history, so once whole it stays so).
   */
  const whole = new Uint8Array(n);
  // (keyed paths start at the second note: the first is heard as the step into it)
  const noteWhole = (i: number, st: number) => {
    if (book.misses[i] === 0 && book.confirmed[i] === (keyed ? st : st + 1)) whole[st] = 1;
  };
  /** Neurons forced this step: 1 where the path skipped a note to hear this one, else 0. */
  const forced = new Map<number, number>();
  let processed = 0;
  /** Book-keeping of the spikes recorded since the last call; `tPrev` ends the previous step's spikes. */
  const take = (k: number, tPrev: number) => {
    if (rec.count > book.step.length) book.grow(rec.count);
    const { step, confirmed, misses, continued, chordSkips } = book;
    for (let i = processed; i < rec.count; i++) {
      const nrn = rec.neuron[i]!;
      step[i] = -1;
      if (net.neuronGroup[nrn] !== group) continue;
      const st = k > 0 && rec.time[i]! <= tPrev ? k - 1 : k;
      // a neighbouring symbol (when the fragment allows them) is half the evidence of the heard one
      const off = Math.abs(net.neuronColumn[nrn]! - columns[st]! - keyOf(rec.time[i]!, st));
      const hit = off === 0 ? 1 : off <= neighbours ? 0.5 : 0;
      const par = rec.parent[i]!;
      step[i] = st;
      continued[i] = 0;
      // a path carried on by force (not heard as predicted) misses a note; a skip still hears this one
      const forcedSkip = forced.get(nrn);
      const c = forcedSkip === undefined ? hit : forcedSkip;
      const miss = forcedSkip === undefined ? (hit > 0 ? 0 : 1) : 1;
      // entered past chord notes that were not heard: free at the chord's top (the melody a listener
      // hears over chords), a quarter note less at an inner voice
      const src = rec.source[i]!;
      const skip = src >= 0 && par >= 0 && net.neuronGroup[src] === group && src !== rec.neuron[par] && nextInChord(net, nrn, seqKind) >= 0 ? 1 : 0;
      if (par < 0 || step[par]! < 0) {
        confirmed[i] = c;
        misses[i] = miss;
        chordSkips[i] = 0;
      } else {
        confirmed[i] = confirmed[par]! + c;
        misses[i] = misses[par]! + miss;
        chordSkips[i] = chordSkips[par]! + skip;
        continued[par] = 1;
      }
      if (st === k) heads.push(i);
      else prevHeads.push(i);
      noteWhole(i, st);
    }
    processed = rec.count;
    // paths that reached a neuron after it fired: the spike takes the path with the most evidence
    const late = sim.lateInputs;
    for (let j = lateFrom; j < late.count; j++) {
      const q = late.parent[j]!;
      const i = sim.lastRecord(late.neuron[j]!);
      if (q < 0 || i < 0 || i >= rec.count || step[i]! < 1 || step[q] !== step[i]! - 1 || rec.parent[i] === q) continue;
      const par = rec.parent[i]!;
      const now = par >= 0 && step[par]! >= 0 ? confirmed[par]! - misses[par]! - 0.25 * chordSkips[par]! : -Infinity;
      if (confirmed[q]! - misses[q]! - 0.25 * chordSkips[q]! <= now || forced.has(late.neuron[j]!)) continue;
      const gain = confirmed[i]! - (par >= 0 && step[par]! >= 0 ? confirmed[par]! : 0);
      const missed = misses[i]! - (par >= 0 && step[par]! >= 0 ? misses[par]! : 0);
      const skipped = chordSkips[i]! - (par >= 0 && step[par]! >= 0 ? chordSkips[par]! : 0);
      rec.parent[i] = q;
      confirmed[i] = confirmed[q]! + gain;
      misses[i] = misses[q]! + missed;
      chordSkips[i] = chordSkips[q]! + skipped;
      continued[q] = 1;
      noteWhole(i, step[i]!);
    }
    lateFrom = late.count;
  };
  /**
   * Carries path `h` on to neuron `s` at time `t` (step k) without its note being heard as predicted
   * (a miss; `heard` 1 where it skipped a missing note to the one heard). If `s` already fired at this
   * step for another path, its spike goes on as the better of the two.
   */
  const carry = (s: number, h: number, heard: number, t: number, k: number) => {
    const r = sim.lastRecord(s);
    if (r >= 0 && r < rec.count && rec.time[r] === t && book.step[r] === k) {
      const { confirmed, misses, chordSkips } = book;
      const par = rec.parent[r]!;
      if (par === h) return;
      const current = confirmed[r]! - misses[r]! - 0.25 * chordSkips[r]!;
      if (confirmed[h]! + heard - misses[h]! - 1 - 0.25 * chordSkips[h]! <= current) return;
      rec.parent[r] = h;
      confirmed[r] = confirmed[h]! + heard;
      misses[r] = misses[h]! + 1;
      chordSkips[r] = chordSkips[h]!;
      book.continued[h] = 1;
      return;
    }
    if (heard || !forced.has(s)) forced.set(s, heard);
    sim.fireFrom(s, t, h);
  };
  /** Whether a path has heard every note up to step k as predicted (then no path need start there). */
  const heardWhole = (k: number) => whole[k] === 1;
  const predictedBy = new Map<number, number[]>();
  const succ: number[] = [];
  /**
   * Carries on the paths `from..to` of prevHeads, whose predictions arrived at `t` (step k; `tPrev`
   * ends the previous step), that no heard note continued, while they can afford it: a wrong, a
   * missing or an extra note, in the key each was heard in.
   */
  const carryOn = (from: number, to: number, t: number, k: number, predFrom: number, tPrev: number) => {
    predictedBy.clear();
    for (let j = predFrom; maxMisses > 0 && j < sim.predicted.count; j++) {
      const par = sim.predicted.parent[j]!;
      let list = predictedBy.get(par);
      if (!list) predictedBy.set(par, (list = []));
      list.push(sim.predicted.neuron[j]!);
    }
    forced.clear();
    for (let x = from; x < to; x++) {
      const h = prevHeads[x]!;
      if (book.continued[h] || book.misses[h]! >= maxMisses || book.confirmed[h]! - book.misses[h]! < p.carryEvidence) continue;
      const heard = columns[k]! + keyOf(rec.time[h]!, k - 1);
      for (const s of predictedBy.get(h) ?? []) {
        carry(s, h, 0, t, k); // a wrong note
        succ.length = 0;
        successors(net, s, seqKind, succ);
        for (let s2 of succ) {
          // a missing note: the next one is heard instead (a melody over chords: any note of its chord)
          for (let notes = 0; s2 >= 0 && notes < MAX_CHORD; notes++, s2 = sim.spreadPredictions ? nextInChord(net, s2, seqKind) : -1) {
            if (net.neuronColumn[s2] !== heard) continue;
            carry(s2, h, 1, t, k);
            break;
          }
        }
      }
      carry(rec.neuron[h]!, h, 0, t, k); // an extra note
    }
    sim.run(t);
    take(k, tPrev);
    forced.clear();
  };
  for (let k = 0; k < n; k++) {
    const T = D * (k + 1);
    const symbol = columns[k]!;
    if (keyed) {
      // every key in range but the fragment's own is heard in its phase of the step
      for (let ph = KEY_SPAN - KEY_RANGE; ph <= KEY_SPAN + KEY_RANGE; ph++) {
        const c = symbol + ph - KEY_SPAN;
        if (ph === KEY_SPAN || c < 0 || c > p.maxSymbol) continue;
        const t = T + 1 + KEY_PHASE * ph;
        sim.scheduleBias(t - 1, group, c, p.recognitionBias);
        sim.scheduleBias(t - 1 + KEY_PHASE, group, c, 0);
      }
    } else {
      for (let c = Math.max(0, symbol - neighbours); c <= symbol + neighbours; c++) sim.scheduleBias(T - half, group, c, p.recognitionBias);
      for (let c = Math.max(0, symbol - neighbours); c <= symbol + neighbours; c++) sim.scheduleBias(T + half, group, c, 0);
    }
    sim.scheduleInhibition(T + half, group);
    if (keyed && k >= 1 && k + STEP_CONTEXT <= n && 2 * k <= n && !heardWhole(k - 1)) {
      // keyed paths start where no path has heard every note so far, in the first half of the
      // fragment (a path starting later hears less than half of it, and such short paths in every
      // key would cost more than all the rest): the interval neurons of the window of three steps
      // into and after this note fire, the heard note's pitch as a latency (the higher, the sooner),
      // and each reaches its note in the phase of its key (a chord's top note's interval neuron is in
      // the sub-column of the steps between tops too)
      members.length = 0;
      ctx.contexts.bucket(ContextIndex.contextKey(RELATIVE, steps, k - 1), members);
      const tHeard = T + 1 + KEY_PHASE * (KEY_SPAN - symbol) - p.delayGate;
      for (const r of members) if (net.neuronGroup[r] === RELATIVE) sim.emitAlong(r, tHeard, RELATIVE_LINK);
    }
    prevHeads = heads;
    heads = [];
    if (keyed) {
      // each key's paths arrive in its phase, and those that missed are carried on there
      for (let from = 0; from < prevHeads.length; ) {
        const t0 = rec.time[prevHeads[from]!]!;
        let to = from;
        while (to < prevHeads.length && rec.time[prevHeads[to]!] === t0) to++;
        const predFrom = sim.predicted.count;
        sim.run(t0 + D);
        take(k, T - half);
        if (!heardWhole(k)) carryOn(from, to, t0 + D, k, predFrom, T - half);
        from = to;
      }
      sim.run(T + half - 1);
      take(k, T - half);
      continue;
    }
    const predFrom = sim.predicted.count;
    // paths arrive at T + 1; then those that missed this note are carried on; then new paths start
    // (after both, so a neuron a path reaches keeps that path's history)
    sim.run(T + 1);
    take(k, T - half);
    // while a path hears every note as predicted, the others are not carried (it inhibits them); a
    // damaged fragment is heard again with every path carried (Starts)
    if (start !== 'unexplained windows' || !heardWhole(k)) carryOn(0, prevHeads.length, T + 1, k, predFrom, T - half);
    if (n < context) {
      if (k === 0) sim.stimulateColumn(group, symbol, T + 1, p.wDrive); // heard whole, from its first note
    } else if (k + context <= n && (k === 0 || start !== 'unexplained windows' || !heardWhole(k))) {
      if (k === 0 && start === 'every window, damaged start') for (const s of damagedStartSeeds(ctx, columns)) sim.stimulate(s, T + 1, p.wDrive);
      seeds.length = 0;
      // the first paths of a fragment start where six or eight of its notes agree
      const after = k === 0 && start === 'unexplained windows' && group === SPATIAL ? columns.slice(NOTE_CONTEXT, NOTE_CONTEXT + 4) : undefined;
      ctx.contexts.members(net, ContextIndex.contextKey(group, columns, k), symbol, seeds, after);
      for (const s of seeds) sim.stimulate(s, T + 1, p.wDrive);
    }
    sim.run(T + 1);
    take(k, T - half);
  }
  const places: Place[] = [];
  {
  const { step, confirmed, misses, chordSkips } = book;
  for (const i of heads) {
    // (a keyed path heard its first note as the step into its second)
    const e = confirmed[i]! - misses[i]! - 0.25 * chordSkips[i]! + (keyed ? 1 : 0);
    if (e < 1) continue;
    const path: number[] = [];
    const steps: number[] = [];
    for (let j = i; j >= 0 && step[j]! >= 0; j = rec.parent[j]!) {
      path.push(rec.neuron[j]!);
      steps.push(step[j]!);
    }
    const place: Place = { path: path.reverse(), steps: steps.reverse(), evidence: e, whole: misses[i] === 0 && confirmed[i] === n };
    if (keyed) place.offset = keyOf(rec.time[i]!, n - 1);
    places.push(place);
  }
  }
  return places;
}

/**
 * Where a fragment may start if one of its first notes is damaged: a wrong, missing or extra note in
 * its first window leaves no sub-column for the path from its first note, which would then start only
 * after the damage and hear fewer notes than a place elsewhere that shares them by chance. So the
 * sub-columns its first window would have had are driven: with a wrong third or fourth note or a
 * missing third (every note in that position: a handful of sub-columns each, hashed), or with its third
 * or fourth note left out (an extra note). Damage to the second note is not worth it: the path from the
 * first cannot be carried before it has two notes, and the path after the damage hears as many. The
 * paths then hear the damage as a miss.
 */
function damagedStartSeeds(ctx: RecognitionContext, f: readonly number[]): number[] {
  const { net, params: p } = ctx;
  const seeds = new Set<number>();
  const out: number[] = [];
  const drive = (window: number[]) => {
    out.length = 0;
    ctx.contexts.members(net, ContextIndex.contextKey(SPATIAL, window, 0), f[0]!, out);
    for (const s of out) seeds.add(s);
  };
  if (f.length > NOTE_CONTEXT) {
    drive([f[0]!, f[1]!, f[3]!, f[4]!]);
    drive([f[0]!, f[1]!, f[2]!, f[4]!]);
  }
  for (let x = 0; x <= p.maxSymbol; x++) {
    if (x !== f[2]) drive([f[0]!, f[1]!, x, f[3]!]);
    if (x !== f[3]) drive([f[0]!, f[1]!, f[2]!, x]);
    drive([f[0]!, f[1]!, x, f[2]!]);
  }
  return [...seeds];
}

/**
 * Whether every key's phase fits in half a recognition step, and the heard note's latency (up to a
 * delay line's length before its phase) starts after the previous step's half: not with very short delays.
 */
function keysFit(p: MemoryParams): boolean {
  return (2 * KEY_SPAN + 1) * KEY_PHASE + 2 < p.delayChord / 2 && p.delayGate <= p.delayChord / 2;
}

/**
 * Recognition: the fragment is followed through the spatial area (absolute pitch), paths starting in
 * the context sub-columns of its notes. Unless that explains every note, it is heard again in every
 * other key at once, paths starting where the interval area's links reach their notes in the phase of
 * their key (chords, wrong, missing and extra notes are handled there as in its own key); a
 * transposition costs half a note, so the original key ranks first. The paths' notes are then read
 * out through their duration gates (each duration neuron's minicolumn is its class) and the last
 * notes send their spikes through the feedback links, the more weight the earlier: titles are named
 * in the order their goal neurons fire.
 * (ranking.ts: the race's latency code and its read-out.)
 */
export function recognise(ctx: RecognitionContext, fragment: Fragment): Recognition {
  const { net, sim, params: p } = ctx;
  if (ctx.titles.length === 0) return { matches: [], winner: null };
  const notes = fragment.notes;
  const n = notes.length;
  // a fragment shorter than a context starts from whole minicolumns: one miss there would let nearly
  // every place of its notes through, so its paths must hear every note
  const maxMisses = n < NOTE_CONTEXT ? 0 : Math.max(1, Math.floor(n / p.notesPerMiss));
  const symbols = notes.map((x) => x.symbol);
  // a fragment whose neighbouring symbols count (a skill's coarse path) is heard from every window: a
  // path through a neighbour is as much the fragment's as one that heard every note exactly, so one of
  // those must not keep it from starting (skills sharing an opening are a tie)
  let places = followPaths(ctx, SPATIAL, SEQUENCE, symbols, maxMisses, fragment.neighbours ?? 0, fragment.neighbours ? 'every window' : 'unexplained windows');
  // unless a path heard every note, the fragment is damaged somewhere: it is heard again with paths
  // starting at every window (a path that heard every note so far may have been another piece's, until
  // the damage) and where its first window would have started had it been played right
  const damaged = !places.some((pl) => pl.whole);
  if (damaged && n > NOTE_CONTEXT && !fragment.neighbours) places = followPaths(ctx, SPATIAL, SEQUENCE, symbols, maxMisses, fragment.neighbours ?? 0, fragment.neighbours ? 'every window' : 'every window, damaged start');
  // unless absolute pitch explains every note, the fragment is heard again in every other key at once,
  // each in its phase of the step, paths starting where the interval area finds its steps (a pitch
  // beyond the delay line has no key; a transposition costs half a note, so the original key ranks first)
  if (damaged && n > STEP_CONTEXT && !fragment.neighbours && keysFit(p) && symbols.every((x) => x >= 0 && x <= KEY_SPAN)) {
    for (const pl of followPaths(ctx, SPATIAL, SEQUENCE, symbols, maxMisses, 0, 'unexplained windows', true)) places.push({ ...pl, evidence: pl.evidence - 0.5, whole: false });
  }
  if (places.length === 0) return { matches: [], winner: null };
  const fragDurAll = notes.map((x) => x.duration);
  const useDur = fragDurAll[0] !== undefined;
  const D = p.delayChord;
  const tLast = D;
  sim.reset();
  sim.counterMode = 'relay';
  sim.gain.fill(0);
  sim.coincidenceOnly.fill(0);
  const rec = sim.recorder;
  rec.groups.fill(0);
  rec.groups[DURATION] = 1;
  const paths = places.map((pl) => pl.path);
  const pathSteps = places.map((pl) => pl.steps);
  const evidence = places.map((pl) => pl.evidence);
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
  const endpoints: Endpoint[] = [];
  for (let pi = 0; pi < paths.length; pi++) {
    const path = paths[pi]!;
    const last = path[path.length - 1]!;
    const fb = net.outOfKind(last, FEEDBACK);
    if (fb < 0) continue;
    const goal = net.synPost[fb]!;
    const classes = path.map((x) => durClass.get(x) ?? -1);
    const fragDur = pathSteps[pi]!.map((k) => fragDurAll[k]!);
    const fragSum = useDur ? fragDur.reduce((a, b) => a + b, 0) : 0;
    const fit = useDur ? durationFit(fragDur, classes, p.durationSigma, p.durationFree) : 0;
    let tempoDistance = 0;
    if (inSeconds) {
      // the tempo factor this place implies, against the title's typical tick length
      const ticks = classes.reduce((a, c) => a + Math.max(0, c), 0);
      const factor = (ticks * ctx.typicalSecondsPerTick(net.neuronColumn[goal]!)) / fragSum;
      tempoDistance = ticks > 0 && fragSum > 0 ? Math.abs(Math.log(factor)) : 0;
    }
    endpoints.push({ neuron: last, goal, evidence: evidence[pi]!, fit, tempoDistance, transposition: places[pi]!.offset ? -places[pi]!.offset! : 0 });
  }

  // the goal cluster's race: each place's feedback burst leaves later the less weight it carries; a
  // goal neuron integrates its places' bursts (the projection's gain makes a whole burst its
  // threshold, and a little more so a leak of a few ns cannot keep it under) and fires once per
  // place, the sooner the more places reach it; the cluster's inhibition ends the race a margin after
  // the first goal fires
  sim.gain[FEEDBACK] = (p.goal.theta * (1 + 2 ** -10)) / (BURST * p.wFeedback);
  rec.groups[GOAL] = 1;
  const tRead = tLast + 3 * D;
  const placeOf = new Map<number, { place: Endpoint; latency: number }>();
  for (const e of endpoints) {
    const latency = feedbackLatency(placeScore(e, n, useDur), e.tempoDistance);
    // a neuron that ends several paths reports for its best one: its burst leaves once, at the earliest
    const had = placeOf.get(e.neuron);
    if (!had || latency < had.latency) placeOf.set(e.neuron, { place: e, latency });
  }
  for (const [neuron, { latency }] of placeOf) sim.emitAlong(neuron, tRead + latency, FEEDBACK, BURST);
  const goalFrom = rec.count;
  sim.stopAfter(GOAL, 1);
  sim.run();
  // (a rhythm that does not fit costs a place up to half its weight, so with durations the race stays
  // open for that too: a title heard note for note in another rhythm is still named, behind)
  const margin = Math.max(p.evidenceMargin, fragment.margin ?? 0) + (useDur ? n / 2 : 0);
  if (rec.count > goalFrom) sim.run(rec.time[rec.count - 1]! + raceWindow(margin, n));
  return readRace(rec, goalFrom, GOAL, net, ctx.titles, placeOf, n, useDur, p.durationMatched);
}
