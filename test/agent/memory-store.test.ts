import * as fs from 'node:fs';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { openMemory } from '../../src/agent/library.js';
import { journalSegments, type JournalFs } from '../../src/agent/memory-journal.js';
import { MemoryWorker } from '../../src/agent/memory-service.js';
import { MemoryStore, readMemory } from '../../src/agent/memory-store.js';
import { runMemoryWorker } from '../../src/agent/memory-worker.js';
import type { WorkerReply, WorkerRequest } from '../../src/agent/worker-client.js';
import { encodeSnapshot, loadSnapshot, loadSnapshotFile } from '../../src/memory/snapshot.js';
import { memoryFiles, midi, sequence } from '../helpers/memory-fixtures.js';

const { dir, newFile } = memoryFiles('engram-store-');
const joints = [{ name: 'a', min: -1, max: 1 }, { name: 'b', min: -1, max: 1 }];
const samples = Array.from({ length: 101 }, (_, k) => ({ time: k / 50, positions: [0.5 * Math.sin((Math.PI * k) / 100), k < 50 ? 0 : 0.4] }));

/** Learns three kinds of change and commits them, as the worker does before answering. */
function learnThree(store: MemoryStore): void {
  store.ops.learnMidi('alpha', midi([60, 62, 64, 65, 67]));
  store.ops.learn('beta', sequence([70, 72, 74, 76]));
  store.ops.teachSkill('reach', samples, joints, { robot: 'arm' });
  store.commit();
}

const segmentOf = (file: string) => journalSegments(file).at(-1)!.path;

describe('the memory journal', () => {
  it('replays every committed change after a crash, to the very same memory', () => {
    const file = newFile();
    const store = MemoryStore.open(file);
    learnThree(store);
    // a crash: the store is never closed; the snapshot is the empty one written at open
    expect(loadSnapshot(file).size).toBe(0);
    const read = readMemory(file);
    expect(read.replayed).toBe(3);
    expect(read.memory.titles().map((e) => e.title)).toEqual(['alpha', 'beta', 'reach']);
    expect(encodeSnapshot(read.memory).equals(encodeSnapshot(store.memory))).toBe(true);
    expect(read.memory.recall('alpha').tracks[0]!.notes.map((n) => n.symbol)).toEqual([60, 62, 64, 65, 67]);
  });

  it('ignores a torn last record (a kill mid-append), cuts it off, and appends after the last whole one', () => {
    const file = newFile();
    const store = MemoryStore.open(file);
    learnThree(store);
    const whole = statSync(segmentOf(file)).size;
    store.ops.learn('torn', sequence([40, 41, 42, 43, 44, 45]));
    store.commit();
    const full = statSync(segmentOf(file)).size;
    const gen = journalSegments(file).at(-1)!.generation;
    for (const cut of [whole + 3, whole + 8, full - 1]) {
      const f = newFile();
      const seg = `${f}.journal.${gen}`;
      fs.copyFileSync(file, f);
      fs.copyFileSync(segmentOf(file), seg);
      truncateSync(seg, cut);
      expect(readMemory(f).memory.titles().map((e) => e.title)).toEqual(['alpha', 'beta', 'reach']);
      const again = MemoryStore.open(f);
      expect(statSync(seg).size).toBe(whole);
      again.ops.learn('after', sequence([50, 52]));
      again.commit();
      expect(openMemory(f).titles().map((e) => e.title)).toEqual(['alpha', 'beta', 'reach', 'after']);
    }
  });

  it('names a corrupt record that has whole records after it, and changes no file', () => {
    const file = newFile();
    const store = MemoryStore.open(file);
    learnThree(store);
    const seg = segmentOf(file);
    const bytes = readFileSync(seg);
    // record 2 starts after the 16-byte header and record 1 (8-byte head + payload)
    const second = 16 + 8 + bytes.readUInt32LE(16);
    bytes[second + 8 + 5] = bytes[second + 8 + 5]! ^ 0xff;
    writeFileSync(seg, bytes);
    const before = readdirSync(dir).map((n) => [n, statSync(join(dir, n)).size]);
    expect(() => MemoryStore.open(file)).toThrow(`${seg}: record 2 at byte ${second} is corrupt (checksum mismatch)`);
    expect(readdirSync(dir).map((n) => [n, statSync(join(dir, n)).size])).toEqual(before);
  });

  it('compacts into a new snapshot and drops the folded segments; a segment the snapshot holds is not replayed twice', async () => {
    const file = newFile();
    const store = MemoryStore.open(file, { journalLimit: 100 });
    learnThree(store);
    expect(store.compactionDue).toBe(true);
    const folded = segmentOf(file);
    const foldedBytes = readFileSync(folded);
    await store.compact();
    expect(store.compactionDue).toBe(false);
    expect(fs.existsSync(folded)).toBe(false);
    const snap = loadSnapshotFile(file);
    expect(snap.generation).toBe(2); // 0: the empty start, 1: after the first snapshot, 2: after this one
    expect(snap.memory.titles().map((e) => e.title)).toEqual(['alpha', 'beta', 'reach']);
    store.ops.learn('later', sequence([30, 31, 32]));
    store.commit();
    // a kill between the snapshot's rename and the removal of the segments it holds
    writeFileSync(folded, foldedBytes);
    const read = readMemory(file);
    expect(read.obsolete.map((s) => s.path)).toEqual([folded]);
    expect(read.memory.titles().map((e) => e.title)).toEqual(['alpha', 'beta', 'reach', 'later']);
    expect(encodeSnapshot(read.memory).equals(encodeSnapshot(store.memory))).toBe(true);
    MemoryStore.open(file);
    expect(fs.existsSync(folded)).toBe(false);
  });

  it('removes the temporary files killed saves left, except those of a live process', () => {
    const file = newFile();
    MemoryStore.open(file).ops.learn('x', sequence([1, 2, 3]));
    const name = file.split('/').at(-1)!;
    const dead = join(dir, `.${name}.tmp-999999999-1-1`);
    const mine = join(dir, `.${name}.tmp-${process.pid}-1-1`);
    const live = join(dir, `.${name}.tmp-${process.ppid}-1-1`);
    for (const f of [dead, mine, live]) writeFileSync(f, Buffer.alloc(1000));
    const store = MemoryStore.open(file);
    expect(store.stats().tempsRemoved).toBe(2);
    expect([dead, mine, live].map((f) => fs.existsSync(f))).toEqual([false, false, true]);
    rmSync(live);
  });

  it('the worker answers a learn only after the journal is synced, and fails it when the sync fails', async () => {
    const file = newFile();
    const log: string[] = [];
    let failSync = false;
    const recording: JournalFs = {
      ...fs,
      writeSync: ((...a: Parameters<typeof fs.writeSync>) => (log.push('write'), (fs.writeSync as (...x: unknown[]) => number)(...a))) as typeof fs.writeSync,
      fdatasyncSync: (fd: number) => {
        log.push('fdatasync');
        if (failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        fs.fdatasyncSync(fd);
      },
    };
    // the worker's code on this thread, over a message channel, with the recording file calls
    const { port1, port2 } = new MessageChannel();
    runMemoryWorker(port1, { entry: '', file }, recording);
    const replies = new Map<number, WorkerReply>();
    const answered = new Map<number, () => void>();
    port2.on('message', (m: WorkerReply[] | { ready: true }) => {
      if (!Array.isArray(m)) return;
      for (const r of m) {
        log.push(`reply ${r.id}`);
        replies.set(r.id, r);
        answered.get(r.id)?.();
      }
    });
    const ask = (r: WorkerRequest) => new Promise<WorkerReply>((res) => (answered.set(r.id, () => res(replies.get(r.id)!)), port2.postMessage(r)));
    log.length = 0;
    const [a, b] = await Promise.all([ask({ id: 1, method: 'learn', args: ['one', sequence([60, 61, 62])] }), ask({ id: 2, method: 'learn', args: ['two', sequence([63, 64, 65])] })]);
    expect('value' in a && 'value' in b).toBe(true);
    // both records written, one sync for both (group commit), then the answers
    expect(log).toEqual(['write', 'write', 'fdatasync', 'reply 1', 'reply 2']);
    failSync = true;
    log.length = 0;
    const c = await ask({ id: 3, method: 'learn', args: ['three', sequence([66, 67])] });
    expect(log).toEqual(['write', 'fdatasync', 'reply 3']);
    expect(c).toMatchObject({ id: 3, error: { name: 'JournalError', message: expect.stringContaining('could not be synced: EIO') } });
    failSync = false;
    const shut = await ask({ id: 4, method: 'shutdown', args: [] });
    expect(shut).toMatchObject({ value: expect.objectContaining({ journalRecords: 0 }) });
    port2.close();
  });

  it('closing the worker folds the journal into the memory file', async () => {
    const file = newFile();
    const memory = await MemoryWorker.start({ file });
    await memory.learnMidi('alpha', midi([60, 62, 64]));
    await memory.teachSkill('reach', samples, joints);
    expect(await memory.storage()).toMatchObject({ journalRecords: 2, compactions: 1 });
    expect(loadSnapshot(file).size).toBe(0);
    await memory.close();
    expect(loadSnapshot(file).titles().map((e) => e.title)).toEqual(['alpha', 'reach']);
    expect(readMemory(file).replayed).toBe(0);
  });
});
