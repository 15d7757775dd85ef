/**
 * The memory worker: owns the agent's SequenceMemory (loaded from its file, or new) and answers the
 * MemoryService's requests in the order they came (memory-service.ts starts it). Changes are saved
 * before they are acknowledged; requests that arrive together share one save (group commit), and an
 * answer given after a change waits for that save, so nothing anyone was told about can be lost.
 */
import { existsSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { MemoryParams } from '../memory/params.js';
import { SequenceMemory } from '../memory/sequence-memory.js';
import { loadSnapshot } from '../memory/snapshot.js';
import { CHANGING_OPERATIONS, MemoryOperations } from './memory-operations.js';
import { encodeError, type WorkerReady, type WorkerReply, type WorkerRequest } from './worker-client.js';

export interface MemoryWorkerData {
  /** The worker's entry module (this file unless a test wraps it): the one that serves. */
  entry: string;
  file: string;
  params?: Partial<MemoryParams>;
}

/** Serves `port` with the memory in `data.file` (loaded before it says it is ready). */
export function runMemoryWorker(port: MessagePort, data: MemoryWorkerData): void {
  const memory = existsSync(data.file) ? loadSnapshot(data.file) : new SequenceMemory(data.params);
  const ops = new MemoryOperations(memory, data.file);
  const queue: WorkerRequest[] = [];
  let scheduled = false;

  const call = (r: WorkerRequest): unknown => {
    const op = (ops as unknown as Record<string, unknown>)[r.method];
    if (typeof op !== 'function' || r.method === 'constructor') throw new TypeError(`memory worker: no request '${r.method}'`);
    return (op as (...a: unknown[]) => unknown).apply(ops, r.args);
  };

  const drain = () => {
    scheduled = false;
    // answers go out several to a message (each message takes the receiving port's lock and wakes the
    // agent's loop), at least every 5 ms of work: before the batch's first change, and after its save
    let now: WorkerReply[] = [];
    let flushed = performance.now();
    const held: Array<{ reply: WorkerReply; changed: boolean }> = [];
    while (queue.length > 0) {
      const r = queue.shift()!;
      let reply: WorkerReply;
      try {
        reply = { id: r.id, value: call(r) };
      } catch (err) {
        reply = { id: r.id, error: encodeError(err) };
      }
      // an answer after an unsaved change waits for the save
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
    if (held.length === 0) return;
    if (ops.dirty) {
      try {
        ops.save();
      } catch (err) {
        // the change stays in this memory but was not saved: whoever asked for it is told
        const error = encodeError(err);
        for (const h of held) if (h.changed) h.reply = { id: h.reply.id, error };
      }
    }
    port.postMessage(held.map((h) => h.reply));
  };

  port.on('message', (r: WorkerRequest) => {
    queue.push(r);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain); // let the requests that arrived together queue up first
    }
  });
  port.postMessage({ ready: true } satisfies WorkerReady);
}

if (parentPort && (workerData as Partial<MemoryWorkerData> | null)?.entry === import.meta.url) runMemoryWorker(parentPort, workerData as MemoryWorkerData);
