import type { Fragment } from '../memory/types.js';
import { parseDuration, parsePitch, readMidiFile } from '../music/index.js';

/** A fragment text that cannot be read; names the token. */
export class FragmentInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FragmentInputError';
  }
}

/**
 * Parses `--notes "E4 D#4 E4:q C4+E4:h"`: pitch names, optional ':duration' (w h q e s t with '.'
 * and '3', or a plain number in any unit), '+' for a chord (its notes are taken lowest first).
 */
export function parseNotesArg(text: string): Fragment {
  const notes: Fragment['notes'] = [];
  const tokens = text.trim().split(/[\s,]+/).filter((t) => t && t !== '|');
  if (tokens.length === 0) throw new FragmentInputError('--notes: no notes given (example: --notes "E4 D#4 E4 D#4 E4 B3")');
  for (const tok of tokens) {
    const [names, durTok] = tok.split(':');
    let duration: number | undefined;
    if (durTok !== undefined) {
      const d = /^\d+(\.\d+)?$/.test(durTok) ? Number(durTok) : parseDuration(durTok);
      if (d === null) throw new FragmentInputError(`--notes: bad duration '${durTok}' in '${tok}' (use q, e., e3 or a number)`);
      duration = d;
    }
    const pitches = names!.split('+').map((n) => {
      const p = parsePitch(n);
      if (p === null) throw new FragmentInputError(`--notes: '${n}' is not a pitch name (use C4, D#4, Bb3)`);
      return p;
    });
    pitches.sort((a, b) => a - b);
    for (const p of pitches) notes.push(duration === undefined ? { symbol: p } : { symbol: p, duration });
  }
  return { notes };
}

/**
 * A fragment from a MIDI file: its first track with notes, in order (chords lowest first), with each
 * note's duration in seconds under the file's tempo map (as it would be heard).
 */
export function fragmentFromMidiFile(file: string): Fragment {
  const piece = readMidiFile(file);
  const track = piece.sequence.tracks[0]!;
  const timing = piece.sequence.timing!;
  const seconds = (tick: number) => {
    let s = 0;
    for (let i = 0; i < timing.length && timing[i]!.tick < tick; i++) {
      s += (Math.min(tick, timing[i + 1]?.tick ?? Infinity) - timing[i]!.tick) * timing[i]!.secondsPerTick;
    }
    return s;
  };
  const notes = [...track.notes].sort((a, b) => a.tick - b.tick || a.symbol - b.symbol);
  return { notes: notes.map((n) => ({ symbol: n.symbol, duration: seconds(n.tick + n.duration) - seconds(n.tick) })), unit: 'seconds' };
}
