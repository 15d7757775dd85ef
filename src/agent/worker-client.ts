import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Emitter } from '../../robots/events.js';

/**
 * The messages between a WorkerClient and its worker. A worker posts `{ ready: true }` once it can take
 * requests (or throws, which fails the start), then answers each request with its id, in any order, one
 * reply or several in one message (fewer hand-offs: each message takes the receiving port's lock).
 */
export interface WorkerRequest {
  id: number;
  method: string;
  args: unknown[];
}
export type WorkerReply = { id: number; value: unknown } | { id: number; error: EncodedError };
export interface WorkerReady {
  ready: true;
}

/** An error as it crosses a thread: its class name, message and plain fields (field, title, reason...). */
export interface EncodedError {
  name: string;
  message: string;
  fields?: Record<string, string | number | boolean | null>;
}

export function encodeError(err: unknown): EncodedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const fields: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(err)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v as string | number | boolean | null;
  return { name: err.name, message: err.message, ...(Object.keys(fields).length ? { fields } : {}) };
}

/** The error again on this side: same name and message (the HTTP layer maps names to 400/404), same fields. */
export function decodeError(e: EncodedError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  return Object.assign(err, e.fields ?? {});
}

/** A worker ended without being asked to: what was pending with it fails with this. */
export class WorkerCrashError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkerCrashError';
  }
}

export interface WorkerClientEvents {
  /** The worker crashed (every pending request got this error too). */
  error: Error;
  /** A new worker took over after a crash. */
  restarted: { restarts: number };
}

export interface WorkerClientOptions {
  /** What the worker is, in error messages ('memory worker'). */
  name: string;
  /** The workerData of each start, asked anew for a restart (a restart reads the state saved since). */
  workerData: () => unknown;
  /** Restart after a crash (default true); a worker that crashes before it is ready is not restarted. */
  restart?: boolean;
  /**
   * The worker thread's nice value (default 0; Linux keeps one per thread): a heavy worker above 0 lets
   * the thread that talks to robots have a core first when they compete.
   */
  nice?: number;
}

/**
 * A worker thread seen as an async service: requests go out in order, each answered by id; errors come
 * back with their name and message. A crash (an uncaught error, an unexpected exit) fails every pending
 * request, is reported as an 'error' event, and a new worker is started from options.workerData().
 * From TypeScript sources (vitest, tsx) the worker gets tsx's loader; from dist/ it is plain .js.
 */
export class WorkerClient {
  readonly events = new Emitter<WorkerClientEvents>();
  readonly #entry: URL;
  readonly #o: Required<WorkerClientOptions>;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #nextId = 1;
  #closing = false;
  #failed: Error | null = null;
  #restarts = 0;

  constructor(entry: URL, options: WorkerClientOptions) {
    this.#entry = entry;
    this.#o = { restart: true, nice: 0, ...options };
  }

  /** Starts the worker; resolves when it is ready, rejects with the error that kept it from starting. */
  start(): Promise<void> {
    if (this.#ready) return this.#ready;
    this.#ready = this.#spawn();
    return this.#ready;
  }

  /** Sends one request; requests are taken in the order sent. */
  request<T>(method: string, args: unknown[]): Promise<T> {
    if (this.#closing) return Promise.reject(new WorkerCrashError(`${this.#o.name}: closed`));
    if (this.#failed) return Promise.reject(this.#failed);
    if (!this.#worker) return Promise.reject(new WorkerCrashError(`${this.#o.name}: not started`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker!.postMessage({ id, method, args } satisfies WorkerRequest);
    });
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Stops the worker; pending requests fail (what was acknowledged is already saved). With `finish`, that
   * request is sent first and the worker stopped once it is answered (or after timeoutMs): the requests
   * sent before it are answered too (they are taken in order).
   */
  async close(finish?: { method: string; args?: unknown[]; timeoutMs: number }): Promise<void> {
    if (finish && !this.#closing && this.#worker && !this.#failed) {
      let timer: NodeJS.Timeout | undefined;
      const done = this.request(finish.method, finish.args ?? []).catch(() => undefined);
      this.#closing = true;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, finish.timeoutMs)))]);
      clearTimeout(timer);
    }
    this.#closing = true;
    this.#failAll(new WorkerCrashError(`${this.#o.name}: closed`));
    const w = this.#worker;
    this.#worker = null;
    if (w) await w.terminate();
  }

  #spawn(): Promise<void> {
    const worker = startWorker(this.#entry, this.#o.workerData(), this.#o.nice);
    this.#worker = worker;
    let ready = false;
    let lastError: Error | null = null;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: WorkerReply | WorkerReply[] | WorkerReady) => {
        if ('ready' in m) {
          ready = true;
          return resolve();
        }
        for (const reply of Array.isArray(m) ? m : [m]) this.#settle(reply);
      });
      worker.on('error', (err) => (lastError = err));
      worker.on('exit', (code) => {
        if (this.#worker !== worker) return; // closed, or replaced
        this.#worker = null;
        const why = lastError ? lastError.message : `exited with code ${code}`;
        if (!ready) {
          // it could not start (a bad memory file, a missing module): restarting would fail the same way
          const err = new WorkerCrashError(`${this.#o.name} could not start: ${why}`, { cause: lastError ?? undefined });
          this.#failed = err;
          this.#failAll(err);
          reject(err);
          if (this.#restarts > 0) this.events.emit('error', err);
          return;
        }
        const err = new WorkerCrashError(`${this.#o.name} crashed: ${why}${this.#o.restart ? '; restarted from its saved state' : ''}`, { cause: lastError ?? undefined });
        this.#failAll(err);
        if (this.#o.restart && !this.#closing) {
          this.#restarts++;
          this.#ready = this.#spawn().then(() => this.events.emit('restarted', { restarts: this.#restarts }));
          this.#ready.catch(() => undefined);
        } else this.#failed = err;
        this.events.emit('error', err);
      });
    });
  }

  #settle(reply: WorkerReply): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    if ('error' in reply) p.reject(decodeError(reply.error));
    else p.resolve(reply.value);
  }

  #failAll(err: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
  }
}

/**
 * A worker on `entry`, started by a small boot script: it sets the thread's nice value, and for a .ts
 * entry (running from sources: vitest, tsx) registers tsx's ESM loader first. (Node 20 does not apply
 * `--import tsx` from execArgv to a worker's own entry module: ERR_UNKNOWN_FILE_EXTENSION.)
 */
function startWorker(entry: URL, workerData: unknown, nice: number): Worker {
  const steps = [`import('node:os').then((os) => { try { os.setPriority(${nice}); } catch {} })`];
  if (entry.pathname.endsWith('.ts')) steps.push(`.then(() => import(${JSON.stringify(tsxEsmApi())})).then((tsx) => tsx.register())`);
  steps.push(`.then(() => import(${JSON.stringify(entry.href)}));`);
  return new Worker(steps.join(''), { eval: true, workerData });
}

/** tsx/esm/api as an ES module URL (tsx is a devDependency: only sources need it). */
function tsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(pkgFile)).href;
}
