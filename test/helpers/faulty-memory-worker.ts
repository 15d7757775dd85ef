// Test helper: the real memory worker, plus a fault: learning the title 'fault' throws an uncaught
// error in the worker the moment the request arrives (before the queued requests are taken), as a bug
// or a failed allocation would. The agent must fail what was pending, report it, and start again.
import { parentPort, workerData } from 'node:worker_threads';
import { runMemoryWorker, type MemoryWorkerData } from '../../src/agent/memory-worker.js';
import type { WorkerRequest } from '../../src/agent/worker-client.js';

runMemoryWorker(parentPort!, workerData as MemoryWorkerData);
parentPort!.on('message', (r: WorkerRequest) => {
  if (r.method === 'learn' && r.args[0] === 'fault') throw new Error('simulated fault in the memory worker');
});
