import { longestTickNs, type MemoryParams } from './params.js';
import type { Fragment, Sequence, TimeSegment } from './types.js';

/** A bad sequence, fragment or request; `field` names the offending part. */
export class MemoryInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'MemoryInputError';
    this.field = field;
  }
}

/** An unknown title. */
export class UnknownTitleError extends Error {
  readonly title: string;
  constructor(title: string) {
    super(`unknown title '${title}': it has not been learned (see 'engram list')`);
    this.name = 'UnknownTitleError';
    this.title = title;
  }
}

export function validateTitle(title: unknown): asserts title is string {
  if (typeof title !== 'string' || title.trim() === '') {
    throw new MemoryInputError('title', `must be a non-empty string, got ${JSON.stringify(title)}`);
  }
}

/** Checks a whole sequence before anything is recruited, so a bad one changes nothing. */
/** Last tick a note may end on: counters and recorded pulse counts are 32-bit integers. */
export const MAX_TICK = 2 ** 31 - 1;

export function validateSequence(title: string, seq: Sequence, p: MemoryParams): void {
  const where = `sequence '${title}'`;
  if (!seq || !Array.isArray(seq.tracks)) throw new MemoryInputError(`${where}.tracks`, 'must be an array of tracks');
  if (seq.tracks.length === 0) throw new MemoryInputError(`${where}.tracks`, 'has no tracks: nothing to learn');
  seq.tracks.forEach((track, ti) => {
    const tw = `${where}.tracks[${ti}]${track?.name ? ` ('${track.name}')` : ''}`;
    if (!track || !Array.isArray(track.notes)) throw new MemoryInputError(`${tw}.notes`, 'must be an array');
    if (track.notes.length === 0) throw new MemoryInputError(tw, 'is empty: a track needs at least one note');
    const chordSize = new Map<number, number>();
    const notes = track.notes;
    // a note's path is spelled out only for an error: a corpus has a million notes
    const nw = (i: number) => `${tw}.notes[${i}]`;
    for (let i = 0; i < notes.length; i++) {
      const n = notes[i];
      if (!n || typeof n !== 'object') throw new MemoryInputError(nw(i), 'must be an object {symbol, tick, duration}');
      if (!Number.isInteger(n.symbol) || n.symbol < 0 || n.symbol > p.maxSymbol) {
        throw new MemoryInputError(`${nw(i)}.symbol`, `must be an integer in 0..${p.maxSymbol}, got ${String(n.symbol)}`);
      }
      if (!Number.isInteger(n.tick) || n.tick < 0) throw new MemoryInputError(`${nw(i)}.tick`, `must be a non-negative integer, got ${String(n.tick)}`);
      if (!Number.isInteger(n.duration) || n.duration < 0) {
        throw new MemoryInputError(`${nw(i)}.duration`, `must be a non-negative integer, got ${String(n.duration)}`);
      }
      if (n.tick + n.duration > MAX_TICK) throw new MemoryInputError(nw(i), `ends after tick ${MAX_TICK}, the last tick the network can count`);
      const c = (chordSize.get(n.tick) ?? 0) + 1;
      if (c > p.maxChord) throw new MemoryInputError(`${tw}`, `has more than ${p.maxChord} notes starting at tick ${n.tick}`);
      chordSize.set(n.tick, c);
    }
  });
  if (seq.timing !== undefined) {
    validateTiming(`${where}.timing`, seq.timing);
    validateTickLengths(`${where}.timing`, seq.timing, p);
  }
}

/** A tempo map the pacemaker can play at 1x: a sequence that learns must also recall. */
function validateTickLengths(where: string, timing: TimeSegment[], p: MemoryParams): void {
  const longest = longestTickNs(p);
  timing.forEach((s, i) => {
    const ns = s.secondsPerTick * 1e9;
    if (ns < p.minTickNs) {
      throw new MemoryInputError(`${where}[${i}].secondsPerTick`, `a tick of ${(ns / 1000).toFixed(1)} us is shorter than the ${p.minTickNs / 1000} us the network needs: it could not be recalled at its own tempo`);
    }
    if (ns > longest) {
      throw new MemoryInputError(`${where}[${i}].secondsPerTick`, `a tick of ${(ns / 1e6).toFixed(0)} ms is longer than the ${longest / 1e6} ms the pacemaker can keep: it could not be recalled at its own tempo`);
    }
  });
}

export function validateTiming(where: string, timing: TimeSegment[]): void {
  if (!Array.isArray(timing) || timing.length === 0) throw new MemoryInputError(where, 'must be a non-empty array of {tick, secondsPerTick}');
  let last = -1;
  timing.forEach((s, i) => {
    if (!Number.isInteger(s?.tick) || s.tick < 0) throw new MemoryInputError(`${where}[${i}].tick`, `must be a non-negative integer, got ${String(s?.tick)}`);
    if (i === 0 && s.tick !== 0) throw new MemoryInputError(`${where}[0].tick`, 'must be 0');
    if (s.tick < last) throw new MemoryInputError(`${where}[${i}].tick`, `goes back in time (${s.tick} after ${last})`);
    if (!(s.secondsPerTick > 0) || !Number.isFinite(s.secondsPerTick)) {
      throw new MemoryInputError(`${where}[${i}].secondsPerTick`, `must be a positive number, got ${String(s.secondsPerTick)}`);
    }
    last = s.tick;
  });
}

/** Widest readout margin a fragment may ask for, notes: more would read out nearly every place. */
const MAX_MARGIN = 64;

export function validateFragment(fragment: Fragment, p: MemoryParams): void {
  if (!fragment || !Array.isArray(fragment.notes)) throw new MemoryInputError('fragment.notes', 'must be an array');
  if (fragment.notes.length === 0) throw new MemoryInputError('fragment', 'is empty: give at least one note');
  if (fragment.unit !== undefined && fragment.unit !== 'seconds' && fragment.unit !== 'relative') {
    throw new MemoryInputError('fragment.unit', `must be 'seconds' or 'relative', got ${JSON.stringify(fragment.unit)}`);
  }
  if (fragment.neighbours !== undefined && !(Number.isInteger(fragment.neighbours) && fragment.neighbours >= 0 && fragment.neighbours <= 2)) {
    throw new MemoryInputError('fragment.neighbours', 'must be 0, 1 or 2');
  }
  if (fragment.margin !== undefined && !(typeof fragment.margin === 'number' && fragment.margin >= 0 && fragment.margin <= MAX_MARGIN)) {
    throw new MemoryInputError('fragment.margin', `must be a number of notes in 0..${MAX_MARGIN}`);
  }
  const withDur = fragment.notes.filter((n) => n.duration !== undefined).length;
  if (withDur !== 0 && withDur !== fragment.notes.length) {
    throw new MemoryInputError('fragment.notes', 'give durations for every note or for none');
  }
  fragment.notes.forEach((n, i) => {
    if (!Number.isInteger(n?.symbol) || n.symbol < 0 || n.symbol > p.maxSymbol) {
      throw new MemoryInputError(`fragment.notes[${i}].symbol`, `must be an integer in 0..${p.maxSymbol}, got ${String(n?.symbol)}`);
    }
    if (n.duration !== undefined && (!Number.isFinite(n.duration) || n.duration < 0)) {
      throw new MemoryInputError(`fragment.notes[${i}].duration`, `must be a non-negative number, got ${String(n.duration)}`);
    }
  });
}

export function validateTempo(tempo: unknown): asserts tempo is number {
  if (typeof tempo !== 'number' || !Number.isFinite(tempo) || tempo <= 0) {
    throw new MemoryInputError('tempo', `must be a positive number (1 = as learned), got ${String(tempo)}`);
  }
}
