import { describe, expect, it } from 'vitest';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { Sequence } from '../../src/memory/types.js';

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
