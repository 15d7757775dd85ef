import { describe, expect, it } from 'vitest';
import { memoryAnatomy, titleChain } from '../../src/memory/anatomy.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { Sequence } from '../../src/memory/types.js';

/** Two tracks: C D E (one note each) over a C-E chord. */
const piece: Sequence = {
  tracks: [
    { notes: [60, 62, 64].map((symbol, i) => ({ symbol, tick: i * 4, duration: 4 })) },
    { notes: [{ symbol: 48, tick: 0, duration: 12 }, { symbol: 52, tick: 0, duration: 12 }] },
  ],
  timing: [{ tick: 0, secondsPerTick: 0.05 }],
};

describe('the memory seen from outside: areas and chains read from the network', () => {
  it('counts neurons, synapses and bytes per area, adding up to the network', () => {
    const m = new SequenceMemory();
    m.learn('piece', piece);
    const a = memoryAnatomy(m);
    const stats = m.stats();
    expect(a.neurons).toBe(stats.neurons);
    expect(a.synapses).toBe(stats.synapses);
    expect(a.areas.reduce((s, x) => s + x.neurons, 0)).toBe(stats.neurons);
    expect(a.areas.reduce((s, x) => s + x.synapses, 0)).toBe(stats.synapses);
    expect(a.projections.reduce((s, x) => s + x.synapses, 0)).toBe(stats.synapses);
    expect(a.areas.reduce((s, x) => s + x.bytes, 0)).toBe(stats.structureBytes);
    const area = (name: string) => a.areas.find((x) => x.name === name)!;
    expect(area('spatial').neurons).toBe(5); // one per note
    expect(area('duration').neurons).toBe(5);
    expect(area('goal').neurons).toBe(2); // one per track
  });

  it("a track's chain: goal, counters, its note neurons in their pitch minicolumns, the synapses between them", () => {
    const m = new SequenceMemory();
    m.learn('piece', piece);
    const c = titleChain(m, 'piece', { track: 0 });
    expect(c.notes).toBe(3);
    expect(c.notesShown).toBe(3);
    expect(c.neurons[0]).toMatchObject({ id: c.goal, area: 'goal' });
    expect(c.neurons.filter((n) => n.area === 'spatial').map((n) => n.column)).toEqual([60, 62, 64]);
    expect(c.neurons.filter((n) => n.area === 'duration')).toHaveLength(3);
    const ids = new Set(c.neurons.map((n) => n.id));
    for (const s of c.synapses) expect(ids.has(s.pre) && ids.has(s.post)).toBe(true);
    // every note is reached by a sequence synapse and sends feedback to the goal
    const notes = c.neurons.filter((n) => n.area === 'spatial').map((n) => n.id);
    for (const n of notes) {
      expect(c.synapses.some((s) => s.post === n && s.kind === 'sequence')).toBe(true);
      expect(c.synapses.some((s) => s.pre === n && s.post === c.goal && s.kind === 'feedback')).toBe(true);
    }
    // the chord track: both notes
    expect(titleChain(m, 'piece', { track: 1 }).neurons.filter((n) => n.area === 'spatial').map((n) => n.column).sort()).toEqual([48, 52]);
    // a cap on notes shows the first ones and says how many there are
    const capped = titleChain(m, 'piece', { track: 0, maxNotes: 2 });
    expect(capped.notes).toBe(3);
    expect(capped.notesShown).toBe(2);
    expect(capped.neurons.filter((n) => n.area === 'spatial').map((n) => n.column)).toEqual([60, 62]);
  });

  it('names a bad title or track', () => {
    const m = new SequenceMemory();
    m.learn('piece', piece);
    expect(() => titleChain(m, 'nope')).toThrow(/nope/);
    expect(() => titleChain(m, 'piece', { track: 2 })).toThrow(/tracks 0\.\.1, got 2/);
  });
});

describe("the recall's raster carries the pacemaker", () => {
  it('every pulseEvery-th pulse, evenly spaced at the learned rate, twice as dense at tempo 2', () => {
    const m = new SequenceMemory();
    m.learn('piece', piece);
    const slow = m.recall('piece', { raster: true, tempo: 1 }).raster!;
    const fast = m.recall('piece', { raster: true, tempo: 2 }).raster!;
    expect(slow.pulses!.length).toBeGreaterThan(2);
    const step = (r: typeof slow) => (r.pulses![2]! - r.pulses![1]!) / r.pulseEvery!;
    expect(step(slow)).toBeCloseTo(0.05, 3); // one pulse per tick, 0.05 s a tick
    expect(step(fast)).toBeCloseTo(0.025, 3);
    expect(slow.groups).toContain('pacemaker');
  });
});
