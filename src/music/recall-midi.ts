import type { RecallResult } from '../memory/types.js';
import { encodeMidi, MidiTrackOut } from './midi-writer.js';

/**
 * A recalled piece as MIDI bytes. Ticks are the pacemaker pulses counted by the network; the tempo
 * map is the learned one with every tick shortened by the recall tempo, so the file plays as recalled.
 */
export function recallToMidi(r: RecallResult): Buffer {
  const ppq = typeof r.meta?.ppq === 'number' ? r.meta.ppq : 480;
  const tracks: MidiTrackOut[] = r.tracks.map((t) => ({
    name: t.name ?? `track ${t.track + 1}`,
    notes: t.notes.filter((n) => n.duration >= 0).map((n) => ({ pitch: n.symbol, tick: n.tick, duration: n.duration })),
  }));
  const timing = r.timing.map((s) => ({ tick: s.tick, secondsPerTick: s.secondsPerTick / r.tempo }));
  return encodeMidi(tracks, ppq, timing);
}
