import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { SequenceMemory, FEEDBACK, SPATIAL } from '../memory/sequence-memory.js';
import { removeStaleTemps, saveSnapshot } from '../memory/snapshot.js';
import { journalSegments } from './memory-journal.js';
import { readMemory } from './memory-store.js';
import { MidiFileError, readMidiFile, type MidiPiece } from '../music/index.js';
import { MemoryInputError } from '../memory/validate.js';

/** Where the memory lives unless --memory or ENGRAM_MEMORY says otherwise. */
export function defaultMemoryPath(): string {
  return process.env.ENGRAM_MEMORY || join(homedir(), '.engram', 'memory.engram');
}

/** The memory at `file` with its journal replayed (a new empty one if neither exists yet); changes nothing on disk. */
export function openMemory(file: string): SequenceMemory {
  return readMemory(file).memory;
}

/**
 * Writes the whole memory to `file` (a memory opened with openMemory: it holds the journal too), with a
 * journal generation past every segment beside it, then removes those segments and leftover temporary files.
 */
export function saveMemory(memory: SequenceMemory, file: string): number {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const segments = journalSegments(file);
  const bytes = saveSnapshot(memory, file, { generation: (segments.at(-1)?.generation ?? -1) + 1 });
  for (const s of segments) rmSync(s.path, { force: true });
  removeStaleTemps(file);
  return bytes;
}

/** MIDI files named directly or found (recursively, sorted) in named folders. */
export function collectMidiFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.midi?$/i.test(name)) files.push(p);
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) missing.push(p);
    else if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
  return { files, missing };
}

export interface LearnFileResult {
  file: string;
  title?: string;
  notes?: number;
  status: 'learned' | 'skipped' | 'failed';
  error?: string;
}

/** A MIDI file read to be learned: its piece, or the result that says why it will not be. */
export type ReadMidi = { file: string; piece: MidiPiece } | LearnFileResult;

/** Reads one MIDI file to learn it; never throws for bad input (the result says what went wrong). */
export function readMidiToLearn(memory: SequenceMemory, file: string, title?: string): ReadMidi {
  const name = title ?? basename(file, extname(file));
  if (memory.has(name)) return { file, title: name, status: 'skipped', error: `'${name}' is already learned` };
  try {
    return { file, piece: readMidiFile(file, name) };
  } catch (err) {
    if (err instanceof MidiFileError || err instanceof MemoryInputError) return { file, title: name, status: 'failed', error: err.message };
    throw err;
  }
}

/** Learns a piece read by readMidiToLearn; never throws for bad input. */
export function learnReadMidi(memory: SequenceMemory, read: ReadMidi): LearnFileResult {
  if (!('piece' in read)) return read;
  const { file, piece } = read;
  // (two files of one name in a folder: the second finds the first learned)
  if (memory.has(piece.title)) return { file, title: piece.title, status: 'skipped', error: `'${piece.title}' is already learned` };
  try {
    const stats = memory.learn(piece.title, piece.sequence);
    return { file, title: piece.title, notes: stats.notes, status: 'learned' };
  } catch (err) {
    if (err instanceof MemoryInputError) return { file, title: piece.title, status: 'failed', error: err.message };
    throw err;
  }
}

/** How many notes the pieces read hold (what learning them adds to the memory). */
export function notesRead(read: readonly ReadMidi[]): number {
  let notes = 0;
  for (const r of read) if ('piece' in r) for (const t of r.piece.sequence.tracks) notes += t.notes.length;
  return notes;
}

/** Notes learned per title, counted from the network (spatial neurons bound to each title's goals). */
export function notesPerTitle(memory: SequenceMemory): Map<string, number> {
  const net = memory.net;
  const titles = memory.titles();
  const counts = new Int32Array(titles.length);
  for (let n = 0; n < net.neuronCount; n++) {
    if (net.neuronGroup[n] !== SPATIAL) continue;
    const fb = net.outOfKind(n, FEEDBACK);
    if (fb < 0) continue;
    const t = net.neuronColumn[net.synPost[fb]!]!;
    counts[t] = counts[t]! + 1;
  }
  return new Map(titles.map((e, i) => [e.title, counts[i]!]));
}
