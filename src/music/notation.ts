import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sequence, SequenceNote } from '../memory/types.js';
import { parsePitch } from './pitch.js';

/** Ticks per quarter note of the text notation. */
export const NOTATION_PPQ = 480;
const BASE: Record<string, number> = { w: 1920, h: 960, q: 480, e: 240, s: 120, t: 60 };

/** A bad melody text; names the file, line and token. */
export class NotationError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'NotationError';
  }
}

/**
 * Duration token: w h q e s t (whole .. 32nd), '.' dotted (x1.5), '3' triplet (x2/3), e.g. q, q., e3,
 * or a number of ticks. Returns ticks at NOTATION_PPQ, or null.
 */
export function parseDuration(tok: string): number | null {
  if (/^\d+$/.test(tok)) return Number(tok);
  const m = /^([whqest])(\.?)(3?)$/.exec(tok);
  if (!m) return null;
  let d = BASE[m[1]!]!;
  if (m[2]) d = (d * 3) / 2;
  if (m[3]) d = (d * 2) / 3;
  return Number.isInteger(d) ? d : null;
}

export interface Melody {
  title: string;
  composer: string;
  file: string;
  sequence: Sequence;
}

/**
 * Parses the melody text format:
 *   title: Ode to Joy          (header lines: title, composer, tempo (bpm), time)
 *   track: melody              (starts a track; following lines are its notes)
 *   E4:q E4:q F4:q | C4+E4:h r:q
 * A token is PITCH[+PITCH...]:DURATION (a chord) or r:DURATION (a rest); '|' bar lines are ignored.
 */
export function parseMelody(text: string, file: string): Melody {
  const head: Record<string, string> = {};
  const tracks: Array<{ name: string; notes: SequenceNote[]; tick: number }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('%')) return; // '%' starts a comment line ('#' is a sharp)
    const kv = /^([a-z]+):\s*(.*)$/.exec(line);
    if (kv && !/^[A-Gr]/.test(line)) {
      if (kv[1] === 'track') tracks.push({ name: kv[2]!.trim() || `track ${tracks.length + 1}`, notes: [], tick: 0 });
      else head[kv[1]!] = kv[2]!.trim();
      return;
    }
    const track = tracks[tracks.length - 1];
    if (!track) throw new NotationError(file, i + 1, 'notes before any "track:" line');
    for (const tok of line.split(/\s+/)) {
      if (tok === '|' || tok === '') continue;
      const [pitches, durTok] = tok.split(':');
      const dur = durTok === undefined ? null : parseDuration(durTok);
      if (dur === null) throw new NotationError(file, i + 1, `bad duration in '${tok}' (use w h q e s t, '.' dotted, '3' triplet)`);
      if (pitches !== 'r') {
        for (const p of pitches!.split('+')) {
          const midi = parsePitch(p);
          if (midi === null) throw new NotationError(file, i + 1, `bad pitch '${p}' in '${tok}' (use names like C4, F#3, Bb5)`);
          track.notes.push({ symbol: midi, tick: track.tick, duration: dur });
        }
      }
      track.tick += dur;
    }
  });
  if (!head.title) throw new NotationError(file, 1, 'missing "title:" line');
  if (tracks.length === 0 || tracks.every((t) => t.notes.length === 0)) throw new NotationError(file, 1, 'no notes');
  const bpm = head.tempo ? Number(head.tempo) : 120;
  if (!(bpm > 0)) throw new NotationError(file, 1, `bad tempo '${head.tempo}'`);
  return {
    title: head.title,
    composer: head.composer ?? '',
    file,
    sequence: {
      tracks: tracks.filter((t) => t.notes.length > 0).map((t) => ({ name: t.name, notes: t.notes })),
      timing: [{ tick: 0, secondsPerTick: 60 / (bpm * NOTATION_PPQ) }],
      meta: { composer: head.composer ?? '', ppq: NOTATION_PPQ, timeSignature: head.time ?? '4/4', file: file.split('/').pop() ?? file },
    },
  };
}

/** The bundled public-domain melodies (src/music/melodies/*.txt), sorted by file name. */
export function bundledMelodies(dir = melodiesDir()): Melody[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => parseMelody(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}

/** The melody folder, found from this module both in src/ (tests) and in dist/src/ (built). */
export function melodiesDir(): string {
  const here = new URL('.', import.meta.url).pathname;
  const fromDist = here.replace(/\/dist\/src\/music\/$/, '/src/music/');
  return join(fromDist, 'melodies');
}
