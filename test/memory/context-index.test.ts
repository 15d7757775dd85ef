import { describe, expect, it } from 'vitest';
import { ContextIndex } from '../../src/memory/context-index.js';
import { SPATIAL } from '../../src/memory/model.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { Sequence } from '../../src/memory/types.js';

/** A one-track sequence of symbols, one per 10 ticks. */
function line(symbols: number[]): Sequence {
  return { tracks: [{ notes: symbols.map((symbol, i) => ({ symbol, tick: i * 10, duration: 10 })) }] };
}

describe('context sub-columns: where recognition starts its paths (issue 10)', () => {
  const opening = [60, 62, 64, 65];
  const m = new SequenceMemory();
  m.learn('up', line([...opening, 67, 69, 71, 72]));
  m.learn('down', line([...opening, 55, 53, 52, 50]));
  m.consolidate();
  const index = ContextIndex.build(m.net);
  const starts = (after?: number[]) => {
    const out: number[] = [];
    index.members(m.net, ContextIndex.contextKey(SPATIAL, opening, 0), 60, out, after);
    return out;
  };

  it("the sub-column of four notes holds every place that begins with them", () => {
    expect(starts()).toHaveLength(2);
  });

  it('a long-context print narrows it to the places whose next two (or four) notes agree', () => {
    const up = starts([67, 69]);
    const down = starts([55, 53]);
    expect(up).toHaveLength(1);
    expect(down).toHaveLength(1);
    expect(up[0]).not.toBe(down[0]);
    // (8 bits: one other context in 254 shares a print; its path then ends at the note that differs)
    expect(starts([40, 42])).toHaveLength(0);
    expect(starts([67, 69, 71, 72])).toEqual(up);
    expect(starts([55, 53, 52, 50])).toEqual(down);
    expect(starts([67, 69, 71, 73])).toHaveLength(0);
    // and the places it keeps are the pieces': a six-note fragment of each is named whole
    for (const [title, notes] of [['up', [...opening, 67, 69]], ['down', [...opening, 55, 53]]] as const) {
      const top = m.identify({ notes: notes.map((symbol) => ({ symbol })) })[0]!;
      expect(top.title).toBe(title);
      expect(top.score).toBe(1);
    }
  });

  it('a place whose chain goes on in two ways (a context the memory shares) matches any print', () => {
    const mm = new SequenceMemory();
    // the same opening twice in one piece, going on differently: whether its neurons are shared or not,
    // a six-note fragment of either continuation must still start a path
    mm.learn('twice', line([...opening, 67, 69, 40, ...opening, 55, 53, 41]));
    for (const next of [[67, 69], [55, 53], [67, 69, 40, 60], [55, 53, 41]]) {
      const top = mm.identify({ notes: [...opening, ...next].map((symbol) => ({ symbol })) })[0]!;
      expect(top.title).toBe('twice');
      expect(top.score).toBe(1);
    }
  });
});
