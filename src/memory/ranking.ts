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

/** Endpoint order: most weight (evidence and rhythm), then the most plausible tempo. */
export function endpointOrder(useDur: boolean) {
  return (a: Endpoint, b: Endpoint) =>
    placeWeight(b.evidence, b.fit, useDur) - placeWeight(a.evidence, a.fit, useDur) || a.tempoDistance - b.tempoDistance;
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

/** What the goal cluster reported for one title: its places and its best place's fit. */
export interface TitleEvidence {
  title: string;
  /** Evidence of its best place (confirmed notes minus misses). */
  evidence: number;
  occurrences: number;
  track: number;
  fit: number;
  tempoDistance: number;
  transposition: number;
}

/**
 * Orders the titles the goal cluster named (best first): their best place's weight as a share of the
 * fragment's notes (evidence, discounted where durations do not fit), then tempo plausibility, then
 * places.
 */
export function rankTitles(titles: TitleEvidence[], fragmentNotes: number, useDur: boolean, fitMatched: number): IdentifyMatch[] {
  const ranked = titles.map((v) => ({
    title: v.title,
    score: Math.min(1, placeWeight(v.evidence, v.fit, useDur) / fragmentNotes),
    occurrences: v.occurrences,
    track: v.track,
    durationsMatched: useDur && v.fit >= fitMatched,
    tempoDistance: v.tempoDistance,
    ...(v.transposition ? { transposition: v.transposition } : {}),
  }));
  ranked.sort(
    (a, b) =>
      b.score - a.score ||
      a.tempoDistance - b.tempoDistance ||
      b.occurrences - a.occurrences ||
      (a.title < b.title ? -1 : a.title > b.title ? 1 : 0),
  );
  return ranked.map(({ tempoDistance: _t, ...m }) => m);
}
