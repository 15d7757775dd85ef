import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { encodeMidi } from '../../src/music/midi-writer.js';

/** A temp folder for this test file (removed after it), and a fresh memory file name in it per call. */
export function memoryFiles(prefix: string): { dir: string; newFile: () => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let fileNo = 0;
  return { dir, newFile: () => join(dir, `memory-${++fileNo}.engram`) };
}

/** A one-track MIDI file of these pitches, eighth notes at 120 bpm. */
export const midi = (pitches: number[]) =>
  encodeMidi([{ name: 'm', notes: pitches.map((p, i) => ({ pitch: p, tick: i * 240, duration: 240 })) }], 480, [{ tick: 0, secondsPerTick: 0.5 / 480 }]);

/** A one-track sequence of these symbols, 100 ticks apart. */
export const sequence = (pitches: number[]) => ({ tracks: [{ notes: pitches.map((symbol, i) => ({ symbol, tick: i * 100, duration: 100 })) }] });
