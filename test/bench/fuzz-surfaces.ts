/**
 * The fuzzed surfaces that run in process (shared by the fuzz tests and `npm run bench -- --fuzz`):
 * their seed inputs, and a check per input that says what went wrong, or null. An input must be
 * accepted, or refused with an error of the surface's own kinds that is short and does not echo it;
 * any other throw is a crash.
 */
import { crc32 } from 'node:zlib';
import { parseDemonstration } from '../../src/agent/demonstration-file.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/memory/snapshot.js';
import { bundledMelodies, encodeMidi, parseMidi } from '../../src/music/index.js';
import { teachSkill } from '../../src/skills/skill.js';
import { badRefusal } from './mutate.js';

/** A failure's text for an error of an unexpected kind: its name and the start of its message. */
const crash = (err: unknown) => `crash: ${err instanceof Error ? `${err.name}: ${err.message.slice(0, 160)}` : `thrown ${typeof err}`}`;
const refused = (err: unknown, kinds: readonly string[], input: () => string): string | null => {
  if (!(err instanceof Error) || !kinds.includes(err.name)) return crash(err);
  const bad = badRefusal(err.message, input());
  return bad ? `${err.name}: ${bad}` : null;
};

/** The bundled melodies as MIDI files, and a two-track file with a tempo change. */
export function midiSeeds(): Buffer[] {
  const seeds = bundledMelodies().map((m) =>
    encodeMidi(
      m.sequence.tracks.map((t, i) => ({ name: t.name ?? `track ${i + 1}`, notes: t.notes.map((n) => ({ pitch: n.symbol, tick: n.tick, duration: n.duration })) })),
      480,
      m.sequence.timing!,
    ),
  );
  seeds.push(
    encodeMidi(
      [
        { name: 'right', notes: [{ pitch: 64, tick: 0, duration: 240 }, { pitch: 67, tick: 0, duration: 480 }, { pitch: 72, tick: 480, duration: 160 }] },
        { name: 'left', notes: [{ pitch: 48, tick: 0, duration: 960 }] },
      ],
      480,
      [{ tick: 0, secondsPerTick: 0.5 / 480 }, { tick: 480, secondsPerTick: 0.25 / 480 }],
    ),
  );
  return seeds;
}

/**
 * One MIDI input: parsed and learned into a small memory of its own, or refused (MidiFileError,
 * MemoryInputError). What learns must recall at tempo 1, every note exactly as read.
 */
export function checkMidiInput(bytes: Buffer): string | null {
  const memory = new SequenceMemory();
  let piece: ReturnType<typeof parseMidi>;
  try {
    piece = parseMidi(bytes, 'fuzz.mid', 'fuzz');
    memory.learn('fuzz', piece.sequence);
  } catch (err) {
    return refused(err, ['MidiFileError', 'MemoryInputError'], () => bytes.toString('latin1'));
  }
  let r: ReturnType<SequenceMemory['recall']>;
  try {
    r = memory.recall('fuzz');
  } catch (err) {
    return `learned, then refused at tempo 1: ${err instanceof Error ? err.message.slice(0, 160) : typeof err}`;
  }
  for (let i = 0; i < piece.sequence.tracks.length; i++) {
    const want = [...piece.sequence.tracks[i]!.notes].sort((a, b) => a.tick - b.tick || a.symbol - b.symbol || a.duration - b.duration);
    const got = r.tracks[i]?.notes ?? [];
    if (got.length !== want.length) return `recalled wrong: track ${i + 1} gave ${got.length} of ${want.length} notes`;
    for (let k = 0; k < want.length; k++) {
      const g = got[k]!;
      const w = want[k]!;
      if (g.symbol !== w.symbol || g.tick !== w.tick || g.duration !== w.duration) return `recalled wrong: track ${i + 1} note ${k + 1}`;
    }
  }
  return null;
}

/** A CSV and a JSON demonstration for the default robot (ur5e-planar: shoulder, elbow, wrist). */
export function demonstrationSeeds(): Array<{ file: string; text: string }> {
  const samples = [0, 0.5, 1, 1.5, 2].map((time, i) => ({ time, positions: [0.1 * i, -0.2 * i, 0.05 * i] }));
  return [
    { file: 'demo.csv', text: ['# a nod', 'time,shoulder,elbow,wrist', ...samples.map((s) => [s.time, ...s.positions].join(','))].join('\n') },
    { file: 'demo.json', text: JSON.stringify({ samples }) },
    { file: 'joints.json', text: JSON.stringify({ joints: [{ name: 'a', min: -1, max: 1 }, { name: 'b', min: -2, max: 2 }], samples: samples.map((s) => ({ time: s.time, positions: s.positions.slice(0, 2) })) }) },
    // with the gripper: a CSV column (words and numbers) and a JSON field
    { file: 'grip.csv', text: ['time,shoulder,elbow,wrist,gripper', ...samples.map((s, i) => [s.time, ...s.positions, i < 2 ? 'open' : i < 4 ? 1 : 'closed'].join(','))].join('\n') },
    { file: 'grip.json', text: JSON.stringify({ samples: samples.map((s, i) => ({ ...s, gripper: i < 3 ? 0 : 'closed' })) }) },
  ];
}

/** One demonstration file: parsed and taught into a small memory, or refused (DemonstrationError, MemoryInputError). */
export function checkDemonstrationInput(d: { file: string; text: string }): string | null {
  try {
    const { joints, samples } = parseDemonstration(d.text, d.file);
    teachSkill(new SequenceMemory(), 'fuzz', samples, joints);
    return null;
  } catch (err) {
    return refused(err, ['DemonstrationError', 'MemoryInputError'], () => d.text);
  }
}

/** The bytes of a small memory: bundled melodies (two whole ones unless said). */
export function snapshotSeed(melodies = 2, notes = Infinity): Buffer {
  const memory = new SequenceMemory();
  for (const m of bundledMelodies().slice(0, melodies)) memory.learn(m.title, { ...m.sequence, tracks: m.sequence.tracks.map((t) => ({ ...t, notes: t.notes.slice(0, notes) })) });
  return encodeSnapshot(memory);
}

/** One snapshot file: loaded (and its statistics read), or refused with a SnapshotError. */
export function checkSnapshotInput(bytes: Buffer): string | null {
  try {
    decodeSnapshot(bytes, 'fuzz.engram').stats();
    return null;
  } catch (err) {
    return refused(err, ['SnapshotError'], () => bytes.toString('latin1'));
  }
}

/**
 * A snapshot whose header JSON was mutated structurally and written back with its length (version 1
 * layout: magic, version, header length, header, padding, body); the body and its checksum kept.
 */
export function resealed(seed: Buffer, m: { json(v: unknown): unknown }): Buffer {
  // format 1: a 16-byte preamble; format 2: 24 bytes, the last 4 a checksum of version, length and header
  const version = seed.readUInt32LE(8);
  const at = version === 1 ? 16 : 24;
  const hlen = seed.readUInt32LE(12);
  const pad = (n: number) => (8 - (n % 8)) % 8;
  let header: unknown;
  try {
    header = JSON.parse(seed.subarray(at, at + hlen).toString('utf8'));
  } catch {
    return Buffer.from(seed); // not a seed whose header can be changed: the seed as it is
  }
  const body = seed.subarray(at + hlen + pad(at + hlen));
  let json: Buffer;
  try {
    json = Buffer.from(JSON.stringify(m.json(header)) ?? 'null');
  } catch {
    json = Buffer.from('null');
  }
  const pre = Buffer.from(seed.subarray(0, at));
  pre.writeUInt32LE(json.length, 12);
  if (version !== 1) pre.writeUInt32LE(crc32(json, crc32(pre.subarray(8, 16))), 16);
  return Buffer.concat([pre, json, Buffer.alloc(pad(at + json.length)), body]);
}

/** Command bodies of every kind (web form: no id, no replyTo). */
export function commandSeeds(): object[] {
  const melody = bundledMelodies()[0]!;
  const midi = encodeMidi([{ name: 'm', notes: [60, 64, 67, 72].map((p, i) => ({ pitch: p, tick: i * 240, duration: 240 })) }], 480, [{ tick: 0, secondsPerTick: 0.5 / 480 }]).toString('base64');
  const notes = melody.sequence.tracks[0]!.notes.slice(0, 6).map((n) => ({ symbol: n.symbol, duration: n.duration / 960 }));
  return [
    { command: 'status' },
    { command: 'list' },
    { command: 'recall', title: melody.title, tempo: 1.5, tracks: [0] },
    { command: 'identify', notes, unit: 'seconds', limit: 3 },
    { command: 'identify', notes: notes.map((n) => ({ symbol: n.symbol })) },
    { command: 'complete', notes, unit: 'relative', count: 8, tempo: 1 },
    { command: 'learn', title: 'fuzz piece', midi },
    { command: 'teach', skill: 'fuzz nod', samples: [{ time: 0, positions: [0, 0, 0] }, { time: 1, positions: [0.2, 0, 0] }, { time: 1.5, positions: [0.2, 0.1, 0] }] },
    { command: 'teach', skill: 'fuzz wave', joints: [{ name: 'a', min: -1, max: 1 }], samples: [{ time: 0, positions: [0] }, { time: 1, positions: [0.5] }] },
    { command: 'teach', skill: 'fuzz pick', joints: [{ name: 'a', min: -1, max: 1 }], samples: [{ time: 0, positions: [0], gripper: 'open' }, { time: 1, positions: [0.5], gripper: 1 }, { time: 2, positions: [0.5], gripper: 'closed' }] },
    { command: 'grip', robot: 'nobody', gripper: 'closed' },
    // an unknown title: a mutant that drops robots would otherwise play a whole piece on the robots
    { command: 'perform', title: 'fuzz: no such piece', robots: ['nobody'], tempo: 1 },
    { command: 'stop', robots: ['nobody'] },
    { command: 'resume', robots: ['nobody'] },
  ];
}

/** Messages a robot with `joints` joints sends on its state, result, keys and gripper topics. */
export function robotMessageSeeds(joints: number): { state: object[]; result: object[]; keys: object[]; gripper: object[] } {
  const q = Array.from({ length: joints }, (_, i) => 0.1 * i);
  return {
    state: [{ time: 12.5, positions: q, velocities: q.map(() => 0) }, { time: 0, positions: q, velocities: q, fingers: [0, 0.5] }, { time: 3, positions: q, velocities: q, gripper: 0.5 }],
    result: [{ ok: true, code: 0 }, { ok: false, code: -4, error: 'path tolerance violated' }],
    keys: [{ pitch: 60, on: true, time: 1.25 }, { pitch: 61, on: false, time: 2 }],
    gripper: [{ ok: true, closure: 1, position: 0.7, stalled: true }, { ok: false, closure: 0, error: 'gripper command cancelled (stop)' }],
  };
}
