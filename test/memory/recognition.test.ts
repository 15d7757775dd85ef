import { describe, expect, it } from 'vitest';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { Sequence } from '../../src/memory/types.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { sortNotes } from '../helpers/score.js';

/** A one-track sequence of symbols, one per 10 ticks. */
function line(symbols: number[]): Sequence {
  return { tracks: [{ notes: symbols.map((symbol, i) => ({ symbol, tick: i * 10, duration: 10 })) }] };
}

describe('recognition: the goal cluster integrates evidence (issue 10)', () => {
  it('counts every matching place, well past the goal neuron threshold of 15', () => {
    const m = new SequenceMemory();
    const motif = [60, 62, 64, 65];
    for (const places of [3, 20, 41]) {
      const symbols: number[] = [];
      for (let i = 0; i < places; i++) symbols.push(...motif, 40 + (i % 7));
      m.learn(`motif x${places}`, line(symbols));
    }
    const r = m.identify({ notes: motif.map((symbol) => ({ symbol })) });
    expect(Object.fromEntries(r.map((x) => [x.title, x.occurrences]))).toEqual({ 'motif x3': 3, 'motif x20': 20, 'motif x41': 41 });
  });
});

describe('recognition: paths survive a wrong, missing or extra note (issue 10)', () => {
  const melodies = bundledMelodies();
  const m = new SequenceMemory();
  for (const mel of melodies) m.learn(mel.title, mel.sequence);
  /** 10 notes from the middle of each bundled melody's first track, by pitch only. */
  const fragments = melodies.map((mel) => {
    const notes = sortNotes(mel.sequence.tracks[0]!.notes);
    const from = Math.floor(notes.length / 3);
    return { title: mel.title, symbols: notes.slice(from, from + 10).map((n) => n.symbol) };
  });
  const named = (symbols: number[]) => m.identify({ notes: symbols.map((symbol) => ({ symbol })) })[0]?.title;

  it('a wrong last note still names the piece, with less evidence than the exact fragment', () => {
    for (const f of fragments) {
      const wrong = [...f.symbols.slice(0, -1), f.symbols[9]! + 13];
      expect(named(wrong), f.title).toBe(f.title);
      const exact = m.identify({ notes: f.symbols.map((symbol) => ({ symbol })) })[0]!;
      const top = m.identify({ notes: wrong.map((symbol) => ({ symbol })) })[0]!;
      expect(top.score).toBeLessThan(exact.score);
    }
  });

  it('a wrong, a missing or an extra note inside the fragment costs evidence, not the path', () => {
    for (const f of fragments) {
      const s = f.symbols;
      expect(named([...s.slice(0, 4), s[4]! + 13, ...s.slice(5)]), `${f.title}: wrong`).toBe(f.title);
      expect(named([...s.slice(0, 4), ...s.slice(5)]), `${f.title}: missing`).toBe(f.title);
      expect(named([...s.slice(0, 4), s[3]! + 13, ...s.slice(4)]), `${f.title}: extra`).toBe(f.title);
    }
  });

  it('a path carried over unheard notes ends: a fragment that wanders off is not named for its opening', () => {
    const f = fragments[0]!;
    // the opening of one piece, then notes no piece has: more misses than the fragment allows
    const r = m.identify({ notes: [...f.symbols.slice(0, 4), 1, 2, 3, 4, 5, 6, 7, 8].map((symbol) => ({ symbol })) });
    expect(r).toEqual([]);
  });
});
