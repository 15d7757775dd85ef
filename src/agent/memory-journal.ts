import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The memory's journal: the changes made since the last snapshot, in segment files beside it named
 * `<memory file>.journal.<generation>`. A snapshot records the first generation it does not hold, so
 * at start the memory is the snapshot plus every segment from that generation on, replayed in order.
 *   segment: magic "ENGRAMJ\n", version (uint32 LE), generation (uint32 LE), then records
 *   record:  payload length (uint32 LE), CRC-32 of the payload (uint32 LE), payload
 * Records are appended and synced before a change is acknowledged. A kill in the middle of an append
 * leaves a torn last record, which was never acknowledged: it is ignored (and cut off when the agent
 * opens the journal again). A bad record with good ones after it is corruption and is named.
 */
export const JOURNAL_VERSION = 1;
const MAGIC = Buffer.from('ENGRAMJ\n', 'latin1');
const HEADER_BYTES = 16;
const RECORD_HEAD = 8;
/** Larger records are corruption (a learn message is at most a few MB). */
const MAX_RECORD = 256 * 1024 * 1024;

/** The file calls the journal makes: node:fs, or a test's wrapper that records or fails them. */
export type JournalFs = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fdatasyncSync' | 'fsyncSync' | 'ftruncateSync' | 'closeSync'>;

export class JournalError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'JournalError';
    this.file = file;
  }
}

export interface Segment {
  generation: number;
  path: string;
}

export function segmentPath(file: string, generation: number): string {
  return `${file}.journal.${generation}`;
}

/** The journal segments beside `file`, oldest first. */
export function journalSegments(file: string): Segment[] {
  const prefix = `${basename(file)}.journal.`;
  let names: string[];
  try {
    names = nodeFs.readdirSync(dirname(file));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ generation: Number(n.slice(prefix.length)), path: join(dirname(file), n) }))
    .sort((a, b) => a.generation - b.generation);
}

export interface SegmentContents {
  /** The payloads of the whole records, in order. */
  records: Buffer[];
  /** Bytes up to the end of the last whole record (the header alone: 16; a torn header: 0). */
  goodBytes: number;
  /** Whether the segment ends in a torn (incomplete) record or header. */
  torn: boolean;
}

/**
 * Reads a segment. A torn end (a record or header cut short, or a last record whose bytes did not all
 * reach the disk) is reported, not thrown; a bad record followed by more data throws a JournalError
 * naming the record and its byte offset.
 */
export function readSegment(seg: Segment): SegmentContents {
  let buf: Buffer;
  try {
    buf = nodeFs.readFileSync(seg.path);
  } catch (err) {
    throw new JournalError(seg.path, `could not be read: ${(err as Error).message}`, { cause: err });
  }
  if (buf.length < HEADER_BYTES) {
    // a kill while the segment was being created; nothing in it was ever acknowledged
    if (MAGIC.subarray(0, Math.min(buf.length, 8)).equals(buf.subarray(0, Math.min(buf.length, 8))) || buf.every((b) => b === 0)) return { records: [], goodBytes: 0, torn: true };
    throw new JournalError(seg.path, 'is not an engram journal (bad magic bytes)');
  }
  if (!buf.subarray(0, 8).equals(MAGIC)) throw new JournalError(seg.path, 'is not an engram journal (bad magic bytes)');
  const version = buf.readUInt32LE(8);
  if (version !== JOURNAL_VERSION) throw new JournalError(seg.path, `journal version ${version} is not supported (this engram reads version ${JOURNAL_VERSION})`);
  const generation = buf.readUInt32LE(12);
  if (generation !== seg.generation) throw new JournalError(seg.path, `holds generation ${generation}, its name says ${seg.generation}`);
  const records: Buffer[] = [];
  let pos = HEADER_BYTES;
  while (pos < buf.length) {
    const rest = buf.subarray(pos);
    // zeros to the end: space the file system gave the file whose data never arrived
    if (rest.length < RECORD_HEAD || rest.every((b) => b === 0)) return { records, goodBytes: pos, torn: true };
    const len = buf.readUInt32LE(pos);
    const sum = buf.readUInt32LE(pos + 4);
    const end = pos + RECORD_HEAD + len;
    if (len > MAX_RECORD || len === 0) {
      throw new JournalError(seg.path, `record ${records.length + 1} at byte ${pos} is corrupt (length ${len}); the records from there on cannot be replayed (move the file aside to start without them)`);
    }
    if (end > buf.length) return { records, goodBytes: pos, torn: true };
    const payload = buf.subarray(pos + RECORD_HEAD, end);
    if (crc32(payload) !== sum) {
      if (end === buf.length) return { records, goodBytes: pos, torn: true };
      throw new JournalError(seg.path, `record ${records.length + 1} at byte ${pos} is corrupt (checksum mismatch); the records from there on cannot be replayed (move the file aside to start without them)`);
    }
    records.push(payload);
    pos = end;
  }
  return { records, goodBytes: pos, torn: false };
}

/**
 * The segment being appended to. append() writes a record (not yet durable); sync() makes everything
 * appended durable. A failed append cuts the segment back to its last whole record.
 */
export class JournalWriter {
  readonly generation: number;
  readonly path: string;
  readonly #fs: JournalFs;
  #fd: number;
  #bytes: number;
  #records = 0;
  #unsynced = false;

  private constructor(fs: JournalFs, seg: Segment, fd: number, bytes: number) {
    this.#fs = fs;
    this.generation = seg.generation;
    this.path = seg.path;
    this.#fd = fd;
    this.#bytes = bytes;
  }

  /** A new segment (its header synced, and the folder, so the segment itself survives a crash). */
  static create(seg: Segment, fs: JournalFs = nodeFs): JournalWriter {
    const fd = fs.openSync(seg.path, 'w', 0o644);
    try {
      const head = Buffer.alloc(HEADER_BYTES);
      MAGIC.copy(head, 0);
      head.writeUInt32LE(JOURNAL_VERSION, 8);
      head.writeUInt32LE(seg.generation, 12);
      writeAll(fs, fd, head, 0);
      fs.fsyncSync(fd);
    } catch (err) {
      fs.closeSync(fd);
      throw new JournalError(seg.path, `could not be created: ${(err as Error).message}`, { cause: err });
    }
    syncDirectory(dirname(seg.path));
    return new JournalWriter(fs, seg, fd, HEADER_BYTES);
  }

  /** An existing segment, appended to after its last whole record (a torn end is cut off first). */
  static reopen(seg: Segment, contents: SegmentContents, fs: JournalFs = nodeFs): JournalWriter {
    if (contents.goodBytes < HEADER_BYTES) {
      nodeFs.rmSync(seg.path, { force: true });
      return JournalWriter.create(seg, fs);
    }
    const fd = fs.openSync(seg.path, 'r+');
    if (contents.torn) {
      fs.ftruncateSync(fd, contents.goodBytes);
      fs.fsyncSync(fd);
    }
    const w = new JournalWriter(fs, seg, fd, contents.goodBytes);
    w.#records = contents.records.length;
    return w;
  }

  /** Bytes in the segment (header and whole records). */
  get bytes(): number {
    return this.#bytes;
  }

  get records(): number {
    return this.#records;
  }

  append(payload: Buffer): void {
    const rec = Buffer.alloc(RECORD_HEAD + payload.length);
    rec.writeUInt32LE(payload.length, 0);
    rec.writeUInt32LE(crc32(payload), 4);
    payload.copy(rec, RECORD_HEAD);
    try {
      writeAll(this.#fs, this.#fd, rec, this.#bytes);
    } catch (err) {
      // no half record may stay between whole ones
      try {
        this.#fs.ftruncateSync(this.#fd, this.#bytes);
      } catch {
        // the next start ignores a torn end; a later append would overwrite it at this offset anyway
      }
      throw new JournalError(this.path, `could not be written: ${(err as Error).message}`, { cause: err });
    }
    this.#bytes += rec.length;
    this.#records++;
    this.#unsynced = true;
  }

  /** Makes every appended record durable (fdatasync: the size and data, not the times). */
  sync(): void {
    if (!this.#unsynced) return;
    try {
      this.#fs.fdatasyncSync(this.#fd);
    } catch (err) {
      throw new JournalError(this.path, `could not be synced: ${(err as Error).message}`, { cause: err });
    }
    this.#unsynced = false;
  }

  close(): void {
    if (this.#fd < 0) return;
    try {
      this.#fs.closeSync(this.#fd);
    } finally {
      this.#fd = -1;
    }
  }
}

/** Writes at `position` (positional writes: a retried append lands where the failed one began). */
function writeAll(fs: JournalFs, fd: number, buf: Buffer, position: number): void {
  for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off, position + off);
}

function syncDirectory(dir: string): void {
  try {
    const fd = nodeFs.openSync(dir, 'r');
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  } catch {
    // not possible on every platform
  }
}
