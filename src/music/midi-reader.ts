import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import tonejs from '@tonejs/midi';
import type { Sequence, SequenceTrack, TimeSegment } from '../memory/types.js';
import { MidiFileError } from './midi-errors.js';

// @tonejs/midi ships CommonJS as its main entry; take the class from the default export.
const { Midi } = tonejs as unknown as typeof import('@tonejs/midi');

/** Files with more ticks per quarter than this are resampled to it (and the error reported). */
export const MAX_PPQ = 960;

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
  let off = 8 + hlen;
  let found = 0;
  while (off < buf.length && found < ntracks) {
    if (off + 8 > buf.length) throw new MidiFileError(file, `is truncated: chunk header at byte ${off} is cut off`);
    const len = dv.getUint32(off + 4);
    if (off + 8 + len > buf.length) {
      throw new MidiFileError(file, `is truncated: track ${found + 1} declares ${len} bytes, only ${buf.length - off - 8} remain`);
    }
    if (text(off) === 'MTrk') found++;
    off += 8 + len;
  }
  if (found < ntracks) throw new MidiFileError(file, `is truncated: header announces ${ntracks} tracks, found ${found}`);
}

/** Reads a MIDI file into a sequence: one track per MIDI track with notes, ticks, tempo map. */
export function readMidiFile(file: string, title?: string): MidiPiece {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new MidiFileError(file, `cannot be read: ${(err as Error).message}`, { cause: err });
  }
  return parseMidi(buf, file, title);
}

export function parseMidi(buf: Uint8Array, file: string, title?: string): MidiPiece {
  checkMidiStructure(file, buf);
  let midi: InstanceType<typeof Midi>;
  try {
    midi = new Midi(buf);
  } catch (err) {
    throw new MidiFileError(file, `is corrupt: ${(err as Error).message}`, { cause: err });
  }
  const sourcePpq = midi.header.ppq;
  const ppq = Math.min(sourcePpq, MAX_PPQ);
  const scale = ppq / sourcePpq;
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
    tracks.push({ name: t.name.trim() || t.instrument?.name || `track ${i + 1}`, notes });
  });
  if (tracks.length === 0) throw new MidiFileError(file, 'contains no notes (every track is empty)');
  const timing: TimeSegment[] = [];
  const tempos = [...midi.header.tempos].sort((a, b) => a.ticks - b.ticks);
  const spt = (bpm: number) => 60 / (bpm * ppq);
  if (tempos.length === 0 || tempos[0]!.ticks > 0) timing.push({ tick: 0, secondsPerTick: spt(120) });
  for (const t of tempos) {
    if (!(t.bpm > 0) || !Number.isFinite(t.bpm)) throw new MidiFileError(file, `has an invalid tempo ${t.bpm} bpm at tick ${t.ticks}`);
    const tick = Math.round(t.ticks * scale);
    const last = timing[timing.length - 1];
    if (last && last.tick === tick) last.secondsPerTick = spt(t.bpm);
    else timing.push({ tick, secondsPerTick: spt(t.bpm) });
  }
  const ts = midi.header.timeSignatures[0]?.timeSignature;
  const name = title ?? (midi.header.name.trim() || basename(file).replace(/\.midi?$/i, ''));
  return {
    title: name,
    sequence: {
      tracks,
      timing,
      meta: { file: basename(file), ppq, sourcePpq, timeSignature: ts ? `${ts[0]}/${ts[1]}` : null },
    },
    quantisation: { sourcePpq, ppq, maxErrorTicks: maxErr, meanErrorTicks: count ? sumErr / count : 0 },
    notes: tracks.reduce((a, t) => a + t.notes.length, 0),
  };
}
