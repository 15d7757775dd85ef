/**
 * The memory worker: owns the agent's SequenceMemory (its file's snapshot with the journal replayed, or
 * new) and answers the MemoryService's requests in the order they came (memory-service.ts starts it).
 * Changes are journaled and synced before they are acknowledged; requests that arrive together share one
 * sync (group commit), and an answer given after a change waits for that sync, so nothing anyone was told
 * about can be lost. When the journal grows past its limit it is compacted into a new snapshot in the
 * background (encoded here, written by libuv's threads) while requests go on being answered.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { MemoryParams } from '../memory/params.js';
import type { JournalFs } from './memory-journal.js';
import { CHANGING_OPERATIONS } from './memory-operations.js';
import { MemoryStore } from './memory-store.js';
import { encodeError, type WorkerReady, type WorkerReply, type WorkerRequest } from './worker-client.js';

export interface MemoryWorkerData {
  /** The worker's entry module (this file unless a test wraps it): the one that serves. */
  entry: string;
  file: string;
  params?: Partial<MemoryParams>;
  /** Compact when the journal holds more bytes than this (default: see MemoryStoreOptions). */
  journalLimit?: number;
}

/** Requests the store answers itself, after the queue before them is done and no compaction runs. */
const STORE_REQUESTS: ReadonlySet<string> = new Set(['save', 'storage', 'shutdown']);

/** Serves `port` with the memory in `data.file` (loaded before it says it is ready); `fs`: a test's journal file calls. */
export function runMemoryWorker(port: MessagePort, data: MemoryWorkerData, fs?: JournalFs): void {
  const store = MemoryStore.open(data.file, { params: data.params, journalLimit: data.journalLimit, fs });
  const ops = store.ops;
  const queue: WorkerRequest[] = [];
  let scheduled = false;
  let blocked = false; // a store request is waiting for a compaction to end
  let shutDown = false;

  const call = (r: WorkerRequest): unknown => {
    const op = (ops as unknown as Record<string, unknown>)[r.method];
    if (typeof op !== 'function' || r.method === 'constructor' || r.method === 'apply' || r.method === 'save') throw new TypeError(`memory worker: no request '${r.method}'`);
    return (op as (...a: unknown[]) => unknown).apply(ops, r.args);
  };

  const storeRequest = async (r: WorkerRequest): Promise<unknown> => {
    await store.settled();
    if (r.method === 'save') return store.saveNow();
    if (r.method === 'storage') return store.stats();
    shutDown = true;
    await store.close();
    return store.stats();
  };

  const drain = () => {
    scheduled = false;
    if (blocked) return;
    // answers go out several to a message (each message takes the receiving port's lock and wakes the
    // agent's loop), at least every 5 ms of work: before the batch's first change, and after its sync
    let now: WorkerReply[] = [];
    let flushed = performance.now();
    const held: Array<{ reply: WorkerReply; changed: boolean }> = [];
    let next: WorkerRequest | null = null;
    while (queue.length > 0) {
      const r = queue.shift()!;
      if (STORE_REQUESTS.has(r.method) || shutDown) {
        next = r;
        break;
      }
      let reply: WorkerReply;
      try {
        reply = { id: r.id, value: call(r) };
      } catch (err) {
        reply = { id: r.id, error: encodeError(err) };
      }
      // an answer after an unsynced change waits for the sync
      const changed = CHANGING_OPERATIONS.has(r.method) && 'value' in reply;
      if (held.length > 0 || changed) held.push({ reply, changed });
      else now.push(reply);
      if (now.length > 0 && performance.now() - flushed > 5) {
        port.postMessage(now);
        now = [];
        flushed = performance.now();
      }
    }
    if (now.length > 0) port.postMessage(now);
    if (held.length > 0) {
      if (store.uncommitted > 0) {
        try {
          store.commit();
        } catch (err) {
          // the change stays in this memory but is not durable: whoever asked for it is told
          const error = encodeError(err);
          for (const h of held) if (h.changed) h.reply = { id: h.reply.id, error };
        }
      }
      port.postMessage(held.map((h) => h.reply));
    }
    if (store.compactionDue && !shutDown) void store.compact();
    if (next) {
      const r = next;
      blocked = true;
      const answer = shutDown && r.method !== 'shutdown' ? Promise.reject(new Error('memory worker: shut down')) : storeRequest(r);
      void answer
        .then(
          (value) => port.postMessage([{ id: r.id, value }]),
          (err: unknown) => port.postMessage([{ id: r.id, error: encodeError(err) }]),
        )
        .finally(() => {
          blocked = false;
          if (queue.length > 0) drain();
        });
    }
  };

  port.on('message', (r: WorkerRequest) => {
    queue.push(r);
    if (!scheduled && !blocked) {
      scheduled = true;
      setImmediate(drain); // let the requests that arrived together queue up first
    }
  });
  port.postMessage({ ready: true } satisfies WorkerReady);
}

if (parentPort && (workerData as Partial<MemoryWorkerData> | null)?.entry === import.meta.url) runMemoryWorker(parentPort, workerData as MemoryWorkerData);
