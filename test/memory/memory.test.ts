import { describe, expect, it } from 'vitest';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { encodeSnapshot } from '../../src/memory/snapshot.js';
import type { Sequence } from '../../src/memory/types.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { exactNotes, sortNotes } from '../helpers/score.js';

const melodies = bundledMelodies();

function learnedBundled(): SequenceMemory {
  const m = new SequenceMemory();
  for (const mel of melodies) m.learn(mel.title, mel.sequence);
  return m;
}

function accuracy(m: SequenceMemory): number {
  let exact = 0;
  let total = 0;
  for (const mel of melodies) {
    const r = exactNotes(mel.sequence, m.recall(mel.title));
    exact += r.exact;
    total += r.total;
  }
  return exact / total;
}

describe('learning and recall by title', () => {
  it('recalls every bundled melody exactly, all tracks (pitch, onset tick, duration)', () => {
    expect(melodies.length).toBeGreaterThanOrEqual(10);
    const m = learnedBundled();
    for (const mel of melodies) {
      const r = m.recall(mel.title);
      const { exact, total } = exactNotes(mel.sequence, r);
      expect(exact, mel.title).toBe(total);
      expect(r.tracks.length).toBe(mel.sequence.tracks.length);
    }
  });

  it('keeps triplet and dotted durations exact', () => {
    const m = new SequenceMemory();
    const notes = [160, 160, 160, 720, 240, 80, 80, 80].reduce<{ symbol: number; tick: number; duration: number }[]>((acc, d, i) => {
      const tick = acc.length ? acc[acc.length - 1]!.tick + acc[acc.length - 1]!.duration : 0;
      acc.push({ symbol: 60 + i, tick, duration: d });
      return acc;
    }, []);
    m.learn('triplets', { tracks: [{ notes }] });
    const r = m.recall('triplets');
    expect(r.tracks[0]!.notes.map((n) => [n.symbol, n.tick, n.duration])).toEqual(notes.map((n) => [n.symbol, n.tick, n.duration]));
  });

  it('recalls high-order sequences exactly: shared and repeated contexts get their own neurons', () => {
    const m = new SequenceMemory();
    const mk = (syms: number[]) => ({ tracks: [{ notes: syms.map((s, i) => ({ symbol: s, tick: i * 10, duration: 10 })) }] });
    // same opening, different continuations; a motif repeated with different endings
    const a = [1, 2, 3, 4, 1, 2, 3, 5, 1, 2, 3, 6];
    const b = [1, 2, 3, 7, 1, 2, 3, 4];
    m.learn('a', mk(a));
    m.learn('b', mk(b));
    expect(m.recall('a').tracks[0]!.notes.map((n) => n.symbol)).toEqual(a);
    expect(m.recall('b').tracks[0]!.notes.map((n) => n.symbol)).toEqual(b);
    // one neuron per occurrence: the '1' minicolumn holds 5 neurons
    expect(m.net.columnMembers(0, 1).length).toBe(5);
  });

  it('recalls chosen tracks only, kept on the shared pacemaker clock', () => {
    const m = learnedBundled();
    const mel = melodies.find((x) => x.sequence.tracks.length === 2)!;
    const both = m.recall(mel.title);
    const second = m.recall(mel.title, { tracks: [1] });
    expect(second.tracks.length).toBe(1);
    expect(second.tracks[0]!.notes).toEqual(both.tracks[1]!.notes);
  });
});

describe('recall is spikes over learned synapses (rule 1)', () => {
  it('cutting sequence synapses degrades recall, more cut degrades more', () => {
    const m = learnedBundled();
    expect(accuracy(m)).toBe(1);
    m.lesion(0.05, { seed: 7 });
    const a5 = accuracy(m);
    m.lesion(0.3, { seed: 8 });
    const a30 = accuracy(m);
    expect(a5).toBeLessThan(1);
    expect(a30).toBeLessThan(a5);
  });

  it('cutting the gates of the temporal neurons stops recall', () => {
    const m = learnedBundled();
    m.lesion(1, { projection: 'interval-gate' });
    for (const mel of melodies) {
      const r = m.recall(mel.title);
      expect(r.tracks.flatMap((t) => t.notes).length).toBe(0); // the offset gates are cut too: nothing starts
    }
  });

  it('with every sequence synapse silenced, only what the goal neurons start comes out', () => {
    const m = learnedBundled();
    m.lesion(1);
    for (const mel of melodies) {
      const notes = m.recall(mel.title).tracks.flatMap((t) => t.notes);
      expect(notes.length).toBe(0);
    }
  });

  it('the snapshot holds no note list: titles carry only descriptive metadata', () => {
    const m = learnedBundled();
    const buf = encodeSnapshot(m);
    // format 2: the header follows a 24-byte preamble (magic, version, header length, header checksum)
    const header = JSON.parse(buf.subarray(24, 24 + buf.readUInt32LE(12)).toString('utf8'));
    for (const t of header.titles) {
      for (const v of Object.values(t.meta as Record<string, unknown>)) expect(Array.isArray(v) ? v.every((x) => typeof x === 'string') : typeof v !== 'object' || v === null).toBe(true);
      expect(Object.keys(t).sort()).toEqual(['goalFirst', 'meta', 'timingLength', 'timingOffset', 'title', 'trackNames', 'tracks']);
    }
  });
});

describe('tempo comes from the pacemaker (acceptance 4)', () => {
  it('scales every inter-onset interval by the tempo factor within 1%', () => {
    const m = learnedBundled();
    for (const mel of melodies) {
      const base = m.recall(mel.title, { tempo: 1 });
      for (const tempo of [0.5, 2]) {
        const r = m.recall(mel.title, { tempo });
        base.tracks.forEach((t, ti) => {
          const a = t.notes;
          const b = r.tracks[ti]!.notes;
          expect(b.map((n) => n.tick)).toEqual(a.map((n) => n.tick)); // same pulses counted
          for (let i = 1; i < a.length; i++) {
            const ioi = a[i]!.time - a[i - 1]!.time;
            if (ioi === 0 || a[i]!.tick === a[i - 1]!.tick) continue;
            const ratio = (b[i]!.time - b[i - 1]!.time) / ioi;
            expect(Math.abs(ratio * tempo - 1)).toBeLessThan(0.01);
          }
        });
      }
    }
  });

  it('onset times follow the learned tempo map', () => {
    const m = new SequenceMemory();
    const seq: Sequence = {
      tracks: [{ notes: [0, 480, 960, 1440].map((tick) => ({ symbol: 60, tick, duration: 240 })) }],
      timing: [
        { tick: 0, secondsPerTick: 0.5 / 480 },
        { tick: 960, secondsPerTick: 0.25 / 480 },
      ],
    };
    m.learn('map', seq);
    const t = m.recall('map').tracks[0]!.notes.map((n) => n.time);
    expect(t[1]).toBeCloseTo(0.5, 4);
    expect(t[2]).toBeCloseTo(1.0, 4);
    expect(t[3]).toBeCloseTo(1.25, 4);
  });

  it('rejects a tempo the network cannot keep up with', () => {
    const m = learnedBundled();
    expect(() => m.recall('Ode to Joy', { tempo: 100 })).toThrow(/too fast/);
    expect(() => m.recall('Ode to Joy', { tempo: 0 })).toThrow(/tempo/);
  });
});

describe('fragments: identify and complete', () => {
  const m = learnedBundled();
  const elise = melodies.find((x) => x.title.startsWith('Für Elise'))!;
  const rh = sortNotes(elise.sequence.tracks[0]!.notes);

  it('identifies a fragment by pitches only, and with durations at any tempo', () => {
    const frag = rh.slice(0, 6);
    const byPitch = m.identify({ notes: frag.map((n) => ({ symbol: n.symbol })) });
    expect(byPitch[0]!.title).toBe(elise.title);
    expect(byPitch[0]!.score).toBe(1);
    for (const f of [0.5, 1, 2]) {
      const r = m.identify({ notes: frag.map((n) => ({ symbol: n.symbol, duration: n.duration * f })) });
      expect(r[0]!.title).toBe(elise.title);
      expect(r[0]!.durationsMatched).toBe(true);
    }
  });

  it('durations separate fragments with the same pitches', () => {
    const mm = new SequenceMemory();
    mm.learn('even', { tracks: [{ notes: [60, 62, 64, 65].map((s, i) => ({ symbol: s, tick: i * 480, duration: 480 })) }] });
    mm.learn('dotted', { tracks: [{ notes: [60, 62, 64, 65].map((s, i) => ({ symbol: s, tick: i * 480, duration: i % 2 ? 160 : 320 })) }] });
    const r = mm.identify({ notes: [60, 62, 64, 65].map((s, i) => ({ symbol: s, duration: i % 2 ? 0.1 : 0.2 })) });
    expect(r.map((x) => [x.title, x.durationsMatched])).toEqual([
      ['dotted', true],
      ['even', false],
    ]);
    expect(r[0]!.score).toBe(1);
    expect(r[1]!.score).toBeLessThan(0.75); // a different rhythm costs up to half the evidence
    expect(mm.identify({ notes: [60, 62, 64].map((s) => ({ symbol: s })) }).length).toBe(2);
  });

  it('completes a fragment with the notes that follow it', () => {
    const frag = rh.slice(10, 16);
    const c = m.complete({ notes: frag.map((n) => ({ symbol: n.symbol })) }, { count: 10 });
    expect(c.match!.title).toBe(elise.title);
    expect(c.match!.occurrences).toBe(1);
    const last = frag[frag.length - 1]!;
    const expected = rh.slice(16, 26).map((n) => [n.symbol, n.tick - last.tick, n.duration]);
    expect(c.notes.map((n) => [n.symbol, n.tick, n.duration])).toEqual(expected);
  });

  it('restarts matching after a wrong note, and returns nothing for unknown symbols', () => {
    const frag = rh.slice(0, 8).map((n) => ({ symbol: n.symbol }));
    frag[2] = { symbol: 127 };
    const r = m.identify({ notes: frag });
    expect(r[0]!.title).toBe(elise.title);
    expect(r[0]!.score).toBeLessThan(1);
    expect(m.identify({ notes: [{ symbol: 126 }, { symbol: 127 }] })).toEqual([]);
  });
});

describe('bad input changes nothing', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['no tracks', { tracks: [] }, /no tracks/],
    ['empty track', { tracks: [{ notes: [{ symbol: 60, tick: 0, duration: 1 }] }, { name: 'left', notes: [] }] }, /tracks\[1\] \('left'\): is empty/],
    ['bad symbol', { tracks: [{ notes: [{ symbol: -1, tick: 0, duration: 1 }] }] }, /notes\[0\]\.symbol/],
    ['bad tick', { tracks: [{ notes: [{ symbol: 1, tick: 0.5, duration: 1 }] }] }, /notes\[0\]\.tick/],
    ['bad timing', { tracks: [{ notes: [{ symbol: 1, tick: 0, duration: 1 }] }], timing: [{ tick: 0, secondsPerTick: 0 }] }, /secondsPerTick/],
  ];
  for (const [name, seq, re] of bad) {
    it(`rejects ${name} with a clear error and keeps the memory byte-identical`, () => {
      const m = learnedBundled();
      const before = encodeSnapshot(m);
      expect(() => m.learn('x', seq as Sequence)).toThrow(re);
      expect(encodeSnapshot(m).equals(before)).toBe(true);
    });
  }

  it('names unknown titles, duplicate titles and empty fragments', () => {
    const m = learnedBundled();
    expect(() => m.recall('Nope')).toThrow(/unknown title 'Nope'/);
    expect(() => m.learn('Ode to Joy', melodies[0]!.sequence)).toThrow(/already learned/);
    expect(() => m.identify({ notes: [] })).toThrow(/fragment.*empty/);
    expect(() => m.complete({ notes: [] })).toThrow(/fragment.*empty/);
    expect(() => m.identify({ notes: [{ symbol: 60, duration: 1 }, { symbol: 62 }] })).toThrow(/durations/);
  });
});

describe('determinism (rule 5)', () => {
  it('the same input and seed give a byte-identical snapshot; another seed does not', () => {
    const a = encodeSnapshot(learnedBundled());
    const b = encodeSnapshot(learnedBundled());
    expect(a.equals(b)).toBe(true);
    const c = new SequenceMemory({ seed: 99 });
    for (const mel of melodies) c.learn(mel.title, mel.sequence);
    expect(encodeSnapshot(c).equals(a)).toBe(false);
  });

  it('room reserved for the notes to come changes nothing learned, and learning them needs no more', () => {
    const notes = melodies.reduce((a, mel) => a + mel.sequence.tracks.reduce((b, t) => b + t.notes.length, 0), 0);
    const m = new SequenceMemory();
    m.reserve(notes);
    const room = { post: m.net.synPost, group: m.net.neuronGroup };
    for (const mel of melodies) m.learn(mel.title, mel.sequence);
    expect(m.net.synPost).toBe(room.post);
    expect(m.net.neuronGroup).toBe(room.group);
    expect(encodeSnapshot(m).equals(encodeSnapshot(learnedBundled()))).toBe(true);
    expect(() => m.reserve(-1)).toThrow(/reserve/);
  });
});
