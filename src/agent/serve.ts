import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { answerWithoutToken } from './access-token.js';
import { checkPerformRequest, checkRoutedCommand, clip, MAX_DEPTH, MAX_MESSAGE_BYTES, tooDeep } from './command-schemas.js';
import type { AgentCore } from './agent-core.js';
import { robotsApi } from './robots-api.js';
import { refuseRequest } from './request-origin.js';
import { acceptsEncoding, StaticFiles } from './static-files.js';

/** The built web app: dist/web beside dist/src (or repo/dist/web when running from sources). */
export function webDir(): string {
  const here = new URL('.', import.meta.url).pathname;
  const root = here.replace(/\/(dist\/)?src\/agent\/$/, '/');
  return join(root, 'dist', 'web');
}

/**
 * Errors a request can cause (bad input, a robot that is stopped or busy): 400, not 500. By name: errors
 * from the memory and sim workers arrive as their name and message, not as their classes.
 */
const USER_ERRORS = new Set(['MemoryInputError', 'CommandError', 'FleetError', 'SafetyError', 'DemonstrationError', 'MidiFileError', 'RobotDescriptionError', 'RangeError']);

/** The HTTP status for an error a command or performance threw. */
function statusOf(err: Error): number {
  return err.name === 'UnknownTitleError' ? 404 : USER_ERRORS.has(err.name) ? 400 : 500;
}

export interface ServeOptions {
  /** The agent shared with the other channels: its commands, events, and simulated arms (/api/perform). */
  agent: AgentCore;
  /** 127.0.0.1 unless said otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  web?: string;
  /** The access token (access-token.ts): when given, every request must carry it; none: loopback-only use. */
  token?: string;
  /** The API's bounds (HTTP_LIMITS unless said otherwise; tests make them small). */
  limits?: Partial<HttpLimits>;
}

/** What one client can make the API hold: body bytes, time to send a body, requests and streams at once. */
export interface HttpLimits {
  /** POST /api/command body, bytes (a learn's MIDI is at most 4 MB of base64). */
  commandBytes: number;
  /** POST /api/perform body, bytes. */
  performBytes: number;
  /** API requests being answered at once (event streams and stop not counted); more get 503 with Retry-After. */
  concurrent: number;
  /** Request bodies being received at once; more get 503 with Retry-After. */
  reading: number;
  /** Bytes of request bodies held at once, all together; a body that would go past it gets 503. */
  bodyBudgetBytes: number;
  /** Event streams (/api/events, /api/robots/live) open at once; more get 503. */
  streams: number;
  /** Time a client has to send a whole body, ms; then 408 and the connection is closed. */
  bodyMs: number;
  /** Bytes an event stream may have waiting for a client that does not read; past it the stream is closed. */
  streamBacklogBytes: number;
  /** Longest request URL, bytes (414). */
  urlBytes: number;
  /** Connections open at once (idle keep-alive ones included); more are closed as they come. */
  connections: number;
}

export const HTTP_LIMITS: HttpLimits = {
  commandBytes: MAX_MESSAGE_BYTES,
  performBytes: 16 << 10,
  concurrent: 8,
  reading: 16,
  bodyBudgetBytes: 64 << 20,
  streams: 16,
  bodyMs: 20_000,
  streamBacklogBytes: 1 << 20,
  urlBytes: 4096,
  connections: 256,
};

/** A request the API refuses before running anything: its status and a message that names the part, never its content. */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The agent's HTTP face: the web app's files and a small JSON API.
 *   GET  /api/titles                       -> [{title, tracks, notes}]
 *   POST /api/perform {title, tempo, seconds} -> a recorded performance (arm poses, key events, score,
 *                                             played notes, report, the memory's spike raster)
 *   POST /api/perform {notes, unit, count}  -> the same for a continuation: the arms play on from the
 *                                             notes played (play along), at the player's tempo
 *   POST /api/command {command, ...}       -> {ok, result} or {ok: false, error}: any agent command
 *                                             (status, teach, stop, perform on robots, ...), checked
 *                                             against the same schemas as on MQTT
 *   GET  /api/events                       -> the agent's events as a server-sent event stream
 *   GET  /api/robots                       -> {keyboard, robots: [RobotStatus & {description}]}: every robot the
 *                                             agent drives, with its description (and URDF text when it has one)
 *   GET  /api/robots/live                  -> server-sent events, one JSON object each (robots-api.ts):
 *                                             {type: 'robots', ids} on connect and when robots join or leave;
 *                                             {type: 'robot-state', id, time, positions, fingers?} at most 30
 *                                             per robot per second (the latest always sent); {type:
 *                                             'robot-status', ...RobotStatus} when a link, stop or activity
 *                                             changes; {type: 'robot-path', id, title, times, positions} when
 *                                             a skill starts: the executed curve, sampled
 * Errors answer 4xx with {error} naming the field or title, never quoting the input whole. Bounded: body
 * bytes (413), time to send a body (408), requests and streams at once (503 + Retry-After), URL (414) and
 * header (431) sizes; with a token, requests without it get 401.
 */
export function serve(options: ServeOptions): Promise<Server> {
  const web = options.web ?? webDir();
  const agent = options.agent;
  const files = new StaticFiles(web);
  const limits: HttpLimits = { ...HTTP_LIMITS, ...options.limits };
  let running = 0;
  let streams = 0;
  const bodies = new BodyBudget(limits);
  // a request's headers must come within 10 s and its whole body within the limit (Node's own checks back ours up)
  const server = createServer({ maxHeaderSize: 16 << 10, headersTimeout: Math.min(10_000, limits.bodyMs + 5_000), requestTimeout: limits.bodyMs + 5_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpRefusal) return refuse(req, res, err);
      if (!res.headersSent) send(res, 500, { ok: false, error: clip((err as Error).message) });
      else res.destroy();
    });
  });
  server.maxConnections = limits.connections;
  /** Takes one of the `concurrent` places until the answer is sent; false (and 503 sent) when none is free. */
  function enter(res: ServerResponse): boolean {
    if (running >= limits.concurrent) {
      res.setHeader('retry-after', '1');
      send(res, 503, { ok: false, error: `busy: ${limits.concurrent} requests are being answered already; try again` });
      return false;
    }
    running++;
    res.once('close', () => running--);
    return true;
  }
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((req.url ?? '').length > limits.urlBytes) return send(res, 414, { ok: false, error: `URL: longer than ${limits.urlBytes} bytes` });
    const refused = refuseRequest(req, options.host ?? '127.0.0.1');
    if (refused) return send(res, refused.status, { ok: false, error: refused.error });
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (options.token !== undefined && answerWithoutToken(req, res, url, options.token)) return;
    if (req.method === 'GET' && (url.pathname === '/api/events' || url.pathname === '/api/robots/live')) {
      if (streams >= limits.streams) {
        res.setHeader('retry-after', '10');
        return send(res, 503, { ok: false, error: `busy: ${limits.streams} event streams are open already` });
      }
      streams++;
      res.once('close', () => streams--);
      boundBacklog(res, limits.streamBacklogBytes);
    } else if (req.method === 'GET' && url.pathname.startsWith('/api/') && !enter(res)) return;
    if (robotsApi(() => agent.robots, req, res, url.pathname)) return;
    if (url.pathname === '/api/titles' && req.method === 'GET') return send(res, 200, await agent.run({ command: 'list' }, 'web'));
    if (url.pathname === '/api/events' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': engram events\n\n');
      const off = agent.events.on('event', (e) => res.write(`data: ${JSON.stringify(e)}\n\n`));
      req.on('close', off);
      return;
    }
    if (url.pathname === '/api/command' && req.method === 'POST') {
      const body = await bodies.readJson(req, limits.commandBytes);
      const checked = checkRoutedCommand(body, 'web');
      if (!checked.ok) return send(res, 400, { ok: false, error: checked.error });
      // stop is never turned away: however busy the API is, the robots can be stopped
      if (checked.command.command !== 'stop' && !enter(res)) return;
      try {
        return send(res, 200, { ok: true, result: await agent.run(checked.command, 'web') });
      } catch (err) {
        const e = err as Error;
        return send(res, statusOf(e), { ok: false, error: clip(e.message) });
      }
    }
    if (url.pathname === '/api/perform' && req.method === 'POST') {
      const checked = checkPerformRequest(await bodies.readJson(req, limits.performBytes));
      if (!checked.ok) return send(res, 400, { error: checked.error });
      if (!agent.simulator) return send(res, 503, { error: 'this agent has no simulated arms' });
      if (!enter(res)) return;
      const request = checked.request;
      try {
        // recalled in the memory worker, played in the sim worker, encoded and compressed there (gzip of
        // a few hundred KB here would lengthen the gaps in handling robots' joint states): the loop only
        // passes the bytes on
        const gzip = acceptsEncoding(req.headers['accept-encoding'], 'gzip');
        const rec =
          'notes' in request
            ? await agent.simulator.recordFrom({ notes: request.notes, unit: request.unit }, { count: request.count, tempo: request.tempo, seconds: request.seconds ?? 60, recordFps: 60, gzip })
            : await agent.simulator.recording(request.title, { tempo: request.tempo ?? 1, seconds: request.seconds ?? 60, recordFps: 60, gzip });
        if (rec.encoding === 'identity') return sendJson(res, 200, rec.body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', vary: 'accept-encoding', 'content-length': rec.body.byteLength });
        return void res.end(rec.body);
      } catch (err) {
        const e = err as Error;
        return send(res, statusOf(e), { error: clip(e.message) });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: `${req.method} ${url.pathname}: not allowed` });
    if (!(await files.serve(req, res, url.pathname))) return send(res, 503, { error: `the web app is not built (${web}): run npm run build` });
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => resolve(server));
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, JSON.stringify(body));
}

function sendJson(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers a refused request; a body left unread (too large, too slow) is not waited for: the connection closes. */
function refuse(req: IncomingMessage, res: ServerResponse, err: HttpRefusal): void {
  if (res.headersSent) return void res.destroy();
  if (err.status === 503) res.setHeader('retry-after', '1');
  const unread = !req.complete;
  if (unread) res.setHeader('connection', 'close');
  send(res, err.status, { ok: false, error: err.message });
  // the client may still be sending: give the answer a moment to leave, then drop the connection
  if (unread) res.once('finish', () => setTimeout(() => req.destroy(), 1000).unref());
}

/**
 * An event stream for a client that stops reading would buffer every event for it: past `max` bytes
 * waiting, the stream is closed (the page's EventSource reconnects by itself).
 */
function boundBacklog(res: ServerResponse, max: number): void {
  const write = res.write.bind(res) as (chunk: string) => boolean;
  res.write = ((chunk: string) => {
    if (res.destroyed) return false;
    if (res.writableLength > max) {
      res.destroy();
      return false;
    }
    return write(chunk);
  }) as typeof res.write;
}

/**
 * Request bodies being read: at most `reading` at once and `bodyBudgetBytes` held in all (503 past
 * either: a few large or slow uploads cannot take all the memory or every place).
 */
class BodyBudget {
  #reading = 0;
  #bytes = 0;
  constructor(readonly limits: HttpLimits) {}

  /**
   * A request body read whole, at most `limit` bytes (413: a Content-Length over it is refused before
   * reading) within bodyMs (408), parsed as JSON nested at most MAX_DEPTH deep (400). Chunks past a
   * limit are not kept.
   */
  async readJson(req: IncomingMessage, limit: number): Promise<unknown> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) {
      req.resume();
      throw new HttpRefusal(413, `request body: over ${limit} bytes`);
    }
    if (this.#reading >= this.limits.reading) {
      req.resume();
      throw new HttpRefusal(503, `busy: ${this.limits.reading} requests are being received already; try again`);
    }
    this.#reading++;
    let held = 0;
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => fail(new HttpRefusal(408, `request body: not received within ${this.limits.bodyMs / 1000} s`)), this.limits.bodyMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        chunks.length = 0; // freed now, not when the connection goes
        req.removeListener('data', onData);
        req.resume(); // read on and drop, until the connection closes
        reject(err);
      };
      const onData = (c: Buffer) => {
        if (held + c.length > limit) return fail(new HttpRefusal(413, `request body: over ${limit} bytes`));
        if (this.#bytes + c.length > this.limits.bodyBudgetBytes) return fail(new HttpRefusal(503, 'busy: too many request bodies are being received; try again'));
        held += c.length;
        this.#bytes += c.length;
        chunks.push(c);
      };
      req.on('data', onData);
      req.once('end', () => (clearTimeout(timer), resolve(Buffer.concat(chunks).toString('utf8'))));
      req.once('error', () => fail(new HttpRefusal(400, 'request body: the upload failed')));
    }).finally(() => {
      this.#reading--;
      this.#bytes -= held;
    });
    if (tooDeep(text)) throw new HttpRefusal(400, `request body: nested deeper than ${MAX_DEPTH} levels`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpRefusal(400, 'request body: not valid JSON');
    }
  }
}
