import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import tonejs from '@tonejs/midi';
import { DEFAULT_PARAMS, longestTickNs } from '../memory/params.js';
import type { Sequence, SequenceTrack, TimeSegment } from '../memory/types.js';
import { MAX_TICK } from '../memory/validate.js';
import { MidiFileError } from './midi-errors.js';

// @tonejs/midi ships CommonJS as its main entry; take the class from the default export.
const { Midi } = tonejs as unknown as typeof import('@tonejs/midi');

/** Files with more ticks per quarter than this are resampled to it (and the error reported). */
export const MAX_PPQ = 960;

/**
 * What a MIDI file may hold to be learned (the corpus' largest piece is 160 KB, 6 tracks, 17,225 notes,
 * 22 minutes, 8..270 bpm). Larger files are refused before they cost memory or time.
 */
export const MIDI_LIMITS = {
  bytes: 4 * 1024 * 1024,
  /** Track chunks the header may announce, and tracks with notes. */
  chunks: 256,
  tracks: 64,
  notes: 200_000,
  /**
   * Note events (on and off) in one track chunk: the parser pairs them in quadratic time once a track's
   * event arrays outgrow V8's small-array space (~16k), so 20k notes in one track took 2.7 s, 40k 9 s.
   */
  noteEventsPerTrack: 30_000,
  /** Events of every kind in the file (the parser takes ~30 us each; the corpus' largest file has ~60k). */
  events: 200_000,
  /** Length of the piece at its own tempo. */
  seconds: 2 * 3600,
  minBpm: 1,
  maxBpm: 1000,
  /** Longest title and track name kept from the file (longer ones are cut). */
  nameChars: 128,
} as const;

export interface Quantisation {
  /** Ticks per quarter of the file, and of the learned sequence. */
  sourcePpq: number;
  ppq: number;
  /** Largest and mean |error| of onsets and ends, in source ticks (0 when ppq === sourcePpq). */
  maxErrorTicks: number;
  meanErrorTicks: number;
}

export interface MidiPiece {
  title: string;
  sequence: Sequence;
  quantisation: Quantisation;
  notes: number;
}

/**
 * Checks the chunk structure before parsing: a header chunk, then chunks whose declared lengths fit
 * the file. The parser itself accepts many truncated files silently; this names what is wrong.
 */
export function checkMidiStructure(file: string, buf: Uint8Array): void {
  const text = (o: number) => String.fromCharCode(buf[o]!, buf[o + 1]!, buf[o + 2]!, buf[o + 3]!);
  if (buf.length > MIDI_LIMITS.bytes) throw new MidiFileError(file, `is ${buf.length} bytes, more than the ${MIDI_LIMITS.bytes} a MIDI file may have`);
  if (buf.length < 14 || text(0) !== 'MThd') throw new MidiFileError(file, 'is not a MIDI file (no MThd header)');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = dv.getUint32(4);
  const format = dv.getUint16(8);
  const ntracks = dv.getUint16(10);
  const division = dv.getUint16(12);
  if (hlen < 6) throw new MidiFileError(file, `has a corrupt MThd header (length ${hlen})`);
  if (format > 2) throw new MidiFileError(file, `has an unknown MIDI format ${format}`);
  if (division & 0x8000) throw new MidiFileError(file, 'uses SMPTE time division, which is not supported (only ticks per quarter note)');
  if (division === 0) throw new MidiFileError(file, 'has 0 ticks per quarter note');
  if (ntracks === 0) throw new MidiFileError(file, 'announces no tracks');
  if (ntracks > MIDI_LIMITS.chunks) throw new MidiFileError(file, `announces ${ntracks} tracks, more than the ${MIDI_LIMITS.chunks} a file may have`);
  let off = 8 + hlen;
  let found = 0;
  while (off < buf.length && found < ntracks) {
    if (off + 8 > buf.length) throw new MidiFileError(file, `is truncated: chunk header at byte ${off} is cut off`);
    const len = dv.getUint32(off + 4);
    if (off + 8 + len > buf.length) {
      throw new MidiFileError(file, `is truncated: track ${found + 1} declares ${len} bytes, only ${buf.length - off - 8} remain`);
    }
    if (text(off) === 'MTrk') found++;
    else if (found < ntracks) throw new MidiFileError(file, `has a chunk that is not a track (MTrk) at byte ${off}, where track ${found + 1} should be`);
    off += 8 + len;
  }
  if (found < ntracks) throw new MidiFileError(file, `is truncated: header announces ${ntracks} tracks, found ${found}`);
  off = 8 + hlen;
  let events = 0;
  for (let track = 1; track <= ntracks; track++) {
    const len = dv.getUint32(off + 4);
    events += scanTrack(file, buf, off + 8, off + 8 + len, track);
    if (events > MIDI_LIMITS.events) throw new MidiFileError(file, `has more than ${MIDI_LIMITS.events} events, more than a file may have`);
    off += 8 + len;
  }
}

/**
 * Walks one track chunk's events (linear, before the parser sees them): every event must fit the
 * chunk, delta-times are at most 4 bytes (the standard's limit), running status needs a status byte
 * before it, and the note events are counted against MIDI_LIMITS. Returns the number of events.
 */
function scanTrack(file: string, buf: Uint8Array, start: number, end: number, track: number): number {
  let pos = start;
  let events = 0;
  let running = 0;
  let noteEvents = 0;
  const varint = (): number => {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      if (pos >= end) throw new MidiFileError(file, `is corrupt: an event in track ${track} runs past the end of its chunk`);
      const b = buf[pos++]!;
      v = v * 128 + (b & 0x7f);
      if (!(b & 0x80)) return v;
    }
    throw new MidiFileError(file, `is corrupt: track ${track} has a number longer than 4 bytes (at byte ${pos - 4})`);
  };
  while (pos < end) {
    events++;
    varint();
    if (pos >= end) throw new MidiFileError(file, `is corrupt: an event in track ${track} runs past the end of its chunk`);
    let status = buf[pos]!;
    if (status & 0x80) {
      pos++;
      if (status < 0xf0) running = status;
    } else {
      if (!running) throw new MidiFileError(file, `is corrupt: track ${track} has a data byte before any status byte (at byte ${pos})`);
      status = running;
    }
    if (status === 0xff) {
      if (pos >= end) throw new MidiFileError(file, `is corrupt: an event in track ${track} runs past the end of its chunk`);
      pos++;
      const len = varint(); // read before adding: varint() moves pos
      pos += len;
    } else if (status === 0xf0 || status === 0xf7) {
      const len = varint();
      pos += len;
    } else if (status > 0xf0) {
      throw new MidiFileError(file, `is corrupt: track ${track} holds an event type that does not belong in a file (at byte ${pos - 1})`);
    } else {
      const kind = status & 0xf0;
      if (kind === 0x80 || kind === 0x90) noteEvents++;
      pos += kind === 0xc0 || kind === 0xd0 ? 1 : 2;
    }
    if (pos > end) throw new MidiFileError(file, `is corrupt: an event in track ${track} runs past the end of its chunk`);
  }
  if (noteEvents > MIDI_LIMITS.noteEventsPerTrack) {
    throw new MidiFileError(file, `has ${noteEvents} note events in track ${track}, more than the ${MIDI_LIMITS.noteEventsPerTrack} a track may have`);
  }
  return events;
}

/** Reads a MIDI file into a sequence: one track per MIDI track with notes, ticks, tempo map. */
export function readMidiFile(file: string, title?: string): MidiPiece {
  let buf: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MIDI_LIMITS.bytes) throw new MidiFileError(file, `is ${size} bytes, more than the ${MIDI_LIMITS.bytes} a MIDI file may have`);
    buf = readFileSync(file);
  } catch (err) {
    if (err instanceof MidiFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new MidiFileError(file, `cannot be read (${code ?? 'read error'})`, { cause: err });
  }
  return parseMidi(buf, file, title);
}

/**
 * What the parser's complaint means, in our words: its messages quote bytes of the file (never echoed
 * back), and some of its failures are plain TypeErrors or thrown strings.
 */
function parserFault(err: unknown): string {
  const m = typeof err === 'string' ? err : err instanceof Error ? err.message : '';
  if (/Expected 'M/.test(m)) return 'a chunk is not the track (MTrk) the header announces';
  if (/Expected length for (\w+)/.test(m)) return `a ${/Expected length for (\w+)/.exec(m)![1]} meta event has the wrong length`;
  if (/Running status/.test(m)) return 'a track starts with running status (a data byte before any status byte)';
  if (/Unrecognised MIDI event type/.test(m)) return 'a track holds an unknown event type';
  return 'its track data cannot be parsed';
}

/** A name from the file: printable, trimmed, at most MIDI_LIMITS.nameChars characters. */
function cleanName(s: unknown): string {
  // eslint-disable-next-line no-control-regex
  const t = typeof s === 'string' ? s.replace(/[\u0000-\u001f\u007f]/g, ' ').trim() : '';
  return t.length > MIDI_LIMITS.nameChars ? `${t.slice(0, MIDI_LIMITS.nameChars)}...` : t;
}

export function parseMidi(buf: Uint8Array, file: string, title?: string): MidiPiece {
  checkMidiStructure(file, buf);
  let midi: InstanceType<typeof Midi>;
  try {
    midi = new Midi(buf);
  } catch (err) {
    throw new MidiFileError(file, `is corrupt: ${parserFault(err)}`, { cause: err });
  }
  const sourcePpq = midi.header.ppq;
  const withNotes = midi.tracks.filter((t) => t.notes.length > 0);
  if (withNotes.length === 0) throw new MidiFileError(file, 'contains no notes (every track is empty)');
  if (withNotes.length > MIDI_LIMITS.tracks) throw new MidiFileError(file, `has ${withNotes.length} tracks with notes, more than the ${MIDI_LIMITS.tracks} a piece may have`);
  const noteCount = withNotes.reduce((a, t) => a + t.notes.length, 0);
  if (noteCount > MIDI_LIMITS.notes) throw new MidiFileError(file, `has ${noteCount} notes, more than the ${MIDI_LIMITS.notes} a piece may have`);
  let end = 0;
  for (const t of midi.tracks) {
    const chord = new Map<number, number>();
    for (const n of t.notes) {
      // a note event cut off by its chunk's end reads as a missing pitch or time
      if (!Number.isInteger(n.midi) || n.midi < 0 || n.midi > 127 || !Number.isSafeInteger(n.ticks) || n.ticks < 0 || !Number.isSafeInteger(n.durationTicks) || n.durationTicks < 0) {
        throw new MidiFileError(file, `is corrupt: track ${midi.tracks.indexOf(t) + 1} has a note event with an invalid pitch or time`);
      }
      end = Math.max(end, n.ticks + n.durationTicks);
      const together = (chord.get(n.ticks) ?? 0) + 1;
      if (together > DEFAULT_PARAMS.maxChord) {
        throw new MidiFileError(file, `has more than ${DEFAULT_PARAMS.maxChord} notes starting together in track ${midi.tracks.indexOf(t) + 1} at tick ${n.ticks}, more than the memory takes`);
      }
      chord.set(n.ticks, together);
    }
  }
  // tempo changes after the last note plays change nothing; the others must be playable
  const tempos = [...midi.header.tempos].filter((t) => t.ticks === 0 || t.ticks < end).sort((a, b) => a.ticks - b.ticks);
  for (const t of tempos) {
    if (!Number.isFinite(t.bpm) || t.bpm < MIDI_LIMITS.minBpm || t.bpm > MIDI_LIMITS.maxBpm) {
      throw new MidiFileError(file, `has a tempo of ${Number.isFinite(t.bpm) ? +t.bpm.toFixed(3) : 'infinite'} bpm at tick ${t.ticks}, outside ${MIDI_LIMITS.minBpm}..${MIDI_LIMITS.maxBpm} bpm`);
    }
  }
  const bpms = tempos.length === 0 || tempos[0]!.ticks > 0 ? [120, ...tempos.map((t) => t.bpm)] : tempos.map((t) => t.bpm);
  const basePpq = Math.min(sourcePpq, MAX_PPQ);
  // a tick the pacemaker cannot keep (coarse files played slowly, e.g. 1 tick per quarter) is split
  // into k exact ticks; files finer than MAX_PPQ are resampled to it (their ticks are short enough)
  const longestSeconds = 60 / (Math.min(...bpms) * basePpq);
  const split = Math.max(1, Math.ceil((longestSeconds * 1e9) / longestTickNs(DEFAULT_PARAMS)));
  const ppq = basePpq * split;
  const shortestUs = (60 / (Math.max(...bpms) * ppq)) * 1e6;
  if (shortestUs * 1000 < DEFAULT_PARAMS.minTickNs) {
    throw new MidiFileError(
      file,
      `plays too fast for the memory: ${+Math.max(...bpms).toFixed(3)} bpm at ${ppq} ticks per quarter makes a tick of ${shortestUs.toFixed(1)} us, shorter than the ${DEFAULT_PARAMS.minTickNs / 1000} us the network needs`,
    );
  }
  const scale = ppq / sourcePpq;
  if (Math.round(end * scale) > MAX_TICK) {
    throw new MidiFileError(file, `has a note ending at tick ${Math.round(end * scale)} (at ${ppq} ticks per quarter), past tick ${MAX_TICK}, the last the memory can count`);
  }
  let maxErr = 0;
  let sumErr = 0;
  let count = 0;
  const q = (t: number) => {
    const r = Math.round(t * scale);
    const err = Math.abs(r / scale - t);
    if (err > maxErr) maxErr = err;
    sumErr += err;
    count++;
    return r;
  };
  const tracks: SequenceTrack[] = [];
  midi.tracks.forEach((t, i) => {
    if (t.notes.length === 0) return;
    const notes = t.notes.map((n) => {
      const tick = q(n.ticks);
      const end = q(n.ticks + n.durationTicks);
      return { symbol: n.midi, tick, duration: end - tick };
    });
    tracks.push({ name: cleanName(t.name) || cleanName(t.instrument?.name) || `track ${i + 1}`, notes });
  });
  const timing: TimeSegment[] = [];
  const spt = (bpm: number) => 60 / (bpm * ppq);
  if (tempos.length === 0 || tempos[0]!.ticks > 0) timing.push({ tick: 0, secondsPerTick: spt(120) });
  for (const t of tempos) {
    const tick = Math.round(t.ticks * scale);
    const last = timing[timing.length - 1];
    if (last && last.tick === tick) last.secondsPerTick = spt(t.bpm);
    else timing.push({ tick, secondsPerTick: spt(t.bpm) });
  }
  const seconds = lengthSeconds(timing, Math.round(end * scale));
  if (seconds > MIDI_LIMITS.seconds) throw new MidiFileError(file, `lasts ${Math.round(seconds)} s at its own tempo, more than the ${MIDI_LIMITS.seconds} s a piece may last`);
  const ts = midi.header.timeSignatures[0]?.timeSignature;
  const name = title ?? (cleanName(midi.header.name) || basename(file).replace(/\.midi?$/i, ''));
  return {
    title: name,
    sequence: {
      tracks,
      timing,
      meta: { file: basename(file), ppq, sourcePpq, timeSignature: ts && ts.every((x) => Number.isInteger(x)) ? `${ts[0]}/${ts[1]}` : null },
    },
    quantisation: { sourcePpq, ppq, maxErrorTicks: maxErr, meanErrorTicks: count ? sumErr / count : 0 },
    notes: noteCount,
  };
}

/** Seconds from tick 0 to `end` under a tempo map. */
function lengthSeconds(timing: TimeSegment[], end: number): number {
  let s = 0;
  for (let i = 0; i < timing.length; i++) {
    const to = Math.min(end, timing[i + 1]?.tick ?? Infinity);
    if (to > timing[i]!.tick) s += (to - timing[i]!.tick) * timing[i]!.secondsPerTick;
  }
  return s;
}
