import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { encodeMidi, parseMidi, readMidiFile, recallToMidi, bundledMelodies, parseMelody, parsePitch, pitchName, parseDuration } from '../../src/music/index.js';
import { corpusDir, corpusFiles } from '../bench/corpus.js';
import { sortNotes } from '../helpers/score.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-midi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const twoTracks = encodeMidi(
  [
    { name: 'right', notes: [{ pitch: 64, tick: 0, duration: 240 }, { pitch: 67, tick: 0, duration: 480 }, { pitch: 72, tick: 480, duration: 160 }] },
    { name: 'left', notes: [{ pitch: 48, tick: 0, duration: 960 }] },
  ],
  480,
  [{ tick: 0, secondsPerTick: 0.5 / 480 }, { tick: 480, secondsPerTick: 0.25 / 480 }],
);

describe('MIDI reading', () => {
  it('reads tracks, chords, durations and the tempo map', () => {
    const p = parseMidi(twoTracks, 'two.mid');
    expect(p.sequence.tracks.map((t) => t.name)).toEqual(['right', 'left']);
    expect(sortNotes(p.sequence.tracks[0]!.notes)).toEqual([
      { symbol: 64, tick: 0, duration: 240 },
      { symbol: 67, tick: 0, duration: 480 },
      { symbol: 72, tick: 480, duration: 160 },
    ]);
    expect(p.sequence.timing!.map((s) => [s.tick, +(s.secondsPerTick * 480).toFixed(6)])).toEqual([[0, 0.5], [480, 0.25]]);
    expect(p.quantisation.maxErrorTicks).toBe(0);
  });

  it('resamples files finer than 960 ticks per quarter and reports the error', () => {
    const fine = encodeMidi([{ name: 't', notes: [{ pitch: 60, tick: 3, duration: 1921 }] }], 1920, [{ tick: 0, secondsPerTick: 0.5 / 1920 }]);
    const p = parseMidi(fine, 'fine.mid');
    expect(p.quantisation).toMatchObject({ sourcePpq: 1920, ppq: 960 });
    expect(p.quantisation.maxErrorTicks).toBe(1);
    expect(p.sequence.tracks[0]!.notes[0]).toEqual({ symbol: 60, tick: 2, duration: 960 });
  });

  const bad: Array<[string, Buffer | string, RegExp]> = [
    ['text.mid', 'this is not a midi file at all', /text.mid: is not a MIDI file/],
    ['cut.mid', twoTracks.subarray(0, twoTracks.length - 20), /cut.mid: is truncated/],
    ['header.mid', twoTracks.subarray(0, 14), /header.mid: is truncated: header announces 3 tracks, found 0/],
    ['empty.mid', encodeMidi([{ name: 'silent', notes: [] }], 480, [{ tick: 0, secondsPerTick: 0.001 }]), /empty.mid: contains no notes/],
  ];
  for (const [name, bytes, re] of bad) {
    it(`rejects ${name} with an error naming it`, () => {
      const f = join(dir, name);
      writeFileSync(f, bytes);
      expect(() => readMidiFile(f)).toThrow(re);
    });
  }
  it('names a missing file', () => expect(() => readMidiFile(join(dir, 'nope.mid'))).toThrow(/nope.mid: cannot be read/));
});

describe('recalled pieces back to MIDI', () => {
  it('a recalled piece written as MIDI reads back as the source, at any tempo', () => {
    const m = new SequenceMemory();
    const src = parseMidi(twoTracks, 'two.mid');
    m.learn('two', src.sequence);
    for (const tempo of [1, 2]) {
      const out = join(dir, `out-${tempo}.mid`);
      writeFileSync(out, recallToMidi(m.recall('two', { tempo })));
      const back = readMidiFile(out);
      expect(back.sequence.tracks.map((t) => sortNotes(t.notes))).toEqual(src.sequence.tracks.map((t) => sortNotes(t.notes)));
      expect(back.sequence.timing![0]!.secondsPerTick).toBeCloseTo(src.sequence.timing![0]!.secondsPerTick / tempo, 9);
    }
  });

  const corpus = corpusDir();
  it.skipIf(!corpus)('round-trips a corpus piece through learn, recall and the MIDI writer', () => {
    const file = corpusFiles(corpus!)[0]!;
    const piece = readMidiFile(file);
    const m = new SequenceMemory();
    m.learn(piece.title, piece.sequence);
    const out = join(dir, 'corpus-out.mid');
    writeFileSync(out, recallToMidi(m.recall(piece.title)));
    const back = readMidiFile(out);
    expect(back.sequence.tracks.map((t) => sortNotes(t.notes))).toEqual(piece.sequence.tracks.map((t) => sortNotes(t.notes)));
    expect(readFileSync(out).length).toBeGreaterThan(100);
  });
});

describe('notation and pitch names', () => {
  it('parses pitch names and durations (dotted, triplets)', () => {
    expect([parsePitch('C4'), parsePitch('C#4'), parsePitch('Db4'), parsePitch('B3'), parsePitch('A0'), parsePitch('H2')]).toEqual([60, 61, 61, 59, 21, null]);
    expect(pitchName(63)).toBe('D#4');
    expect([parseDuration('q'), parseDuration('q.'), parseDuration('e3'), parseDuration('s'), parseDuration('x')]).toEqual([480, 720, 160, 120, null]);
  });

  it('bundles at least ten public-domain melodies that parse', () => {
    const all = bundledMelodies();
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const m of all) {
      expect(m.composer).toMatch(/public domain/);
      expect(m.sequence.tracks.every((t) => t.notes.length > 0)).toBe(true);
    }
  });

  it('reports bad melody text with file and line', () => {
    expect(() => parseMelody('title: x\ntrack: a\nC4:q X9:q', 'bad.txt')).toThrow(/bad.txt:3: bad pitch 'X9'/);
    expect(() => parseMelody('title: x\ntrack: a\nC4:z', 'bad.txt')).toThrow(/bad.txt:3: bad duration/);
    expect(() => parseMelody('track: a\nC4:q', 'bad.txt')).toThrow(/missing "title:"/);
  });
});
