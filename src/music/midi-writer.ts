import { writeFileSync } from 'node:fs';
import type { TimeSegment } from '../memory/types.js';

/** A note to write: pitch, onset and duration in ticks, velocity 1..127. */
export interface MidiNoteOut {
  pitch: number;
  tick: number;
  duration: number;
  velocity?: number;
}

export interface MidiTrackOut {
  name: string;
  notes: MidiNoteOut[];
}

/**
 * Standard MIDI File (format 1) writer: a tempo track, then one track per input track on its own
 * channel. Linear in the number of notes (events are sorted once).
 */
export function encodeMidi(tracks: MidiTrackOut[], ppq: number, timing: TimeSegment[]): Buffer {
  if (!Number.isInteger(ppq) || ppq < 1 || ppq > 0x7fff) throw new RangeError(`encodeMidi: ppq must be 1..32767, got ${ppq}`);
  const chunks: Buffer[] = [];
  const head = Buffer.alloc(14);
  head.write('MThd', 0, 'latin1');
  head.writeUInt32BE(6, 4);
  head.writeUInt16BE(1, 8);
  head.writeUInt16BE(tracks.length + 1, 10);
  head.writeUInt16BE(ppq, 12);
  chunks.push(head);
  // tempo track
  const tempo: Array<[number, number[]]> = timing.map((s) => {
    const usPerQuarter = Math.max(1, Math.min(0xffffff, Math.round(s.secondsPerTick * ppq * 1e6)));
    return [s.tick, [0xff, 0x51, 0x03, (usPerQuarter >> 16) & 0xff, (usPerQuarter >> 8) & 0xff, usPerQuarter & 0xff]];
  });
  chunks.push(trackChunk(tempo));
  tracks.forEach((t, i) => {
    const ch = i % 16 === 9 ? 10 % 16 : i % 16; // keep off the drum channel
    const ev: Array<[number, number[]]> = [[0, [0xff, 0x03, ...varLen(Buffer.byteLength(t.name)), ...Buffer.from(t.name)]]];
    const offs: Array<[number, number[]]> = [];
    for (const n of t.notes) {
      const vel = Math.max(1, Math.min(127, Math.round(n.velocity ?? 80)));
      ev.push([n.tick, [0x90 | ch, n.pitch & 0x7f, vel]]);
      offs.push([n.tick + Math.max(0, n.duration), [0x80 | ch, n.pitch & 0x7f, 0]]);
    }
    // note-offs before note-ons at the same tick, so repeated notes re-strike
    const all = [...offs.map((e) => [e[0], 0, e[1]] as const), ...ev.map((e) => [e[0], 1, e[1]] as const)];
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    chunks.push(trackChunk(all.map((e) => [e[0], e[2] as number[]])));
  });
  return Buffer.concat(chunks);
}

export function writeMidiFile(file: string, tracks: MidiTrackOut[], ppq: number, timing: TimeSegment[]): void {
  writeFileSync(file, encodeMidi(tracks, ppq, timing));
}

function trackChunk(events: Array<[number, number[]]>): Buffer {
  const bytes: number[] = [];
  let last = 0;
  for (const [tick, data] of events) {
    bytes.push(...varLen(Math.max(0, tick - last)));
    for (const b of data) bytes.push(b);
    last = Math.max(last, tick);
  }
  bytes.push(0, 0xff, 0x2f, 0x00);
  const out = Buffer.alloc(8 + bytes.length);
  out.write('MTrk', 0, 'latin1');
  out.writeUInt32BE(bytes.length, 4);
  Buffer.from(bytes).copy(out, 8);
  return out;
}

function varLen(v: number): number[] {
  const out = [v & 0x7f];
  v = Math.floor(v / 128);
  while (v > 0) {
    out.unshift((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  return out;
}
