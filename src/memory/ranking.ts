import type { IdentifyMatch } from './types.js';

/** One matching place found by recognition: the path's last neuron and the goal neuron it reaches. */
export interface Endpoint {
  neuron: number;
  goal: number;
  /** Confirmed notes of the place's path minus its misses. */
  evidence: number;
  /** Duration misfit of the place (Infinity when no durations were given). */
  misfit: number;
  /** |ln| of the tempo factor the fragment implies for this place (0 unless durations are in seconds). */
  tempoDistance: number;
}

/** Endpoint order: most evidence, durations that fit, then the most plausible tempo, then the closest fit. */
export function endpointOrder(tol: number) {
  return (a: Endpoint, b: Endpoint) =>
    b.evidence - a.evidence ||
    Number(a.misfit > tol) - Number(b.misfit > tol) ||
    a.tempoDistance - b.tempoDistance ||
    a.misfit - b.misfit;
}

/**
 * How far fragment durations (any unit) are from a path's duration classes (ticks) after the best
 * common scale: the largest relative error, with half a tick of slack. 0 = proportional.
 */
export function durationMisfit(frag: number[], classes: number[]): number {
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

/** What the goal cluster reported for one title: its places and its best place's fit. */
export interface TitleEvidence {
  title: string;
  /** Evidence of its best place (confirmed notes minus misses). */
  evidence: number;
  occurrences: number;
  track: number;
  misfit: number;
  tempoDistance: number;
}

/**
 * Orders the titles the goal cluster named (best first): evidence as a share of the fragment's notes
 * (halved where durations do not fit), then tempo plausibility, then fit, then places.
 */
export function rankTitles(titles: TitleEvidence[], fragmentNotes: number, useDur: boolean, tol: number): IdentifyMatch[] {
  const ranked = titles.map((v) => ({
    title: v.title,
    // places whose durations do not fit count half
    score: (useDur && v.misfit > tol ? 0.5 : 1) * Math.min(1, v.evidence / fragmentNotes),
    occurrences: v.occurrences,
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
  return ranked.map(({ misfit: _m, tempoDistance: _t, ...m }) => m);
}
