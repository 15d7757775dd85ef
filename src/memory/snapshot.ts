import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open as openAsync, rename as renameAsync, rm as rmAsync } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Network } from '../snn/network.js';
import { DEFAULT_PARAMS, MemoryParams } from './params.js';
import { SequenceMemory, TitleEntry } from './sequence-memory.js';
import { RELATIVE_LINK, relativeLinkDelay } from './model.js';

/**
 * Memory snapshots: one binary file.
 *   bytes 0..7   magic "ENGRAM\n\0"
 *   bytes 8..11  format version (uint32 LE)
 *   bytes 12..15 header length H (uint32 LE)
 *   bytes 16..19 CRC-32 of bytes 8..15 and of the H header bytes (version 2; version 1 has no such field)
 *   bytes 20..23 zero
 *   H bytes      header JSON (params, titles, journal generation, section lengths, CRC-32 of the sections)
 *   sections     typed arrays, each starting on an 8-byte boundary, little-endian
 * Version 1 files (16-byte preamble, body checksum only) still load; saves always write version 2.
 * No time stamps or machine data, so the same memory always gives the same bytes.
 * Saving writes a temporary file beside the target, syncs it, renames it over the target and syncs the
 * folder: a crash or kill leaves either the old file or the new one, never a half-written one (and at
 * worst a temporary file, which removeStaleTemps clears at the next start).
 */
export const SNAPSHOT_VERSION = 2;
/** The goal neurons' refractory time (ns) before they raced (now 0). */
const LEGACY_GOAL_TREF = 500;
const MAGIC = Buffer.from('ENGRAM\n\0', 'latin1');
const PREAMBLE = { 1: 16, 2: 24 } as const;

export class SnapshotError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'SnapshotError';
    this.file = file;
  }
}

interface SectionInfo {
  name: string;
  type: 'u8' | 'i32' | 'f32' | 'f64';
  length: number;
}

interface Header {
  format: 'engram-memory';
  version: number;
  params: MemoryParams;
  rngState: number;
  /** The first journal generation this snapshot does not hold (version 1: absent, read as 0). */
  generation?: number;
  titles: Array<Omit<TitleEntry, 'timingTick' | 'timingSpt'> & { timingOffset: number; timingLength: number }>;
  sections: SectionInfo[];
  crc32: number;
}

/** A decoded snapshot: the memory, the journal generation it was written at, its format version. */
export interface LoadedSnapshot {
  memory: SequenceMemory;
  generation: number;
  version: number;
}

export interface SnapshotOptions {
  /** The first journal generation the snapshot does not hold (default 0): replay starts there. */
  generation?: number;
}

type Arr = Uint8Array | Int32Array | Float32Array | Float64Array;
const CTOR = { u8: Uint8Array, i32: Int32Array, f32: Float32Array, f64: Float64Array } as const;
const pad8 = (n: number) => (8 - (n % 8)) % 8;

/** The snapshot bytes of a memory. */
export function encodeSnapshot(memory: SequenceMemory, options: SnapshotOptions = {}): Buffer {
  memory.consolidate(); // the canonical storage order: same memory, same bytes
  const a = memory.net.exportArrays();
  const titles = memory.titles();
  const timingLength = titles.reduce((s, e) => s + e.timingTick.length, 0);
  const timingTick = new Float64Array(timingLength);
  const timingSpt = new Float64Array(timingLength);
  let off = 0;
  const headTitles: Header['titles'] = titles.map((e) => {
    timingTick.set(e.timingTick, off);
    timingSpt.set(e.timingSpt, off);
    const t = { title: e.title, goalFirst: e.goalFirst, tracks: e.tracks, trackNames: e.trackNames, meta: e.meta, timingOffset: off, timingLength: e.timingTick.length };
    off += e.timingTick.length;
    return t;
  });
  const sections: Array<[SectionInfo, Arr]> = [
    [{ name: 'neuronGroup', type: 'u8', length: a.neuronGroup.length }, a.neuronGroup],
    [{ name: 'neuronColumn', type: 'i32', length: a.neuronColumn.length }, a.neuronColumn],
    [{ name: 'synPre', type: 'i32', length: a.synPre.length }, a.synPre],
    [{ name: 'synPost', type: 'i32', length: a.synPost.length }, a.synPost],
    [{ name: 'synWeight', type: 'f32', length: a.synWeight.length }, a.synWeight],
    [{ name: 'synDelay', type: 'i32', length: a.synDelay.length }, a.synDelay],
    [{ name: 'synKind', type: 'u8', length: a.synKind.length }, a.synKind],
    [{ name: 'timingTick', type: 'f64', length: timingLength }, timingTick],
    [{ name: 'timingSpt', type: 'f64', length: timingLength }, timingSpt],
  ];
  const bodyParts: Buffer[] = [];
  for (const [, arr] of sections) {
    const b = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
    bodyParts.push(b, Buffer.alloc(pad8(b.length)));
  }
  const body = Buffer.concat(bodyParts);
  const header: Header = {
    format: 'engram-memory',
    version: SNAPSHOT_VERSION,
    params: memory.params,
    rngState: memory.rngState,
    generation: options.generation ?? 0,
    titles: headTitles,
    sections: sections.map(([s]) => s),
    crc32: crc32(body),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(PREAMBLE[2]);
  MAGIC.copy(pre, 0);
  pre.writeUInt32LE(SNAPSHOT_VERSION, 8);
  pre.writeUInt32LE(json.length, 12);
  pre.writeUInt32LE(crc32(json, crc32(pre.subarray(8, 16))), 16);
  return Buffer.concat([pre, json, Buffer.alloc(pad8(pre.length + json.length)), body]);
}

/** A memory from snapshot bytes; `file` names the source in errors. */
export function decodeSnapshot(buf: Buffer, file = '<buffer>'): SequenceMemory {
  return readSnapshot(buf, file).memory;
}

/** A memory from snapshot bytes with its journal generation and format version; `file` names the source in errors. */
export function readSnapshot(buf: Buffer, file = '<buffer>'): LoadedSnapshot {
  try {
    return decodeChecked(buf, file);
  } catch (err) {
    if (err instanceof SnapshotError) throw err;
    // a header that parses but does not describe a memory (wrong types, missing fields, bad params)
    throw new SnapshotError(file, 'is corrupt (its header does not describe a memory)', { cause: err });
  }
}

function decodeChecked(buf: Buffer, file: string): LoadedSnapshot {
  if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC)) throw new SnapshotError(file, 'is not an engram memory file (bad magic bytes)');
  const version = buf.readUInt32LE(8);
  if (version !== 1 && version !== 2) {
    throw new SnapshotError(file, `memory format version ${version} is not supported (this engram reads versions 1 and ${SNAPSHOT_VERSION})`);
  }
  const pre = PREAMBLE[version];
  if (buf.length < pre) throw new SnapshotError(file, 'is truncated (header runs past the end)');
  const hlen = buf.readUInt32LE(12);
  if (pre + hlen > buf.length) throw new SnapshotError(file, 'is truncated (header runs past the end)');
  const json = buf.subarray(pre, pre + hlen);
  if (version === 2 && crc32(json, crc32(buf.subarray(8, 16))) !== buf.readUInt32LE(16)) throw new SnapshotError(file, 'has a corrupt header (checksum mismatch)');
  let header: Header;
  try {
    header = JSON.parse(json.toString('utf8')) as Header;
  } catch (err) {
    throw new SnapshotError(file, 'has a corrupt header', { cause: err });
  }
  checkHeader(header, file);
  let pos = pre + hlen + pad8(pre + hlen);
  const bodyStart = pos;
  const arrays: Record<string, Arr> = {};
  for (const s of header.sections) {
    const ctor = CTOR[s.type];
    const bytes = s.length * ctor.BYTES_PER_ELEMENT;
    if (pos + bytes > buf.length) throw new SnapshotError(file, `is truncated (section ${s.name} runs past the end)`);
    // copy into an aligned buffer of its own
    const arr = new ctor(s.length);
    new Uint8Array(arr.buffer).set(buf.subarray(pos, pos + bytes));
    arrays[s.name] = arr;
    pos += bytes + pad8(bytes);
  }
  if (crc32(buf.subarray(bodyStart, pos)) !== header.crc32) throw new SnapshotError(file, 'is corrupt (checksum mismatch)');
  const params: MemoryParams = { ...DEFAULT_PARAMS, ...header.params };
  // files written before the goal cluster raced hold its old refractory time, which would count only
  // one of the places that reach a goal neuron together; the goal cluster holds no learned state
  if (params.goal && typeof params.goal === 'object' && params.goal.tRef === LEGACY_GOAL_TREF) params.goal = { ...params.goal, tRef: 0 };
  const probe = new SequenceMemory(params);
  const net = Network.fromArrays(
    probe.net.groups.map((g) => ({ ...g })),
    probe.net.projections.map((p) => ({ ...p })),
    {
      neuronGroup: arrays.neuronGroup as Uint8Array,
      neuronColumn: arrays.neuronColumn as Int32Array,
      synPre: arrays.synPre as Int32Array,
      synPost: arrays.synPost as Int32Array,
      synWeight: arrays.synWeight as Float32Array,
      synDelay: arrays.synDelay as Int32Array,
      synKind: arrays.synKind as Uint8Array,
    },
  );
  // files written before the interval area told keys apart hold one delay on every interval link; the
  // delay line is anatomy (its delay follows the note's pitch), not learned
  for (let q = 0; q < net.synapseCount; q++) if (net.synKind[q] === RELATIVE_LINK) net.synDelay[q] = relativeLinkDelay(params, net.neuronColumn[net.synPost[q]!]!);
  const memory = new SequenceMemory(params, net, header.rngState);
  const tick = arrays.timingTick as Float64Array;
  const spt = arrays.timingSpt as Float64Array;
  for (const t of header.titles) {
    // the body's checksum says nothing of the header: an entry must fit the arrays it points into
    const count = (x: unknown, max: number) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= max;
    if (
      !t || typeof t.title !== 'string' || t.title === '' || memory.has(t.title) || !count(t.tracks, net.neuronCount) || t.tracks < 1 || !count(t.goalFirst, net.neuronCount - t.tracks) ||
      !Array.isArray(t.trackNames) || !count(t.timingOffset, tick.length) || !count(t.timingLength, tick.length - t.timingOffset) || t.timingLength < 1 || !t.meta || typeof t.meta !== 'object'
    ) {
      throw new SnapshotError(file, 'is corrupt (a title entry does not fit the memory)');
    }
    memory.restoreEntry({
      title: t.title,
      goalFirst: t.goalFirst,
      tracks: t.tracks,
      trackNames: t.trackNames,
      meta: t.meta,
      timingTick: tick.slice(t.timingOffset, t.timingOffset + t.timingLength),
      timingSpt: spt.slice(t.timingOffset, t.timingOffset + t.timingLength),
    });
  }
  return { memory, generation: header.generation ?? 0, version };
}

const SECTION_NAMES = ['neuronGroup', 'neuronColumn', 'synPre', 'synPost', 'synWeight', 'synDelay', 'synKind', 'timingTick', 'timingSpt'];

/** The header's shape, so a header that parses but is not ours is a SnapshotError, not a TypeError later. */
function checkHeader(h: Header, file: string): void {
  const bad = (what: string) => new SnapshotError(file, `has a corrupt header (${what})`);
  if (typeof h !== 'object' || h === null || h.format !== 'engram-memory') throw bad('not an engram memory header');
  if (!Array.isArray(h.sections) || h.sections.length !== SECTION_NAMES.length) throw bad('sections');
  h.sections.forEach((s, i) => {
    if (typeof s !== 'object' || s === null || s.name !== SECTION_NAMES[i] || !Object.hasOwn(CTOR, s.type) || !Number.isSafeInteger(s.length) || s.length < 0) throw bad(`section ${i}`);
  });
  const len = (i: number) => h.sections[i]!.length;
  if (len(0) !== len(1) || [3, 4, 5, 6].some((i) => len(i) !== len(2)) || len(7) !== len(8)) throw bad('section lengths disagree');
  if (!Array.isArray(h.titles)) throw bad('titles');
  for (const t of h.titles) {
    if (typeof t !== 'object' || t === null || typeof t.title !== 'string' || !Number.isSafeInteger(t.timingOffset) || !Number.isSafeInteger(t.timingLength) || t.timingOffset < 0 || t.timingLength < 0) throw bad('titles');
  }
  if (typeof h.params !== 'object' || h.params === null || typeof h.rngState !== 'number' || typeof h.crc32 !== 'number') throw bad('params');
  if (h.generation !== undefined && (!Number.isSafeInteger(h.generation) || h.generation < 0)) throw bad('generation');
}

let tempNo = 0;
/** A temporary file beside `file` for a save in progress: `.<name>.tmp-<pid>-<n>` (removeStaleTemps knows the form). */
function tempFile(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Date.now()}-${++tempNo}`);
}

/** Makes a rename in `dir` durable; not possible everywhere (the rename itself is atomic). */
export function syncDir(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // directory fsync is not supported on every platform or file system
  }
}

/** Writes the memory atomically (temp file, fsync, rename, folder fsync); returns the bytes written. */
export function saveSnapshot(memory: SequenceMemory, file: string, options: SnapshotOptions = {}): number {
  return writeSnapshotBytes(encodeSnapshot(memory, options), file);
}

/** Writes encoded snapshot bytes atomically, on this thread. */
export function writeSnapshotBytes(bytes: Buffer, file: string): number {
  const tmp = tempFile(file);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w', 0o644);
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, Math.min(1 << 24, bytes.length - off));
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, file);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new SnapshotError(file, `could not be saved: ${(err as Error).message}`, { cause: err });
  }
  syncDir(dirname(file));
  return bytes.length;
}

/**
 * Writes encoded snapshot bytes atomically off this thread's loop (libuv's file threads write and sync),
 * so the thread that encoded them goes on answering while a large file is written.
 */
export async function writeSnapshotBytesAsync(bytes: Buffer, file: string): Promise<number> {
  const tmp = tempFile(file);
  try {
    const fh = await openAsync(tmp, 'w', 0o644);
    try {
      for (let off = 0; off < bytes.length; ) off += (await fh.write(bytes, off, Math.min(1 << 24, bytes.length - off))).bytesWritten;
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameAsync(tmp, file);
  } catch (err) {
    await rmAsync(tmp, { force: true });
    throw new SnapshotError(file, `could not be saved: ${(err as Error).message}`, { cause: err });
  }
  syncDir(dirname(file));
  return bytes.length;
}

/**
 * Removes the temporary files that killed saves of `file` left beside it (a save's temporary file is
 * never needed after a crash: the target holds the old or the new memory). Files of a save still running
 * in another live process are left alone. Returns the names removed.
 */
export function removeStaleTemps(file: string): string[] {
  const dir = dirname(file);
  const prefix = `.${basename(file)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isSafeInteger(pid) && pid !== process.pid && processAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The memory in `file` with its journal generation and format version. */
export function loadSnapshotFile(file: string): LoadedSnapshot {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new SnapshotError(file, `could not be read: ${(err as Error).message}`, { cause: err });
  }
  return readSnapshot(buf, file);
}

export function loadSnapshot(file: string): SequenceMemory {
  return loadSnapshotFile(file).memory;
}
