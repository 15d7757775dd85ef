import * as nodeFs from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MemoryParams } from '../memory/params.js';
import { SequenceMemory } from '../memory/sequence-memory.js';
import { encodeSnapshot, loadSnapshotFile, removeStaleTemps, syncDir, writeSnapshotBytes, writeSnapshotBytesAsync } from '../memory/snapshot.js';
import { JournalError, JournalWriter, journalSegments, readSegment, segmentPath, type JournalFs, type Segment, type SegmentContents } from './memory-journal.js';
import { decodeChange, encodeChange, MemoryOperations, type MemoryChange } from './memory-operations.js';

/** A memory as its files hold it: the snapshot plus the journal replayed on it. */
export interface ReadMemory {
  memory: SequenceMemory;
  /** Whether the snapshot file exists. */
  snapshot: boolean;
  /** The snapshot's bytes (0 without one). */
  snapshotBytes: number;
  /** The segments replayed (generation at or after the snapshot's), with what each held. */
  segments: Array<Segment & { contents: SegmentContents }>;
  /** Segments the snapshot already holds (left by a kill between its rename and their removal). */
  obsolete: Segment[];
  /** The snapshot's journal generation: the first segment to replay. */
  generation: number;
  /** Changes replayed. */
  replayed: number;
}

/**
 * Reads the memory in `file`: its snapshot (a new memory with `params` if there is none) and every
 * journal segment from the snapshot's generation on, replayed in order. Changes nothing on disk.
 * A corrupt record, a missing segment or a change that fails to replay throws a JournalError naming it.
 */
export function readMemory(file: string, params?: Partial<MemoryParams>): ReadMemory {
  const exists = nodeFs.existsSync(file);
  const snap = exists ? loadSnapshotFile(file) : null;
  const memory = snap?.memory ?? new SequenceMemory(params);
  const all = journalSegments(file);
  // without a snapshot, every segment is still to replay
  const from = snap ? snap.generation : (all[0]?.generation ?? 0);
  const obsolete = all.filter((s) => s.generation < from);
  const live = all.filter((s) => s.generation >= from);
  const ops = new MemoryOperations(memory);
  const segments: ReadMemory['segments'] = [];
  let replayed = 0;
  live.forEach((seg, i) => {
    if (seg.generation !== from + i) throw new JournalError(segmentPath(file, from + i), `is missing (the journal goes on with generation ${seg.generation}); the memory cannot be rebuilt without it`);
    const contents = readSegment(seg);
    // only the newest segment can end torn: older ones were synced whole before the next was made
    if (contents.torn && i < live.length - 1) throw new JournalError(seg.path, `ends in a torn record at byte ${contents.goodBytes} though a newer segment follows it`);
    contents.records.forEach((rec, r) => {
      let change: MemoryChange;
      try {
        change = decodeChange(rec);
      } catch (err) {
        throw new JournalError(seg.path, `record ${r + 1} is not a memory change (${(err as Error).message.slice(0, 120)})`, { cause: err });
      }
      try {
        ops.apply(change);
      } catch (err) {
        throw new JournalError(seg.path, `record ${r + 1} could not be replayed: ${(err as Error).message.slice(0, 200)}`, { cause: err });
      }
      replayed++;
    });
    segments.push({ ...seg, contents });
  });
  return { memory, snapshot: exists, snapshotBytes: exists ? nodeFs.statSync(file).size : 0, segments, obsolete, generation: from, replayed };
}

export interface MemoryStoreOptions {
  /** Parameters of a new memory (a loaded one keeps its own). */
  params?: Partial<MemoryParams>;
  /**
   * Compact when the journal holds more than this many bytes. Default: 1/16 of the snapshot, at least
   * 1 MiB: the snapshot bytes written per journaled byte stay bounded (a learn costs the same however
   * much is stored) and so does the replay at start.
   */
  journalLimit?: number;
  /** The journal's file calls (tests inject failures or record the order of calls). */
  fs?: JournalFs;
}

export interface StoreStats {
  snapshotBytes: number;
  journalBytes: number;
  journalRecords: number;
  /** Changes replayed from the journal at open. */
  replayed: number;
  compactions: number;
  /** Temporary files of killed saves removed at open. */
  tempsRemoved: number;
  /** The last compaction's failure (the journal is kept and the compaction tried again later). */
  lastError: string | null;
}

/**
 * The memory file and its journal, as the memory worker keeps them: changes are appended to the
 * journal (commit() makes them durable before they are acknowledged), and compact() folds the journal
 * into a new snapshot, encoding it on this thread and writing it off it, then drops the segments it holds.
 * Crash safety: at every moment the snapshot on disk plus the journal segments from its generation on
 * hold every acknowledged change.
 */
export class MemoryStore {
  readonly file: string;
  readonly ops: MemoryOperations;
  readonly #fs: JournalFs;
  readonly #limit: number | undefined;
  #writer: JournalWriter;
  /** Segments not yet folded into the snapshot on disk (the writer's included). */
  #segments: Segment[];
  /** Bytes of those segments other than the writer's. */
  #olderBytes: number;
  #snapshotBytes: number;
  #compacting: Promise<void> | null = null;
  /** A change could not be journaled: the next commit writes a whole snapshot instead. */
  #needsSnapshot = false;
  #uncommitted = 0;
  /** After a failed compaction, the journal grows by another limit before the next try. */
  #retryAfter = 0;
  #stats: Pick<StoreStats, 'replayed' | 'compactions' | 'tempsRemoved' | 'lastError'>;

  private constructor(file: string, read: ReadMemory, options: MemoryStoreOptions, tempsRemoved: number) {
    this.file = file;
    this.#fs = options.fs ?? nodeFs;
    this.#limit = options.journalLimit;
    this.ops = new MemoryOperations(read.memory, file, (c) => this.#record(c));
    this.#snapshotBytes = read.snapshotBytes;
    this.#stats = { replayed: read.replayed, compactions: 0, tempsRemoved, lastError: null };
    const last = read.segments.at(-1);
    this.#segments = read.segments.map(({ generation, path }) => ({ generation, path }));
    this.#olderBytes = read.segments.slice(0, -1).reduce((n, s) => n + s.contents.goodBytes, 0);
    this.#writer = last ? JournalWriter.reopen(last, last.contents, this.#fs) : this.#newSegment(read.generation);
  }

  /**
   * Opens the memory in `file` for the agent: removes the temporary files killed saves left, reads the
   * snapshot and replays the journal, cuts off a torn last record, removes segments the snapshot already
   * holds. Without a snapshot (a new memory, or one lost) it writes one at once.
   */
  static open(file: string, options: MemoryStoreOptions = {}): MemoryStore {
    nodeFs.mkdirSync(dirname(resolve(file)), { recursive: true });
    const tempsRemoved = removeStaleTemps(file).length;
    const read = readMemory(file, options.params);
    for (const s of read.obsolete) nodeFs.rmSync(s.path, { force: true });
    const store = new MemoryStore(file, read, options, tempsRemoved);
    if (!read.snapshot) store.saveNow();
    return store;
  }

  get memory(): SequenceMemory {
    return this.ops.memory;
  }

  /** Journal bytes not yet folded into the snapshot. */
  get journalBytes(): number {
    return this.#olderBytes + this.#writer.bytes;
  }

  get limit(): number {
    return this.#limit ?? Math.max(1 << 20, Math.floor(this.#snapshotBytes / 16));
  }

  /** The journal is past its limit and no compaction is running. */
  get compactionDue(): boolean {
    return !this.#compacting && (this.#writer.records > 0 || this.#segments.length > 1) && this.journalBytes > this.limit + this.#retryAfter;
  }

  /** Changes recorded since the last commit. */
  get uncommitted(): number {
    return this.#uncommitted;
  }

  stats(): StoreStats {
    return { ...this.#stats, snapshotBytes: this.#snapshotBytes, journalBytes: this.journalBytes, journalRecords: this.#writer.records };
  }

  #record(c: MemoryChange): void {
    this.#uncommitted++;
    if (this.#needsSnapshot) return;
    try {
      this.#writer.append(encodeChange(c));
    } catch {
      // the memory holds a change the journal does not: only a whole snapshot can save it now
      this.#needsSnapshot = true;
    }
  }

  /** Makes every recorded change durable (journal fdatasync, or a whole snapshot after a failed append); throws if it cannot. */
  commit(): void {
    if (this.#needsSnapshot) this.saveNow();
    else this.#writer.sync();
    this.#uncommitted = 0;
  }

  /**
   * Folds the journal into a new snapshot without blocking this thread on the write: a new segment
   * takes the changes from now on, the memory is encoded here, the file is written and synced by
   * libuv's threads, and the folded segments are removed once the snapshot is in place.
   */
  compact(): Promise<void> {
    if (this.#compacting) return this.#compacting;
    const run = async () => {
      let folded: Segment[];
      let bytes: Buffer;
      try {
        folded = this.#rotate();
        bytes = encodeSnapshot(this.memory, { generation: this.#writer.generation });
        await writeSnapshotBytesAsync(bytes, this.file);
      } catch (err) {
        this.#stats.lastError = (err as Error).message;
        this.#retryAfter = this.journalBytes;
        return; // the old snapshot and every segment are still in place
      }
      this.#dropFolded(folded, bytes.length);
    };
    this.#compacting = run()
      .catch((err: unknown) => void (this.#stats.lastError = (err as Error).message)) // never an unhandled rejection in the worker
      .finally(() => (this.#compacting = null));
    return this.#compacting;
  }

  /** A running compaction's end (resolves at once if none runs). */
  async settled(): Promise<void> {
    await this.#compacting;
  }

  /**
   * Writes a snapshot of everything now, on this thread (a new memory's first snapshot, a commit after a
   * failed append, an explicit save); returns its bytes. Call only when no compaction runs (settled()).
   */
  saveNow(): number {
    if (this.#compacting) throw new Error('memory store: a compaction is running (await settled() first)');
    const folded = this.#rotate();
    const bytes = writeSnapshotBytes(encodeSnapshot(this.memory, { generation: this.#writer.generation }), this.file);
    this.#dropFolded(folded, bytes);
    this.#needsSnapshot = false;
    this.#uncommitted = 0;
    return bytes;
  }

  /** Ends the store: waits for a running compaction, folds what the journal holds (so the next start replays nothing). */
  async close(): Promise<void> {
    await this.settled();
    try {
      if (this.#writer.records > 0 || this.#segments.length > 1 || this.#needsSnapshot) this.saveNow();
    } finally {
      this.#writer.close();
    }
  }

  /** Starts the next segment; returns the segments the coming snapshot will hold. */
  #rotate(): Segment[] {
    this.#writer.sync();
    const folded = [...this.#segments];
    const older = this.#writer.bytes;
    const next = this.#newSegment(this.#writer.generation + 1);
    this.#writer.close();
    this.#olderBytes += older;
    this.#writer = next;
    return folded;
  }

  #newSegment(generation: number): JournalWriter {
    const seg = { generation, path: segmentPath(this.file, generation) };
    const w = JournalWriter.create(seg, this.#fs);
    this.#segments = [...(this.#segments ?? []), seg];
    return w;
  }

  #dropFolded(folded: Segment[], snapshotBytes: number): void {
    for (const s of folded) nodeFs.rmSync(s.path, { force: true });
    syncDir(dirname(this.file));
    const gone = new Set(folded.map((s) => s.generation));
    this.#segments = this.#segments.filter((s) => !gone.has(s.generation));
    // what is left: the segments started since (the writer's among them)
    this.#olderBytes = 0;
    for (const s of this.#segments) if (s.generation !== this.#writer.generation) this.#olderBytes += safeSize(s.path);
    this.#snapshotBytes = snapshotBytes;
    this.#stats.compactions++;
    this.#stats.lastError = null;
    this.#retryAfter = 0;
  }
}

function safeSize(path: string): number {
  try {
    return nodeFs.statSync(path).size;
  } catch {
    return 0;
  }
}
