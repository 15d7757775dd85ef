import { describe, expect, it } from 'vitest';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { SequenceNote } from '../../src/memory/types.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { sortNotes } from '../helpers/score.js';

const melodies = bundledMelodies();
const memory = new SequenceMemory();
for (const x of melodies) memory.learn(x.title, x.sequence);
const minuet = melodies.find((x) => x.title === 'Minuet in G')!;
const spt = minuet.sequence.timing![0]!.secondsPerTick;
const [right, left] = minuet.sequence.tracks.map((t) => sortNotes(t.notes)) as [SequenceNote[], SequenceNote[]];

/** Notes of a track as played at `speed` times the piece's tempo: durations in seconds. */
const played = (notes: SequenceNote[], speed: number) => notes.map((n) => ({ symbol: n.symbol, duration: (n.duration * spt) / speed }));
/** Gaps between successive onsets, s. */
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('complete: the piece from the place found, every track, at the player tempo', () => {
  it('a fragment played in another key is named with its transposition and continued in that key, both hands', () => {
    const up = 3;
    const c = memory.complete({ notes: played(right.slice(6, 14), 1).map((n) => ({ ...n, symbol: n.symbol + up })), unit: 'seconds' }, { count: 8 });
    expect(c.match!.title).toBe('Minuet in G');
    expect(c.match!.transposition).toBe(up);
    expect(c.transposition).toBe(up);
    const last = right[13]!;
    const [rh, lh] = c.tracks!;
    expect(rh!.notes.map((n) => [n.symbol, n.tick])).toEqual(right.slice(14, 22).map((n) => [n.symbol + up, n.tick - last.tick]));
    const end = right[21]!.tick;
    expect(lh!.notes.map((n) => n.symbol)).toEqual(left.filter((n) => n.tick > last.tick && n.tick <= end).map((n) => n.symbol + up));
    // in its own key: no transposition, the piece's notes
    const own = memory.complete({ notes: played(right.slice(6, 14), 1), unit: 'seconds' }, { count: 8 });
    expect(own.match!.transposition).toBeUndefined();
    expect(own.transposition).toBe(0);
  });

  it('a fragment played at 1.5x continues at 1.5x with both hands, the next notes of the piece', () => {
    const c = memory.complete({ notes: played(right.slice(6, 14), 1.5), unit: 'seconds' }, { count: 8 });
    expect(c.match!.title).toBe('Minuet in G');
    expect(c.tempoSource).toBe('player');
    expect(c.playerTempo).toBeCloseTo(1.5, 2);
    expect(c.tempo).toBeCloseTo(1.5, 2);
    const last = right[13]!;
    expect(c.place).toEqual({ track: 0, tick: last.tick, secondsPerTick: spt });
    // every track of the piece joins in
    expect(c.tracks!.map((t) => t.name)).toEqual(['right hand', 'left hand']);
    const [rh, lh] = c.tracks!;
    const nextRight = right.slice(14, 22);
    expect(rh!.notes.map((n) => [n.symbol, n.tick, n.duration])).toEqual(nextRight.map((n) => [n.symbol, n.tick - last.tick, n.duration]));
    expect(c.notes).toEqual(rh!.notes);
    const end = nextRight[nextRight.length - 1]!.tick;
    const nextLeft = left.filter((n) => n.tick > last.tick && n.tick <= end);
    expect(nextLeft.length).toBeGreaterThan(0);
    expect(lh!.notes.map((n) => [n.symbol, n.tick - 0, n.duration])).toEqual(nextLeft.map((n) => [n.symbol, n.tick - last.tick, n.duration]));
    // onset gaps (from the player's last note on) are the piece's at 1.5x, within a pacemaker pulse
    const pulse = spt / 1.5;
    const want = gaps([0, ...nextRight.map((n) => ((n.tick - last.tick) * spt) / 1.5)]);
    gaps([0, ...rh!.notes.map((n) => n.time)]).forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(2 * pulse));
    lh!.notes.forEach((n, i) => expect(Math.abs(n.time - ((nextLeft[i]!.tick - last.tick) * spt) / 1.5)).toBeLessThan(2 * pulse));
    // and the same fragment at 0.75x continues at 0.75x
    const slow = memory.complete({ notes: played(right.slice(6, 14), 0.75), unit: 'seconds' }, { count: 8 });
    expect(slow.tempo).toBeCloseTo(0.75, 2);
    expect(slow.tracks![0]!.notes[0]!.time).toBeCloseTo((nextRight[0]!.tick - last.tick) * spt / 0.75, 2);
  });

  it('says where its tempo came from: the piece (no timing), the caller, the player', () => {
    const pitches = { notes: right.slice(6, 14).map((n) => ({ symbol: n.symbol })) };
    const byPiece = memory.complete(pitches, { count: 4 });
    expect([byPiece.tempo, byPiece.tempoSource, byPiece.playerTempo]).toEqual([1, 'piece', null]);
    const asked = memory.complete({ notes: played(right.slice(6, 14), 1.5), unit: 'seconds' }, { count: 4, tempo: 0.5 });
    expect([asked.tempo, asked.tempoSource]).toEqual([0.5, 'asked']);
    expect(asked.playerTempo).toBeCloseTo(1.5, 2);
  });

  it('a fragment of the left hand brings the right hand in; the tempo holds through a wrong note', () => {
    const frag = played(left.slice(2, 12), 2);
    frag[4] = { ...frag[4]!, symbol: frag[4]!.symbol + 1 };
    const c = memory.complete({ notes: frag, unit: 'seconds' }, { count: 4 });
    expect(c.match!.title).toBe('Minuet in G');
    expect(c.place!.track).toBe(1);
    expect(c.tempo).toBeCloseTo(2, 2);
    const at = c.place!.tick;
    expect(c.tracks![0]!.notes.map((n) => n.symbol)).toEqual(right.filter((n) => n.tick > at && n.tick <= at + c.tracks![1]!.notes.at(-1)!.tick).map((n) => n.symbol));
  });

  it('follows the tempo map from the place on, scaled to the player', () => {
    const m = new SequenceMemory();
    const notes = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76].map((symbol, i) => ({ symbol, tick: i * 100, duration: 100 }));
    // the piece slows to half speed from its 7th note on
    m.learn('ritardando', { tracks: [{ notes }], timing: [{ tick: 0, secondsPerTick: 0.002 }, { tick: 600, secondsPerTick: 0.004 }] });
    const c = m.complete({ notes: notes.slice(0, 4).map((n) => ({ symbol: n.symbol, duration: 0.1 })), unit: 'seconds' }, { count: 6 });
    expect(c.tempo).toBeCloseTo(2, 2); // 0.2 s notes played in 0.1 s
    const times = c.tracks![0]!.notes.map((n) => n.time);
    // 0.1 s per note up to the 7th, 0.2 s after
    const want = [0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
    times.forEach((t, i) => expect(t).toBeCloseTo(want[i]!, 2));
  });
});
