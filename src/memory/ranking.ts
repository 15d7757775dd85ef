import type { IdentifyMatch } from './types.js';

/** One matching place found by recognition: the path's last neuron and the goal neuron it reaches. */
export interface Endpoint {
  neuron: number;
  goal: number;
  /** Confirmed notes of the place's path minus its misses. */
  evidence: number;
  /** How well the fragment's durations fit the place's, 0..1 (0 when no durations were given). */
  fit: number;
  /** |ln| of the tempo factor the fragment implies for this place (0 unless durations are in seconds). */
  tempoDistance: number;
  /** Symbols the fragment was played away from the piece at this place (0: in its own key). */
  transposition: number;
}

/** A place's weight: its evidence, discounted by up to half where its durations do not fit. */
export function placeWeight(evidence: number, fit: number, useDur: boolean): number {
  return useDur ? evidence * (0.5 + 0.5 * fit) : evidence;
}

/**
 * How well fragment durations (any unit) fit a path's duration classes (ticks), 0..1: each note's
 * log ratio to its class, after the scale most notes agree on (the median ratio, so a few bad notes do
 * not move it), scored on a Gaussian of width sigma, averaged. Half a tick of slack for rounding.
 * Graded, so loose timing costs a little and a different rhythm a lot.
 */
export function durationFit(frag: number[], classes: number[], sigma: number, free: number): number {
  const logs: number[] = [];
  for (let i = 0; i < frag.length; i++) {
    if (classes[i]! < 0 || !(frag[i]! > 0)) return 0;
    logs.push(Math.log(Math.max(0.5, classes[i]!) / frag[i]!));
  }
  const sorted = [...logs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const scale = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  let sum = 0;
  for (let i = 0; i < logs.length; i++) {
    const slack = Math.log(1 + 0.5 / Math.max(1, classes[i]!));
    const d = Math.max(0, Math.abs(logs[i]! - scale) - slack - free);
    sum += Math.exp((-d * d) / (2 * sigma * sigma));
  }
  return sum / logs.length;
}

/**
 * The goal cluster's race. A place's feedback arrives later the less weight it carries (a latency
 * code: one slot per 1/1048576 of the fragment's notes of weight behind a whole match, and within that
 * one sub-slot per 1/32 of |ln tempo factor|, so an implausible tempo is a little later still). In
 * its slot a place bursts BURST spikes 1 ns apart, each 1/BURST of a goal neuron's threshold: a goal
 * neuron integrates the bursts of all its places in that slot and fires once per place's worth, the
 * sooner the more places reach it (k places: after ceil(BURST / k) ns). So each goal neuron fires
 * first for its title's best places, titles are named in the order their goal neurons first fire
 * (weight, then tempo, then places), and a title's places are its spikes from that slot.
 */
export const BURST = 16;
// fine enough that weights the duration fit tells apart are not taken for equal (1/65536 was not:
// tempo then decided between titles a few millionths of a note apart); the longest race is 8.6 s of
// simulated time, exact in float64 ns
const WEIGHT_STEPS = 1048576;
const TEMPO_STEPS = 256;
const TEMPO_PER_LOG = 32;

/** A place's score: its weight as a share of the fragment's notes (at most 1). */
export function placeScore(e: Endpoint, fragmentNotes: number, useDur: boolean): number {
  return Math.min(1, placeWeight(e.evidence, e.fit, useDur) / fragmentNotes);
}

/** When, after the readout starts, the burst of a place of this score and tempo distance starts (ns). */
export function feedbackLatency(score: number, tempoDistance: number): number {
  const behind = Math.round((1 - Math.max(-1, score)) * WEIGHT_STEPS);
  return (behind * TEMPO_STEPS + Math.min(TEMPO_STEPS - 1, Math.round(tempoDistance * TEMPO_PER_LOG))) * BURST;
}

/**
 * How long after the first goal spike the cluster's inhibition closes the race (ns): places more than
 * `margin` notes of weight behind the winner's arrive after it and name nothing.
 */
export function raceWindow(margin: number, fragmentNotes: number): number {
  return (Math.round((margin / fragmentNotes) * WEIGHT_STEPS) * TEMPO_STEPS + TEMPO_STEPS) * BURST;
}

/** The titles the race named (first spike first) and, for the winner, the place `complete` goes on from. */
export interface RaceResult {
  matches: IdentifyMatch[];
  winner: Endpoint | null;
}

/**
 * Reads the race from the recorded goal spikes (records `from`..count, in time order): a title's first
 * spike names it, with the place whose burst caused it; its goal spikes caused by places of that same
 * slot are its places.
 */
export function readRace(
  rec: { count: number; time: Float64Array; neuron: Int32Array; source: Int32Array },
  from: number,
  goalGroup: number,
  net: { neuronGroup: Uint8Array; neuronColumn: Int32Array },
  titles: readonly { title: string; goalFirst: number }[],
  placeOf: ReadonlyMap<number, { place: Endpoint; latency: number }>,
  fragmentNotes: number,
  useDur: boolean,
  fitMatched: number,
): RaceResult {
  const matches: IdentifyMatch[] = [];
  // per title: the slot its first spike came from, and its match
  const firstAt = new Map<number, { latency: number; match: IdentifyMatch }>();
  let winner: Endpoint | null = null;
  let winnerTitle = -1;
  for (let i = from; i < rec.count; i++) {
    const goal = rec.neuron[i]!;
    if (net.neuronGroup[goal] !== goalGroup) continue;
    const arrival = placeOf.get(rec.source[i]!);
    if (!arrival) continue; // a goal spike not caused by a place's feedback (none in a readout)
    const ti = net.neuronColumn[goal]!;
    const seen = firstAt.get(ti);
    if (seen) {
      if (arrival.latency === seen.latency) seen.match.occurrences++;
      continue;
    }
    const place = arrival.place;
    const match: IdentifyMatch = {
      title: titles[ti]!.title,
      score: placeScore(place, fragmentNotes, useDur),
      occurrences: 1,
      track: goal - titles[ti]!.goalFirst,
      durationsMatched: useDur && place.fit >= fitMatched,
      ...(place.transposition ? { transposition: place.transposition } : {}),
    };
    firstAt.set(ti, { latency: arrival.latency, match });
    matches.push(match);
    if (winnerTitle < 0) winnerTitle = ti;
  }
  // the winner's places all reached its goal neurons in one slot; the continuation goes on from the
  // first of them the paths found (a burst's crossing spike comes from whichever place it happened to be)
  if (winnerTitle >= 0) {
    const slot = firstAt.get(winnerTitle)!.latency;
    for (const { place, latency } of placeOf.values()) {
      if (latency === slot && net.neuronColumn[place.goal] === winnerTitle) {
        winner = place;
        break;
      }
    }
  }
  return { matches, winner };
}
