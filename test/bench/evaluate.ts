/**
 * Corpus evaluation shared by the benchmark (npm run bench) and the corpus tests: learning, exact
 * recall, fragment identification and continuation, tempo scaling. Ground truth (which pieces contain
 * a fragment) is computed here by brute force from the source files, never by the model.
 */
import { basename, dirname } from 'node:path';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { Fragment, Sequence, SequenceNote } from '../../src/memory/types.js';
import { readMidiFile, type MidiPiece } from '../../src/music/midi-reader.js';
import { Rng } from '../../src/snn/rng.js';

export interface CorpusPiece extends MidiPiece {
  /** Tracks sorted as the network orders notes: tick, then symbol, then duration. */
  sorted: SequenceNote[][];
}

export function loadCorpus(files: string[]): CorpusPiece[] {
  return files.map((f) => {
    const p = readMidiFile(f, `${basename(dirname(f))}/${basename(f).replace(/\.midi?$/i, '')}`);
    const sorted = p.sequence.tracks.map((t) => [...t.notes].sort((a, b) => a.tick - b.tick || a.symbol - b.symbol || a.duration - b.duration));
    return { ...p, sorted };
  });
}

export function learnAll(memory: SequenceMemory, pieces: CorpusPiece[]): number {
  const t = performance.now();
  // as `engram learn <folder>` does: room for every note at once
  memory.reserve(pieces.reduce((a, p) => a + p.sequence.tracks.reduce((b, tr) => b + tr.notes.length, 0), 0));
  for (const p of pieces) memory.learn(p.title, p.sequence);
  return (performance.now() - t) / 1000;
}

export interface ExactRecall {
  exact: number;
  total: number;
  seconds: number;
  /** Pieces with at least one wrong or missing note. */
  imperfect: string[];
}

/** Recalls every piece (all tracks) and counts notes equal to the source in pitch, onset tick and duration. */
export function exactRecall(memory: SequenceMemory, pieces: CorpusPiece[]): ExactRecall {
  let exact = 0;
  let total = 0;
  let seconds = 0;
  const imperfect: string[] = [];
  for (const p of pieces) {
    const t = performance.now();
    const r = memory.recall(p.title);
    seconds += (performance.now() - t) / 1000;
    let ok = 0;
    let n = 0;
    p.sorted.forEach((src, i) => {
      const got = r.tracks[i]!.notes;
      n += src.length;
      for (let k = 0; k < src.length; k++) {
        const g = got[k];
        const s = src[k]!;
        if (g && g.symbol === s.symbol && g.tick === s.tick && g.duration === s.duration) ok++;
      }
    });
    if (ok !== n || r.tracks.some((t, i) => t.notes.length !== p.sorted[i]!.length)) imperfect.push(p.title);
    exact += ok;
    total += n;
  }
  return { exact, total, seconds, imperfect };
}

/** Seconds from tick 0 to `tick` under a piece's tempo map. */
export function secondsAt(seq: Sequence, tick: number): number {
  const map = seq.timing!;
  let s = 0;
  for (let i = 0; i < map.length; i++) {
    const from = map[i]!.tick;
    if (from >= tick) break;
    const to = Math.min(tick, map[i + 1]?.tick ?? Infinity);
    s += (to - from) * map[i]!.secondsPerTick;
  }
  return s;
}

export interface FragmentCase {
  piece: number;
  title: string;
  track: number;
  start: number;
  length: number;
  notes: SequenceNote[];
  /** Played durations in seconds at 1x (from the tempo map). */
  seconds: number[];
  uniqueWithDurations: boolean;
  uniqueByPitch: boolean;
  /** Pieces containing it (ground truth by brute force). */
  piecesWithDurations: number;
  piecesByPitch: number;
}

/** `count` fragments per length from random positions of random tracks (seeded), with ground truth. */
export function makeFragments(pieces: CorpusPiece[], lengths: number[], count: number, seed = 1): FragmentCase[] {
  const rng = new Rng(seed);
  const cases: FragmentCase[] = [];
  for (const length of lengths) {
    const want = new Map<string, FragmentCase[]>();
    const wantP = new Map<string, FragmentCase[]>();
    for (let k = 0; k < count; k++) {
      let pi: number;
      let ti: number;
      do {
        pi = rng.int(pieces.length);
        ti = rng.int(pieces[pi]!.sorted.length);
      } while (pieces[pi]!.sorted[ti]!.length < length);
      const track = pieces[pi]!.sorted[ti]!;
      const start = rng.int(track.length - length + 1);
      const notes = track.slice(start, start + length);
      const seq = pieces[pi]!.sequence;
      const seconds = notes.map((n) => secondsAt(seq, n.tick + n.duration) - secondsAt(seq, n.tick));
      const c: FragmentCase = { piece: pi, title: pieces[pi]!.title, track: ti, start, length, notes, seconds, uniqueWithDurations: false, uniqueByPitch: false, piecesWithDurations: 0, piecesByPitch: 0 };
      cases.push(c);
      const kd = notes.map((n) => `${n.symbol}:${n.duration}`).join(' ');
      const kp = notes.map((n) => n.symbol).join(' ');
      (want.get(kd) ?? want.set(kd, []).get(kd)!).push(c);
      (wantP.get(kp) ?? wantP.set(kp, []).get(kp)!).push(c);
    }
    // which pieces contain each wanted window
    const foundD = new Map<string, Set<number>>();
    const foundP = new Map<string, Set<number>>();
    pieces.forEach((p, pi) => {
      for (const track of p.sorted) {
        for (let s = 0; s + length <= track.length; s++) {
          const w = track.slice(s, s + length);
          const kp = w.map((n) => n.symbol).join(' ');
          if (wantP.has(kp)) (foundP.get(kp) ?? foundP.set(kp, new Set()).get(kp)!).add(pi);
          const kd = w.map((n) => `${n.symbol}:${n.duration}`).join(' ');
          if (want.has(kd)) (foundD.get(kd) ?? foundD.set(kd, new Set()).get(kd)!).add(pi);
        }
      }
    });
    for (const [k, cs] of want) for (const c of cs) c.piecesWithDurations = foundD.get(k)!.size;
    for (const [k, cs] of wantP) for (const c of cs) c.piecesByPitch = foundP.get(k)!.size;
    for (const c of cases) {
      if (c.length !== length) continue;
      c.uniqueWithDurations = c.piecesWithDurations === 1;
      c.uniqueByPitch = c.piecesByPitch === 1;
    }
  }
  return cases;
}

export type FragmentMode = 'durations' | 'pitches';

export function toFragment(c: FragmentCase, mode: FragmentMode, tempo = 1): Fragment {
  return {
    notes: c.notes.map((n, i) => (mode === 'pitches' ? { symbol: n.symbol } : { symbol: n.symbol, duration: c.seconds[i]! / tempo })),
    unit: 'seconds',
  };
}

export interface FragmentScore {
  length: number;
  mode: FragmentMode;
  tempo: number;
  queries: number;
  unique: number;
  top1Unique: number;
  equalFirstAll: number;
  top1All: number;
  msMean: number;
  msP95: number;
  /** Continuation: notes equal to the source (pitch, relative onset, duration) / notes expected. */
  continuedExact?: number;
  continuedTotal?: number;
}

/** Identification (and optionally continuation) accuracy for one length, mode and tempo. */
export function scoreFragments(memory: SequenceMemory, pieces: CorpusPiece[], cases: FragmentCase[], mode: FragmentMode, tempo: number, continueNotes = 0): FragmentScore {
  const times: number[] = [];
  let unique = 0;
  let top1Unique = 0;
  let equalFirst = 0;
  let top1 = 0;
  let contExact = 0;
  let contTotal = 0;
  for (const c of cases) {
    const frag = toFragment(c, mode, tempo);
    const t = performance.now();
    const matches = memory.identify(frag);
    times.push(performance.now() - t);
    const isUnique = mode === 'pitches' ? c.uniqueByPitch : c.uniqueWithDurations;
    const first = matches[0];
    const right = first?.title === c.title;
    if (isUnique) {
      unique++;
      if (right) top1Unique++;
    }
    if (right) top1++;
    if (first && matches.some((m) => m.score === first.score && m.title === c.title)) equalFirst++;
    if (continueNotes > 0 && right) {
      const track = pieces[c.piece]!.sorted[c.track]!;
      const last = c.notes[c.notes.length - 1]!;
      const expected = track.slice(c.start + c.length, c.start + c.length + continueNotes);
      if (expected.length === 0) continue;
      const got = memory.complete(frag, { count: continueNotes }).notes;
      contTotal += expected.length;
      expected.forEach((e, i) => {
        const g = got[i];
        if (g && g.symbol === e.symbol && g.tick === e.tick - last.tick && g.duration === e.duration) contExact++;
      });
    }
  }
  times.sort((a, b) => a - b);
  return {
    length: cases[0]?.length ?? 0,
    mode,
    tempo,
    queries: cases.length,
    unique,
    top1Unique,
    equalFirstAll: equalFirst,
    top1All: top1,
    msMean: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
    msP95: times[Math.floor(times.length * 0.95)] ?? 0,
    ...(continueNotes > 0 ? { continuedExact: contExact, continuedTotal: contTotal } : {}),
  };
}

/** Largest relative deviation of (IOI at tempo x) * x / (IOI at 1x) from 1, over the given pieces. */
export function tempoDeviation(memory: SequenceMemory, titles: string[], tempo: number): number {
  let worst = 0;
  for (const title of titles) {
    const a = memory.recall(title, { tempo: 1 });
    const b = memory.recall(title, { tempo });
    a.tracks.forEach((t, ti) => {
      const x = t.notes;
      const y = b.tracks[ti]!.notes;
      for (let i = 1; i < x.length; i++) {
        if (x[i]!.tick === x[i - 1]!.tick) continue;
        const ioiA = x[i]!.time - x[i - 1]!.time;
        const ioiB = y[i]!.time - y[i - 1]!.time;
        worst = Math.max(worst, Math.abs((ioiB * tempo) / ioiA - 1));
      }
    });
  }
  return worst;
}
