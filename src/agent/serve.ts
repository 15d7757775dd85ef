import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { checkRoutedCommand } from './command-schemas.js';
import type { AgentCore } from './agent-core.js';
import { robotsApi } from './robots-api.js';
import { refuseRequest } from './request-origin.js';
import { sendCompressedJson, StaticFiles } from './static-files.js';

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
}

/**
 * The agent's HTTP face: the web app's files and a small JSON API.
 *   GET  /api/titles                       -> [{title, tracks, notes}]
 *   POST /api/perform {title, tempo, seconds} -> a recorded performance (arm poses, key events, score,
 *                                             played notes, report, the memory's spike raster)
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
 * Errors answer 4xx with {error} naming the field or title.
 */
export function serve(options: ServeOptions): Promise<Server> {
  const web = options.web ?? webDir();
  const agent = options.agent;
  const files = new StaticFiles(web);
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: (err as Error).message }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = refuseRequest(req, options.host ?? '127.0.0.1');
    if (refused) return send(res, refused.status, { ok: false, error: refused.error });
    const url = new URL(req.url ?? '/', 'http://localhost');
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
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req, 64 << 20));
      } catch {
        return send(res, 400, { ok: false, error: 'request body: not valid JSON' });
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) return send(res, 400, { ok: false, error: 'request body: must be a JSON object' });
      const checked = checkRoutedCommand(body, 'web');
      if (!checked.ok) return send(res, 400, { ok: false, error: checked.error });
      try {
        return send(res, 200, { ok: true, result: await agent.run(checked.command, 'web') });
      } catch (err) {
        const e = err as Error;
        return send(res, statusOf(e), { ok: false, error: e.message });
      }
    }
    if (url.pathname === '/api/perform' && req.method === 'POST') {
      let body: { title?: unknown; tempo?: unknown; seconds?: unknown };
      try {
        body = JSON.parse(await readBody(req)) as typeof body;
      } catch {
        return send(res, 400, { error: 'request body: not valid JSON' });
      }
      if (typeof body.title !== 'string') return send(res, 400, { error: 'title: must be a string' });
      if (body.tempo !== undefined && typeof body.tempo !== 'number') return send(res, 400, { error: 'tempo: must be a number' });
      if (body.seconds !== undefined && typeof body.seconds !== 'number') return send(res, 400, { error: 'seconds: must be a number' });
      if (!agent.simulator) return send(res, 503, { error: 'this agent has no simulated arms' });
      try {
        // recalled in the memory worker, played in the sim worker, encoded there: the loop only passes the text on
        const json = await agent.simulator.recording(body.title, { tempo: body.tempo ?? 1, seconds: body.seconds ?? 60, recordFps: 60 });
        return sendCompressedJson(req, res, 200, json);
      } catch (err) {
        const e = err as Error;
        return send(res, statusOf(e), { error: e.message });
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

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
