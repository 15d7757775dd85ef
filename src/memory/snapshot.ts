import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Network } from '../snn/network.js';
import { DEFAULT_PARAMS, MemoryParams } from './params.js';
import { SequenceMemory, TitleEntry } from './sequence-memory.js';

/**
 * Memory snapshots: one binary file.
 *   bytes 0..7   magic "ENGRAM\n\0"
 *   bytes 8..11  format version (uint32 LE)
 *   bytes 12..15 header length H (uint32 LE)
 *   H bytes      header JSON (params, titles, section lengths, CRC-32 of the sections)
 *   sections     typed arrays, each starting on an 8-byte boundary, little-endian
 * No time stamps or machine data, so the same memory always gives the same bytes.
 * Saving writes a temporary file beside the target, syncs it and renames it over the target: a
 * crash or kill leaves either the old file or the new one, never a half-written one.
 */
export const SNAPSHOT_VERSION = 1;
const MAGIC = Buffer.from('ENGRAM\n\0', 'latin1');

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
  titles: Array<Omit<TitleEntry, 'timingTick' | 'timingSpt'> & { timingOffset: number; timingLength: number }>;
  sections: SectionInfo[];
  crc32: number;
}

type Arr = Uint8Array | Int32Array | Float32Array | Float64Array;
const CTOR = { u8: Uint8Array, i32: Int32Array, f32: Float32Array, f64: Float64Array } as const;
const pad8 = (n: number) => (8 - (n % 8)) % 8;

/** The snapshot bytes of a memory. */
export function encodeSnapshot(memory: SequenceMemory): Buffer {
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
    titles: headTitles,
    sections: sections.map(([s]) => s),
    crc32: crc32(body),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(16);
  MAGIC.copy(pre, 0);
  pre.writeUInt32LE(SNAPSHOT_VERSION, 8);
  pre.writeUInt32LE(json.length, 12);
  return Buffer.concat([pre, json, Buffer.alloc(pad8(16 + json.length)), body]);
}

/** A memory from snapshot bytes; `file` names the source in errors. */
export function decodeSnapshot(buf: Buffer, file = '<buffer>'): SequenceMemory {
  try {
    return decodeChecked(buf, file);
  } catch (err) {
    if (err instanceof SnapshotError) throw err;
    // a header that parses but does not describe a memory (wrong types, missing fields, bad params)
    throw new SnapshotError(file, 'is corrupt (its header does not describe a memory)', { cause: err });
  }
}

function decodeChecked(buf: Buffer, file: string): SequenceMemory {
  if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC)) throw new SnapshotError(file, 'is not an engram memory file (bad magic bytes)');
  const version = buf.readUInt32LE(8);
  if (version !== SNAPSHOT_VERSION) {
    throw new SnapshotError(file, `memory format version ${version} is not supported (this engram reads version ${SNAPSHOT_VERSION})`);
  }
  const hlen = buf.readUInt32LE(12);
  if (16 + hlen > buf.length) throw new SnapshotError(file, 'is truncated (header runs past the end)');
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(16, 16 + hlen).toString('utf8')) as Header;
  } catch (err) {
    throw new SnapshotError(file, 'has a corrupt header', { cause: err });
  }
  let pos = 16 + hlen + pad8(16 + hlen);
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
  return memory;
}

/** Writes the memory atomically (temp file, fsync, rename). */
export function saveSnapshot(memory: SequenceMemory, file: string): number {
  const bytes = encodeSnapshot(memory);
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Date.now()}`);
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
  try {
    const dfd = openSync(dirname(file), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // directory fsync is not possible everywhere; the rename itself is atomic
  }
  return bytes.length;
}

export function loadSnapshot(file: string): SequenceMemory {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new SnapshotError(file, `could not be read: ${(err as Error).message}`, { cause: err });
  }
  return decodeSnapshot(buf, file);
}
