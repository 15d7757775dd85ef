/**
 * Note-level scoring in the mir_eval convention (mir_eval.transcription, onset only): a played note
 * matches a score note of the same pitch whose onset is within +-50 ms; each note matches at most once
 * and the matching is maximal. For one pitch the candidates lie on a line with a fixed window, so a
 * greedy pass in time order finds a maximum matching (no bipartite solver needed).
 */
export interface ScoredNote {
  pitch: number;
  /** Onset, s. */
  time: number;
}

export interface ScoreReport {
  reference: number;
  played: number;
  matched: number;
  precision: number;
  recall: number;
  f1: number;
  /** |onset error| of matched notes, ms. */
  onsetMedianMs: number;
  onsetP95Ms: number;
  /** Signed mean onset error (played - reference), ms. */
  onsetMeanSignedMs: number;
  /** Reference notes with no match (indices into the reference list). */
  missed: number[];
  /** Played notes with no match (indices into the played list). */
  extra: number[];
}

export const ONSET_TOLERANCE = 0.05;

export function scoreNotes(reference: ScoredNote[], played: ScoredNote[], tolerance = ONSET_TOLERANCE): ScoreReport {
  const byPitch = new Map<number, { ref: number[]; est: number[] }>();
  const slot = (p: number) => byPitch.get(p) ?? byPitch.set(p, { ref: [], est: [] }).get(p)!;
  reference.forEach((n, i) => slot(n.pitch).ref.push(i));
  played.forEach((n, i) => slot(n.pitch).est.push(i));
  const refMatched = new Uint8Array(reference.length);
  const estMatched = new Uint8Array(played.length);
  const errors: number[] = [];
  let signed = 0;
  for (const { ref, est } of byPitch.values()) {
    ref.sort((a, b) => reference[a]!.time - reference[b]!.time);
    est.sort((a, b) => played[a]!.time - played[b]!.time);
    let j = 0;
    for (const r of ref) {
      const tr = reference[r]!.time;
      while (j < est.length && played[est[j]!]!.time < tr - tolerance - 1e-9) j++;
      if (j < est.length && played[est[j]!]!.time <= tr + tolerance + 1e-9) {
        const e = est[j]!;
        refMatched[r] = 1;
        estMatched[e] = 1;
        const d = played[e]!.time - tr;
        errors.push(Math.abs(d) * 1000);
        signed += d * 1000;
        j++;
      }
    }
  }
  const matched = errors.length;
  errors.sort((a, b) => a - b);
  const q = (p: number) => (errors.length ? errors[Math.min(errors.length - 1, Math.floor(p * errors.length))]! : NaN);
  const precision = played.length ? matched / played.length : reference.length ? 0 : 1;
  const recall = reference.length ? matched / reference.length : 1;
  return {
    reference: reference.length,
    played: played.length,
    matched,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    onsetMedianMs: q(0.5),
    onsetP95Ms: q(0.95),
    onsetMeanSignedMs: matched ? signed / matched : NaN,
    missed: reference.map((_, i) => i).filter((i) => !refMatched[i]),
    extra: played.map((_, i) => i).filter((i) => !estMatched[i]),
  };
}
