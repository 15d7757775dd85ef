/**
 * The sim worker: runs the physics of planned pieces (performPlanned) off the agent's event loop, one
 * at a time, so a long browser performance neither stalls the robots nor waits behind the memory. The
 * agent's wiring starts it (a WorkerClient from src/agent/worker-client.ts, whose messages these are)
 * and gives it pieces the memory worker planned.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { physicsOnThread, type PhysicsRunner } from './simulator.js';

type Request = { id: number; method: keyof PhysicsRunner; args: unknown[] };

if (parentPort && (workerData as { entry?: string } | null)?.entry === import.meta.url) {
  const port = parentPort;
  port.on('message', (r: Request) => {
    const run = physicsOnThread[r.method] as ((...a: unknown[]) => Promise<unknown>) | undefined;
    const answer = run ? run(...r.args) : Promise.reject(new TypeError(`sim worker: no request '${String(r.method)}'`));
    answer.then(
      (value) => port.postMessage({ id: r.id, value }),
      (err: Error) => port.postMessage({ id: r.id, error: { name: err.name, message: err.message } }),
    );
  });
  port.postMessage({ ready: true });
}
