import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FleetDescription, RobotFleet, RobotStatus } from './robot-fleet.js';

/** What the live stream sends, one JSON object per server-sent event. */
export type RobotStreamMessage =
  | { type: 'robots'; ids: string[] }
  | { type: 'robot-state'; id: string; time: number; positions: number[]; fingers?: number[]; gripper?: number }
  | ({ type: 'robot-status' } & RobotStatus)
  | { type: 'robot-path'; id: string; title: string; times: number[]; positions: number[][] };

export interface RobotStreamOptions {
  /** Most joint states sent per robot per second; the latest state always goes out. */
  hz?: number;
}

/**
 * Follows the fleet's events for one viewer: on join/leave the robot ids, each robot's joint states
 * thinned to `hz` (the latest one is always sent, on a timer only when states come faster than that),
 * its status when its link, stop or activity changes, and the path a skill is about to follow. Nothing is
 * polled: it all comes from the fleet's events. Returns the function that stops it.
 */
export function robotStream(fleet: RobotFleet | undefined, send: (m: RobotStreamMessage) => void, options: RobotStreamOptions = {}): () => void {
  const events = fleet?.events;
  if (!fleet || !events) {
    send({ type: 'robots', ids: fleet?.list().map((r) => r.id) ?? [] });
    return () => undefined;
  }
  const period = 1000 / (options.hz ?? 30);
  const robots = new Map<string, { last: number; pending: RobotStreamMessage | null; timer: ReturnType<typeof setTimeout> | null }>();
  const slot = (id: string) => {
    let r = robots.get(id);
    if (!r) robots.set(id, (r = { last: -Infinity, pending: null, timer: null }));
    return r;
  };
  const flush = (id: string) => {
    const r = slot(id);
    r.timer = null;
    if (!r.pending) return;
    send(r.pending);
    r.pending = null;
    r.last = Date.now();
  };
  const offs = [
    events.on('state', ({ id, state }) => {
      const r = slot(id);
      r.pending = { type: 'robot-state', id, time: state.time, positions: state.positions, ...(state.fingers.length ? { fingers: state.fingers } : {}), ...(state.gripper === undefined ? {} : { gripper: state.gripper }) };
      if (r.timer) return;
      const wait = r.last + period - Date.now();
      if (wait <= 0) flush(id);
      else r.timer = setTimeout(() => flush(id), wait);
    }),
    events.on('status', ({ id }) => {
      const s = fleet.list().find((r) => r.id === id);
      if (s) send({ type: 'robot-status', ...s });
    }),
    events.on('path', (p) => send({ type: 'robot-path', ...p })),
    events.on('members', ({ ids }) => {
      for (const [id, r] of robots) if (!ids.includes(id)) (r.timer && clearTimeout(r.timer), robots.delete(id));
      send({ type: 'robots', ids });
    }),
  ];
  send({ type: 'robots', ids: fleet.list().map((r) => r.id) });
  return () => {
    for (const off of offs) off();
    for (const r of robots.values()) if (r.timer) clearTimeout(r.timer);
    robots.clear();
  };
}

/**
 * The robots' part of the HTTP API (see serve.ts): GET /api/robots (descriptions and status) and GET
 * /api/robots/live (the stream above as server-sent events). Answers true when it handled the request.
 */
export function robotsApi(fleet: () => RobotFleet | undefined, req: IncomingMessage, res: ServerResponse, path: string, options: RobotStreamOptions = {}): boolean {
  if (path !== '/api/robots' && path !== '/api/robots/live') return false;
  if (req.method !== 'GET') {
    json(res, 405, { error: `${req.method} ${path}: not allowed` });
    return true;
  }
  const f = fleet();
  if (path === '/api/robots') {
    const body: FleetDescription | { robots: [] } = f?.describe?.() ?? { robots: [] };
    json(res, 200, body);
    return true;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': engram robots\n\n');
  const stop = robotStream(f, (m) => res.write(`data: ${JSON.stringify(m)}\n\n`), options);
  req.on('close', stop);
  return true;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
