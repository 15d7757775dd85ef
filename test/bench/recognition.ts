/**
 * Issue 10: recognition of fragments the way people play them, on the corpus, side by side with a plain
 * music-IR baseline written here (an interval 3-gram index over every track and its top line, then an
 * edit-distance alignment of intervals on the best 50 candidates). Seeded; ground truth (the piece a
 * fragment was cut from, and that its notes occur in no other piece) by brute force from the source
 * files, never by the model.
 */
import { hugePagesReport } from '../../src/agent/huge-pages.js';
import type { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { Fragment, Sequence, SequenceNote } from '../../src/memory/types.js';
import { Rng } from '../../src/snn/rng.js';
import { secondsAt, type CorpusPiece } from './evaluate.js';

/** How a fragment is cut from a track: its notes as sequenced (chords in pitch order), or its top line. */
export type View = 'sequenced' | 'top line';

/** A way people play a fragment. */
export type Condition = 'exact' | 'transposed' | 'one wrong note' | 'one note left out' | 'one extra note' | 'jitter 0.1' | 'jitter 0.2' | 'tempo 0.5x' | 'tempo 2x' | 'human';

export const CONDITIONS: Condition[] = ['exact', 'transposed', 'one wrong note', 'one note left out', 'one extra note', 'jitter 0.1', 'jitter 0.2', 'tempo 0.5x', 'tempo 2x', 'human'];

/** One note as played: pitch and how long it sounded, s. */
interface Played {
  pitch: number;
  seconds: number;
}

/** A track's notes in one view, with each note's sounding time at 1x, s. */
interface Line {
  piece: number;
  pitches: Int16Array;
  seconds: Float64Array;
}

/** The highest note of each onset: what a listener hears as the melody of a chordal track. */
function topLine(notes: SequenceNote[]): SequenceNote[] {
  const out: SequenceNote[] = [];
  for (const n of notes) {
    const last = out[out.length - 1];
    if (last && last.tick === n.tick) {
      if (n.symbol > last.symbol) out[out.length - 1] = n;
    } else out.push(n);
  }
  return out;
}

function lineOf(piece: number, seq: Sequence, notes: SequenceNote[]): Line {
  return {
    piece,
    pitches: Int16Array.from(notes, (n) => n.symbol),
    seconds: Float64Array.from(notes, (n) => secondsAt(seq, n.tick + n.duration) - secondsAt(seq, n.tick)),
  };
}

/** Every track of every piece in both views. */
export function corpusLines(pieces: CorpusPiece[]): { sequenced: Line[]; top: Line[] } {
  const sequenced: Line[] = [];
  const top: Line[] = [];
  pieces.forEach((p, pi) => {
    for (const track of p.sorted) {
      if (track.length === 0) continue;
      sequenced.push(lineOf(pi, p.sequence, track));
      top.push(lineOf(pi, p.sequence, topLine(track)));
    }
  });
  return { sequenced, top };
}

/** Which pieces hold a pitch sequence (consecutive notes, either view): an index on the first three pitches. */
export class ExactIndex {
  readonly #lines: Line[];
  readonly #buckets = new Map<number, number[]>();
  constructor(lines: Line[]) {
    this.#lines = lines;
    lines.forEach((l, li) => {
      for (let i = 0; i + 3 <= l.pitches.length; i++) {
        const key = (l.pitches[i]! << 14) | (l.pitches[i + 1]! << 7) | l.pitches[i + 2]!;
        let b = this.#buckets.get(key);
        if (!b) this.#buckets.set(key, (b = []));
        b.push(li, i);
      }
    });
  }

  /** The pieces holding `pitches` (at least 3 notes). */
  pieces(pitches: ArrayLike<number>): Set<number> {
    const found = new Set<number>();
    const key = (pitches[0]! << 14) | (pitches[1]! << 7) | pitches[2]!;
    const b = this.#buckets.get(key) ?? [];
    for (let k = 0; k < b.length; k += 2) {
      const l = this.#lines[b[k]!]!;
      const at = b[k + 1]!;
      if (at + pitches.length > l.pitches.length || found.has(l.piece)) continue;
      let same = true;
      for (let j = 3; j < pitches.length && same; j++) same = l.pitches[at + j] === pitches[j];
      if (same) found.add(l.piece);
    }
    return found;
  }
}

/** Every line as its pitch steps (offset to stay positive): an ExactIndex over these finds a melody in any key. */
export function intervalLines(lines: Line[]): Line[] {
  return lines.map((l) => {
    const steps = new Int16Array(Math.max(0, l.pitches.length - 1));
    for (let i = 0; i < steps.length; i++) steps[i] = stepCode(l.pitches[i + 1]! - l.pitches[i]!);
    return { piece: l.piece, pitches: steps, seconds: l.seconds };
  });
}

/** A pitch step as a positive 7-bit code (steps beyond an octave and a half share the end codes). */
const stepCode = (d: number) => Math.max(1, Math.min(127, d + 64));

/** A fragment cut from the corpus, unique to its piece, before it is played in some condition. */
export interface SourceFragment {
  piece: number;
  title: string;
  view: View;
  notes: Played[];
  /**
   * Whether its steps occur in no other piece either (in any key): a transposed fragment is
   * attributable only then; otherwise it is as much another piece's passage moved to this key.
   */
  uniqueInAnyKey: boolean;
}

/** `count` fragments of `length` notes per view, each occurring in exactly one piece (seeded). */
export function uniqueFragments(pieces: CorpusPiece[], lines: { sequenced: Line[]; top: Line[] }, index: ExactIndex, length: number, count: number, seed: number, steps?: ExactIndex): SourceFragment[] {
  const rng = new Rng(seed);
  const out: SourceFragment[] = [];
  for (const view of ['sequenced', 'top line'] as View[]) {
    const pool = (view === 'sequenced' ? lines.sequenced : lines.top).filter((l) => l.pitches.length >= length);
    let got = 0;
    for (let tries = 0; got < count && tries < count * 50; tries++) {
      const l = pool[rng.int(pool.length)]!;
      const at = rng.int(l.pitches.length - length + 1);
      const pitches = l.pitches.subarray(at, at + length);
      const holders = index.pieces(pitches);
      if (holders.size !== 1) continue;
      const notes = Array.from(pitches, (p, j) => ({ pitch: p, seconds: Math.max(0.02, l.seconds[at + j]!) }));
      const codes = Array.from(pitches.subarray(1), (p, j) => stepCode(p - pitches[j]!));
      const uniqueInAnyKey = steps ? [...steps.pieces(codes)].every((x) => x === l.piece) : false;
      out.push({ piece: l.piece, title: pieces[l.piece]!.title, view, notes, uniqueInAnyKey });
      got++;
    }
  }
  return out;
}

function gaussian(rng: Rng): number {
  const u = Math.max(1e-12, rng.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

const clampPitch = (p: number) => Math.max(0, Math.min(127, p));

/** A pitch near `p` and not `p` (a slip of the hand: 1 to 5 semitones away). */
function wrongPitch(rng: Rng, p: number): number {
  const d = (1 + rng.int(5)) * (rng.next() < 0.5 ? -1 : 1);
  const q = clampPitch(p + d);
  return q === p ? clampPitch(p - d) : q;
}

/** The fragment as played in `condition` (seeded per fragment). */
export function play(f: SourceFragment, condition: Condition, rng: Rng): Played[] {
  let notes = f.notes.map((n) => ({ ...n }));
  const substitute = () => {
    const i = rng.int(notes.length);
    notes[i]!.pitch = wrongPitch(rng, notes[i]!.pitch);
  };
  const remove = () => notes.splice(rng.int(notes.length), 1);
  const insert = () => {
    const i = rng.int(notes.length + 1);
    const near = notes[Math.min(i, notes.length - 1)]!;
    notes.splice(i, 0, { pitch: wrongPitch(rng, near.pitch), seconds: near.seconds });
  };
  const jitter = (sigma: number) => notes.forEach((n) => (n.seconds *= Math.exp(sigma * gaussian(rng))));
  const tempo = (x: number) => notes.forEach((n) => (n.seconds /= x));
  switch (condition) {
    case 'exact':
      break;
    case 'transposed': {
      let k = (1 + rng.int(12)) * (rng.next() < 0.5 ? -1 : 1);
      const lo = Math.min(...notes.map((n) => n.pitch));
      const hi = Math.max(...notes.map((n) => n.pitch));
      if (hi + k > 127 || lo + k < 0) k = -k;
      notes = notes.map((n) => ({ ...n, pitch: clampPitch(n.pitch + k) }));
      break;
    }
    case 'one wrong note':
      substitute();
      break;
    case 'one note left out':
      remove();
      break;
    case 'one extra note':
      insert();
      break;
    case 'jitter 0.1':
      jitter(0.1);
      break;
    case 'jitter 0.2':
      jitter(0.2);
      break;
    case 'tempo 0.5x':
      tempo(0.5);
      break;
    case 'tempo 2x':
      tempo(2);
      break;
    case 'human':
      tempo(Math.exp(rng.uniform(Math.log(0.8), Math.log(1.25))));
      jitter(0.1);
      if (rng.next() < 0.5) (rng.next() < 0.5 ? substitute : remove)();
      break;
  }
  return notes;
}

/**
 * The baseline a music-IR engineer writes in an afternoon: every track and its top line as pitch
 * intervals; an inverted index of interval 3-grams (2-grams for fragments too short or too damaged to
 * have a 3-gram in common) picks the 50 pieces with the most hits; the fragment's intervals are then
 * aligned (edit distance, free start and end) around each hit of those pieces; the cheapest alignment
 * ranks the piece, more hits break ties.
 */
export class IntervalBaseline {
  readonly #lines: Line[];
  readonly #intervals: Int16Array[];
  readonly #grams3 = new Map<number, number[]>();
  readonly #grams2 = new Map<number, number[]>();
  readonly #pieces: number;

  constructor(lines: Line[], pieces: number) {
    this.#lines = lines;
    this.#pieces = pieces;
    this.#intervals = lines.map((l) => {
      const iv = new Int16Array(Math.max(0, l.pitches.length - 1));
      for (let i = 0; i < iv.length; i++) iv[i] = l.pitches[i + 1]! - l.pitches[i]!;
      return iv;
    });
    this.#intervals.forEach((iv, li) => {
      for (let i = 0; i + 2 <= iv.length; i++) push(this.#grams2, gram(iv, i, 2), li, i);
      for (let i = 0; i + 3 <= iv.length; i++) push(this.#grams3, gram(iv, i, 3), li, i);
    });
  }

  /** Piece indices, best first (at most `limit`). */
  rank(pitches: number[], limit = 10): number[] {
    const q = new Int16Array(Math.max(0, pitches.length - 1));
    for (let i = 0; i < q.length; i++) q[i] = pitches[i + 1]! - pitches[i]!;
    // votes per diagonal (a line and where the fragment would start in it): n-grams that agree on a place
    const votes = new Map<number, number>();
    const collect = (n: number, grams: Map<number, number[]>) => {
      for (let i = 0; i + n <= q.length; i++) {
        const b = grams.get(gram(q, i, n));
        if (!b || b.length > 2 * STOP_GRAM) continue; // as common as a stop word: says nothing
        for (let k = 0; k < b.length; k += 2) {
          const key = b[k]! * DIAGONALS + (b[k + 1]! - i + 64);
          votes.set(key, (votes.get(key) ?? 0) + 1);
        }
      }
    };
    if (q.length >= 3) collect(3, this.#grams3);
    if (votes.size === 0 && q.length >= 2) collect(2, this.#grams2);
    // each piece's best places, the 50 pieces with the best
    const best = new Map<number, Array<[number, number]>>();
    for (const [key, v] of votes) {
      const piece = this.#lines[Math.floor(key / DIAGONALS)]!.piece;
      const list = best.get(piece) ?? best.set(piece, []).get(piece)!;
      list.push([v, key]);
    }
    const top = (xs: Array<[number, number]>) => xs.reduce((m, x) => Math.max(m, x[0]), 0);
    const candidates = [...best.keys()].sort((a, b) => top(best.get(b)!) - top(best.get(a)!) || a - b).slice(0, 50);
    const scored = candidates.map((piece) => {
      const places = best.get(piece)!.sort((a, b) => b[0] - a[0]).slice(0, 5);
      let cost = Infinity;
      for (const [, key] of places) cost = Math.min(cost, this.#align(q, this.#intervals[Math.floor(key / DIAGONALS)]!, (key % DIAGONALS) - 64));
      return { piece, cost, votes: places[0]![0] };
    });
    scored.sort((a, b) => a.cost - b.cost || b.votes - a.votes || a.piece - b.piece);
    return scored.slice(0, Math.min(limit, this.#pieces)).map((s) => s.piece);
  }

  /** Edit distance of the query intervals to the best substring of `iv` near `start` (free ends). */
  #align(q: Int16Array, iv: Int16Array, start: number): number {
    const from = Math.max(0, start - 3);
    const to = Math.min(iv.length, start + q.length + 3);
    const m = q.length;
    let prev = new Float64Array(m + 1);
    let cur = new Float64Array(m + 1);
    for (let i = 0; i <= m; i++) prev[i] = i;
    let best = prev[m]!;
    for (let t = from; t < to; t++) {
      cur[0] = 0;
      for (let i = 1; i <= m; i++) {
        const sub = prev[i - 1]! + (q[i - 1] === iv[t] ? 0 : 1);
        cur[i] = Math.min(sub, prev[i]! + 1, cur[i - 1]! + 1);
      }
      best = Math.min(best, cur[m]!);
      [prev, cur] = [cur, prev];
    }
    return best;
  }
}

/** Diagonal keys: line * DIAGONALS + start + 64. */
const DIAGONALS = 1 << 20;
/** An n-gram with more places than this in the corpus is skipped as a stop word. */
const STOP_GRAM = 20000;

function gram(iv: Int16Array, i: number, n: number): number {
  let k = 0;
  for (let j = 0; j < n; j++) k = k * 97 + (Math.max(-48, Math.min(48, iv[i + j]!)) + 48);
  return k;
}

function push(m: Map<number, number[]>, key: number, line: number, at: number): void {
  const b = m.get(key);
  if (b) b.push(line, at);
  else m.set(key, [line, at]);
}

/** Top-1, top-10 and mean reciprocal rank (over the top 10) of one method on one row. */
export interface RankScore {
  queries: number;
  top1: number;
  top10: number;
  mrr: number;
  msMean: number;
  msP95: number;
}

export interface RecognitionRow {
  condition: Condition;
  length: number;
  view: View;
  engram: RankScore;
  baseline: RankScore;
  /** Top-1 over the fragments unique in any key (see SourceFragment.uniqueInAnyKey): queries, engram, baseline. */
  anyKey: { queries: number; engram: number; baseline: number };
  /**
   * The fragments that, as played, are another piece's passage note for note (transposed onto it):
   * how many, how often engram names that piece (the original key ranks first, so it should), and
   * how often the piece it was taken from.
   */
  asWrittenElsewhere: { queries: number; namedThere: number; namedOwn: number };
}

function score(ranks: number[], times: number[]): RankScore {
  const n = ranks.length;
  const sorted = [...times].sort((a, b) => a - b);
  return {
    queries: n,
    top1: ranks.filter((r) => r === 1).length / Math.max(1, n),
    top10: ranks.filter((r) => r >= 1 && r <= 10).length / Math.max(1, n),
    mrr: ranks.reduce((s, r) => s + (r >= 1 ? 1 / r : 0), 0) / Math.max(1, n),
    msMean: times.reduce((a, b) => a + b, 0) / Math.max(1, n),
    msP95: sorted[Math.floor(n * 0.95)] ?? 0,
  };
}

/** The fragment as the memory takes it: pitches and durations as played, in seconds. */
export function asFragment(notes: Played[]): Fragment {
  return { notes: notes.map((n) => ({ symbol: n.pitch, duration: n.seconds })), unit: 'seconds' };
}

/** 1-based rank of `title` among the memory's answers (0 when not in its top 10), and the time it took. */
function engramRank(memory: SequenceMemory, notes: Played[], title: string): [number, number, string | undefined] {
  const t = performance.now();
  const matches = memory.identify(asFragment(notes), { limit: 10 });
  const ms = performance.now() - t;
  return [matches.findIndex((m) => m.title === title) + 1, ms, matches[0]?.title];
}

export interface RecognitionOptions {
  lengths?: number[];
  perRow?: number;
  conditions?: Condition[];
  seed?: number;
  /** Called after each row (progress). */
  onRow?: (row: RecognitionRow) => void;
}

/**
 * The realistic-fragment protocol: for each length, `perRow` unique fragments per view, each played in
 * every condition (seeded), asked of the memory and of the baseline.
 */
export function recognitionProtocol(memory: SequenceMemory, pieces: CorpusPiece[], options: RecognitionOptions = {}): RecognitionRow[] {
  const lengths = options.lengths ?? [4, 6, 8, 12, 16];
  const perRow = options.perRow ?? 250;
  const conditions = options.conditions ?? CONDITIONS;
  const seed = options.seed ?? 10;
  const lines = corpusLines(pieces);
  const index = new ExactIndex([...lines.sequenced, ...lines.top]);
  const steps = new ExactIndex(intervalLines([...lines.sequenced, ...lines.top]));
  const baseline = new IntervalBaseline([...lines.sequenced, ...lines.top], pieces.length);
  const rows: RecognitionRow[] = [];
  for (const length of lengths) {
    const fragments = uniqueFragments(pieces, lines, index, length, perRow, seed * 1000 + length, steps);
    for (const view of ['sequenced', 'top line'] as View[]) {
      const mine = fragments.filter((f) => f.view === view);
      for (const condition of conditions) {
        const rng = new Rng(seed * 7919 + length * 131 + CONDITIONS.indexOf(condition) * 17 + (view === 'top line' ? 1 : 0));
        const eRanks: number[] = [];
        const eTimes: number[] = [];
        const bRanks: number[] = [];
        const bTimes: number[] = [];
        const asWrittenElsewhere = { queries: 0, namedThere: 0, namedOwn: 0 };
        for (const f of mine) {
          const played = play(f, condition, rng);
          const [r, ms, top] = engramRank(memory, played, f.title);
          const there = condition === 'transposed' ? [...index.pieces(Int16Array.from(played, (n) => n.pitch))].filter((x) => x !== f.piece) : [];
          if (there.length > 0) {
            asWrittenElsewhere.queries++;
            if (there.some((x) => pieces[x]!.title === top)) asWrittenElsewhere.namedThere++;
            if (r === 1) asWrittenElsewhere.namedOwn++;
          }
          eRanks.push(r);
          eTimes.push(ms);
          const t = performance.now();
          const ranked = baseline.rank(played.map((n) => n.pitch), 10);
          bTimes.push(performance.now() - t);
          bRanks.push(ranked.indexOf(f.piece) + 1);
        }
        const anyKey = { queries: 0, engram: 0, baseline: 0 };
        mine.forEach((f, i) => {
          if (!f.uniqueInAnyKey) return;
          anyKey.queries++;
          if (eRanks[i] === 1) anyKey.engram++;
          if (bRanks[i] === 1) anyKey.baseline++;
        });
        const row = { condition, length, view, engram: score(eRanks, eTimes), baseline: score(bRanks, bTimes), anyKey, asWrittenElsewhere };
        rows.push(row);
        options.onRow?.(row);
      }
    }
  }
  return rows;
}

/** Queries run before identify latency is timed. */
const WARM_UP = 200;

/**
 * Identify latency over `count` unique exact fragments of 8 notes (the figure issue 10 sets bounds on),
 * after a warm-up: each asked once, as a user would (`msMean`, `msP95`), then at once twice more, the
 * faster of the two kept (`again`): the same work with what it touches in the CPU's caches, so the
 * two say how much of a larger memory's latency is more work and how much is memory traffic.
 */
export function identifyLatency(memory: SequenceMemory, pieces: CorpusPiece[], count: number, seed = 3): { msMean: number; msP95: number; queries: number; again: { msMean: number; msP95: number } } {
  const lines = corpusLines(pieces);
  const index = new ExactIndex([...lines.sequenced, ...lines.top]);
  const fragments = uniqueFragments(pieces, lines, index, 8, Math.ceil(count / 2), seed);
  // a long-lived agent answers warm: other fragments first, so compiling the code and settling the
  // heap after learning are not timed as queries
  for (const f of uniqueFragments(pieces, lines, index, 8, Math.ceil(WARM_UP / 2), seed + 1)) engramRank(memory, f.notes, f.title);
  const times: number[] = [];
  const again: number[] = [];
  for (const f of fragments) {
    times.push(engramRank(memory, f.notes, f.title)[1]);
    again.push(Math.min(engramRank(memory, f.notes, f.title)[1], engramRank(memory, f.notes, f.title)[1]));
  }
  const s = score(times.map(() => 1), times);
  const a = score(again.map(() => 1), again);
  return { msMean: s.msMean, msP95: s.msP95, queries: times.length, again: { msMean: a.msMean, msP95: a.msP95 } };
}

/** The corpus as new titles, every note moved by `semitones` (for a memory of several times the notes). */
export function transposedCopy(p: CorpusPiece, semitones: number): { title: string; sequence: Sequence } {
  return {
    title: `${p.title} (${semitones > 0 ? '+' : ''}${semitones})`,
    sequence: {
      ...p.sequence,
      tracks: p.sequence.tracks.map((t) => ({ ...t, notes: t.notes.map((n) => ({ ...n, symbol: clampPitch(n.symbol + semitones) })) })),
    },
  };
}

/**
 * Prints the protocol's tables (issue 10, acceptance 1 and 2): top-1, top-10 and MRR per condition and
 * length for each view, engram beside the baseline, then identify latency on the corpus and on a memory
 * of four times the notes.
 */
export function reportRecognition(memory: SequenceMemory, pieces: CorpusPiece[], options: { perRow: number; lengths?: number[]; latencyQueries: number; learn: (m: SequenceMemory) => void; fresh: () => SequenceMemory }, line: (s?: string) => void): void {
  const lengths = options.lengths ?? [4, 6, 8, 12, 16];
  line(`== Recognition as people play (issue 10): ${options.perRow} fragments per view, length and condition, each in exactly one piece; engram / baseline (interval 3-grams + alignment); transposed rows also over the fragments whose steps occur in no other piece in any key`);
  const p = (x: number) => `${(100 * x).toFixed(1).padStart(5)}%`;
  // latency on a corpus memory learned here, as fresh as the larger memory after it (learned, then 200
  // queries each): the memory passed in may have answered thousands already (the default run's fragment
  // section), and a warmer memory beside a fresh one would time the warm-up, not the size
  let fresh: SequenceMemory | null = options.fresh();
  options.learn(fresh);
  const lat = identifyLatency(fresh, pieces, options.latencyQueries);
  fresh = null;
  // 0 fragments per row: latency only
  const rows = options.perRow === 0 ? [] : recognitionProtocol(memory, pieces, {
    lengths,
    perRow: options.perRow,
    onRow: (r) =>
      line(
        `${r.view.padEnd(9)} ${String(r.length).padStart(2)} notes  ${r.condition.padEnd(17)} top-1 ${p(r.engram.top1)} / ${p(r.baseline.top1)}   top-10 ${p(r.engram.top10)} / ${p(r.baseline.top10)}   MRR ${r.engram.mrr.toFixed(3)} / ${r.baseline.mrr.toFixed(3)}   ms ${r.engram.msMean.toFixed(2)} / ${r.baseline.msMean.toFixed(2)} (p95 ${r.engram.msP95.toFixed(2)} / ${r.baseline.msP95.toFixed(2)})${r.engram.top1 > r.baseline.top1 ? '' : r.engram.top1 === r.baseline.top1 ? '   (tie)' : '   (baseline ahead)'}${r.condition === 'transposed' ? `   [unique in any key, ${r.anyKey.queries}: ${p(r.anyKey.engram / Math.max(1, r.anyKey.queries))} / ${p(r.anyKey.baseline / Math.max(1, r.anyKey.queries))}]` : ''}`,
      ),
  });
  const ahead = rows.filter((r) => r.engram.top1 > r.baseline.top1).length;
  const tied = rows.filter((r) => r.engram.top1 === r.baseline.top1).length;
  if (rows.length) line(`engram ahead of the baseline on top-1 in ${ahead} of ${rows.length} rows, tied in ${tied}, behind in ${rows.length - ahead - tied} (target: ahead in all)`);
  const at = (c: Condition, len: number, view?: View) => {
    const rs = rows.filter((r) => r.condition === c && r.length === len && (!view || r.view === view));
    const n = rs.reduce((a, r) => a + r.engram.queries, 0);
    return rs.reduce((a, r) => a + r.engram.top1 * r.engram.queries, 0) / Math.max(1, n);
  };
  const anyKeyAt = (len: number) => {
    const rs = rows.filter((r) => r.condition === 'transposed' && r.length === len);
    const n = rs.reduce((a, r) => a + r.anyKey.queries, 0);
    return { n, top1: rs.reduce((a, r) => a + r.anyKey.engram, 0) / Math.max(1, n) };
  };
  const ak = anyKeyAt(8);
  const transposed8 = rows.filter((r) => r.condition === 'transposed' && r.length === 8);
  const elsewhere = transposed8.reduce((a, r) => ({ queries: a.queries + r.asWrittenElsewhere.queries, namedThere: a.namedThere + r.asWrittenElsewhere.namedThere, namedOwn: a.namedOwn + r.asWrittenElsewhere.namedOwn }), { queries: 0, namedThere: 0, namedOwn: 0 });
  // top-1 over the fragments that, as played, are no other piece's passage note for note (the ones
  // whose own piece is the right answer)
  const own = transposed8.reduce((a, r) => ({ queries: a.queries + r.engram.queries, top1: a.top1 + Math.round(r.engram.top1 * r.engram.queries) }), { queries: 0, top1: 0 });
  const ownQueries = own.queries - elsewhere.queries;
  const ownTop1 = (own.top1 - elsewhere.namedOwn) / Math.max(1, ownQueries);
  if (rows.length) line(`targets: human 8 notes ${p(at('human', 8))} (>= 95%), human 12 notes ${p(at('human', 12))} (>= 99%), transposed 8 notes ${p(ak.top1)} on the ${ak.n} fragments unique in any key, ${p(at('transposed', 8))} on all (the rest also occur, moved, in another piece; ${elsewhere.queries} of them, as played, are another piece's passage note for note, and engram names that piece for ${elsewhere.namedThere}: the original key first; ${p(ownTop1)} on the ${ownQueries} that are no other piece's passage as played) (>= 98%), one wrong note 12 notes ${p(at('one wrong note', 12))} (>= 97%), top line 8 notes exact ${p(at('exact', 8, 'top line'))} (>= 95%), exact 8 notes as sequenced ${p(at('exact', 8, 'sequenced'))}`);
  line(`identify latency, corpus (${lat.queries} exact 8-note fragments, after ${WARM_UP} others): mean ${lat.msMean.toFixed(3)} ms (target <= 1), p95 ${lat.msP95.toFixed(3)} ms (target <= 3)`);
  const big = options.fresh();
  options.learn(big);
  for (const k of [-5, 4, 7]) for (const piece of pieces) {
    const c = transposedCopy(piece, k);
    big.learn(c.title, c.sequence);
  }
  // the first identify after learning consolidates the network and derives its context sub-columns:
  // a one-time cost per learn, timed on its own
  const t0 = performance.now();
  big.identify({ notes: [60, 62, 64, 65].map((symbol) => ({ symbol })) });
  line(`first identify after learning the 4x memory (consolidation, context sub-columns): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const latBig = identifyLatency(big, pieces, options.latencyQueries);
  // issue 10 bounds the 4x memory at 1.5x the corpus's bounds (1.5 ms mean, 4.5 ms p95); its ratio to
  // the corpus's measured figures, the stricter reading, says whether the cost grows with the memory
  line(`identify latency, corpus + 3 transposed copies (${big.stats().neurons} neurons): mean ${latBig.msMean.toFixed(3)} ms (target <= 1.5; ${(latBig.msMean / lat.msMean).toFixed(2)}x the corpus's), p95 ${latBig.msP95.toFixed(3)} ms (target <= 4.5; ${(latBig.msP95 / lat.msP95).toFixed(2)}x the corpus's)`);
  // what the figures ran on: the 4x memory's latency depends on the page size (src/agent/huge-pages.ts)
  line(`  ${hugePagesReport() ?? 'page size: not reported on this platform'}`);
  line(`  the same queries asked again at once (the memory they touch in cache: the work, not the memory traffic): corpus mean ${lat.again.msMean.toFixed(3)} ms, p95 ${lat.again.msP95.toFixed(3)} ms; 4x mean ${latBig.again.msMean.toFixed(3)} ms (${(latBig.again.msMean / lat.again.msMean).toFixed(2)}x), p95 ${latBig.again.msP95.toFixed(3)} ms (${(latBig.again.msP95 / lat.again.msP95).toFixed(2)}x)`);
  line();
}
