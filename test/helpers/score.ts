import type { RecallResult, Sequence, SequenceNote } from '../../src/memory/types.js';

export function sortNotes(notes: SequenceNote[]): SequenceNote[] {
  return [...notes].sort((a, b) => a.tick - b.tick || a.symbol - b.symbol || a.duration - b.duration);
}

/** Notes recalled exactly (same position in order, pitch, onset tick, duration), over all tracks. */
export function exactNotes(seq: Sequence, r: RecallResult): { exact: number; total: number } {
  let exact = 0;
  let total = 0;
  seq.tracks.forEach((t, i) => {
    const src = sortNotes(t.notes);
    const got = r.tracks.find((x) => x.track === i)?.notes ?? [];
    total += src.length;
    for (let k = 0; k < src.length; k++) {
      const g = got[k];
      const s = src[k]!;
      if (g && g.symbol === s.symbol && g.tick === s.tick && g.duration === s.duration) exact++;
    }
  });
  return { exact, total };
}
