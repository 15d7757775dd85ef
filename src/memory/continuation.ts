import type { Network } from '../snn/network.js';
import type { Simulator } from '../snn/simulator.js';
import { SEQUENCE, SPATIAL, type TitleEntry } from './model.js';
import type { MemoryParams } from './params.js';
import { clockSegments, decodeNotes, raster, recallMode } from './recall.js';
import type { Continuation, Fragment, RecalledNote } from './types.js';
import { validateTempo } from './validate.js';

/** What a continuation runs on: the memory's network, simulator, pacemaker and the matched title. */
export interface ContinuationContext {
  net: Network;
  sim: Simulator;
  params: MemoryParams;
  pacemaker: readonly number[];
  entry: TitleEntry;
}

/**
 * The place recognition found: the last matched note's neuron, its track's goal neuron, and how many
 * symbols away from the piece the fragment was played there (the continuation follows the player).
 */
export interface Place {
  neuron: number;
  goal: number;
  transposition?: number;
}

/**
 * The piece from a place on, every track: `count` notes of the matched track after the place, and
 * what the other tracks play meanwhile. Two recalls, both spikes over the learned synapses:
 *  1. the matched track alone at the piece's own tempo map, until the place's neuron fires and `count`
 *     notes after it: where the place is (its pulse count) and how long the piece holds the notes the
 *     player played there (their durations at 1x);
 *  2. every track from its goal neuron with the pacemaker at the tempo map times the player's tempo,
 *     read from the place on.
 * The player's tempo is the median ratio of the piece's durations to the played ones over the notes the
 * two have in common (aligned on pitch, so a wrong, missing or extra note does not shift it); `tempo`
 * given overrides it. Times and ticks are relative to the place's note (0 = the player's last onset).
 * A fragment played in another key is continued in that key (a note moved out of the symbols' range
 * goes an octave back in).
 */
export function continueFrom(ctx: ContinuationContext, place: Place, fragment: Fragment, options: { count: number; tempo?: number; raster?: boolean }): Continuation {
  const { sim, net, params: p, entry: e } = ctx;
  const matched = place.goal - e.goalFirst;
  const rec = sim.recorder;

  // 1. where the place is, at the piece's own tempo
  recallMode(sim);
  sim.startClock({ neurons: ctx.pacemaker, startTime: 0, segments: clockSegments(e, 1, p) });
  sim.stimulate(place.goal, 0, p.wDrive);
  let at = -1;
  let spatialBefore = 0;
  while (at < 0) {
    const from = rec.count;
    sim.stopAfter(SPATIAL, 1);
    sim.run();
    if (rec.count === from) break; // the chain ended without reaching the place
    for (let i = from; i < rec.count && at < 0; i++) {
      if (rec.neuron[i] === place.neuron) at = i;
      else if (net.neuronGroup[rec.neuron[i]!] === SPATIAL) spatialBefore++;
    }
  }
  if (at < 0) throw new RangeError(`continuation: the place is not on '${e.title}' track ${matched}`);
  const placeTick = rec.pulse[at]!;
  sim.stopAfter(SPATIAL, options.count);
  sim.run();
  sim.gain[SEQUENCE] = 0; // no new notes: let the sounding ones end
  sim.run();
  const heard = decodeNotes(sim, net, new Map([[place.goal, 0]]), 0).get(0) ?? [];
  const upTo = heard.slice(0, spatialBefore + 1);
  const after = heard.slice(spatialBefore + 1, spatialBefore + 1 + options.count);
  const endTick = after.length ? after[after.length - 1]!.tick : placeTick;

  const player = playerTempo(fragment, upTo);
  let tempo = 1;
  let source: Continuation['tempoSource'] = 'piece';
  if (options.tempo !== undefined) (tempo = options.tempo), (source = 'asked');
  else if (player !== null) (tempo = player), (source = 'player');
  validateTempo(tempo);

  // 2. every track, the pacemaker at the player's tempo, read from the place on
  recallMode(sim);
  sim.startClock({ neurons: ctx.pacemaker, startTime: 0, segments: clockSegments(e, tempo, p) });
  const roots = new Map<number, number>();
  for (let t = 0; t < e.tracks; t++) {
    roots.set(e.goalFirst + t, t);
    sim.stimulate(e.goalFirst + t, 0, p.wDrive);
  }
  // a chord's notes follow its first within a tick: run to the end of the last onset's tick
  sim.run(sim.pulseTime(endTick)! + p.maxChord * p.delayChord + p.delayGate + p.delayRelease);
  sim.gain[SEQUENCE] = 0;
  sim.run();
  let t0 = NaN;
  for (let i = 0; i < rec.count; i++) if (rec.neuron[i] === place.neuron) t0 = rec.time[i]! / 1e9;
  const decoded = decodeNotes(sim, net, roots, 0);
  const shift = place.transposition ?? 0;
  const inKey = (symbol: number) => {
    let s = symbol + shift;
    while (s > p.maxSymbol && s - 12 >= 0) s -= 12;
    while (s < 0 && s + 12 <= p.maxSymbol) s += 12;
    return s;
  };
  const relative = (n: RecalledNote): RecalledNote => ({ ...n, symbol: inKey(n.symbol), tick: n.tick - placeTick, time: n.time - t0 });
  const tracks = [...Array(e.tracks).keys()].map((t) => {
    const notes = decoded.get(t) ?? [];
    const kept = t === matched ? notes.slice(spatialBefore + 1, spatialBefore + 1 + options.count) : notes.filter((n) => n.tick > placeTick && n.tick <= endTick);
    return { track: t, name: e.trackNames[t], notes: kept.map(relative) };
  });
  const spt = segmentAt(e, placeTick);
  return {
    tempo,
    tempoSource: source,
    playerTempo: player,
    place: { track: matched, tick: placeTick, secondsPerTick: spt },
    tracks,
    transposition: shift,
    ...(options.raster ? { raster: fromPlace(raster(sim, net), t0) } : {}),
  };
}

/** A recall's spikes from the place on, their times relative to it (the run up to it is not shown). */
function fromPlace(r: NonNullable<Continuation['raster']>, t0: number): NonNullable<Continuation['raster']> {
  const out: NonNullable<Continuation['raster']> = { time: [], neuron: [], group: [], groups: r.groups, pulseEvery: r.pulseEvery };
  for (let i = 0; i < r.time.length; i++) {
    if (r.time[i]! < t0) continue;
    out.time.push(r.time[i]! - t0);
    out.neuron.push(r.neuron[i]!);
    out.group.push(r.group[i]!);
  }
  out.pulses = (r.pulses ?? []).filter((t) => t >= t0).map((t) => t - t0);
  return out;
}

/** The piece's tick length (s, at 1x) at `tick`: its tempo map there. */
function segmentAt(e: TitleEntry, tick: number): number {
  let spt = e.timingSpt[0]!;
  for (let i = 0; i < e.timingTick.length && e.timingTick[i]! <= tick; i++) spt = e.timingSpt[i]!;
  return spt;
}

/**
 * The player's tempo relative to the piece (2 = twice as fast) from a fragment played in seconds, or
 * null (no durations in seconds, or no note in common). The fragment is aligned with the piece's notes
 * up to the place (edit distance on pitch, after the transposition most notes agree on); the tempo is
 * the median of piece duration / played duration over the aligned notes.
 */
export function playerTempo(fragment: Fragment, piece: RecalledNote[]): number | null {
  const played = fragment.notes;
  if (fragment.unit !== 'seconds' || played.length === 0 || played.some((n) => n.duration === undefined)) return null;
  const window = piece.slice(Math.max(0, piece.length - 2 * played.length - 4));
  const n = played.length;
  const m = window.length;
  if (m === 0) return null;
  // the transposition most notes agree on, aligned from the end
  const votes = new Map<number, number>();
  for (let k = 1; k <= Math.min(n, m); k++) {
    const d = played[n - k]!.symbol - window[m - k]!.symbol;
    votes.set(d, (votes.get(d) ?? 0) + 1);
  }
  const shift = [...votes].sort((a, b) => b[1] - a[1] || Math.abs(a[0]) - Math.abs(b[0]))[0]![0];
  // edit distance: both sequences end at the place; the fragment may start anywhere in the window
  const cost = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = 1; i <= n; i++) cost[i]![0] = i;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const same = played[i - 1]!.symbol - shift === window[j - 1]!.symbol ? 0 : 1;
      cost[i]![j] = Math.min(cost[i - 1]![j - 1]! + same, cost[i - 1]![j]! + 1, cost[i]![j - 1]! + 1);
    }
  }
  const ratios: number[] = [];
  for (let i = n, j = m; i > 0 && j > 0; ) {
    const same = played[i - 1]!.symbol - shift === window[j - 1]!.symbol ? 0 : 1;
    if (cost[i]![j] === cost[i - 1]![j - 1]! + same) {
      const d = played[i - 1]!.duration!;
      const s = window[j - 1]!.seconds;
      if (same === 0 && d > 0 && s > 0) ratios.push(s / d);
      i--, j--;
    } else if (cost[i]![j] === cost[i - 1]![j]! + 1) i--;
    else j--;
  }
  if (ratios.length === 0) return null;
  ratios.sort((a, b) => a - b);
  const mid = ratios.length >> 1;
  const median = ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  return Math.round(median * 1000) / 1000;
}
