import type { IncomingMessage } from 'node:http';

/**
 * Who may talk to the agent's HTTP API: its own page only. A page on another site can send a "simple"
 * cross-origin POST (text/plain, no preflight) to 127.0.0.1 and move a robot; and a name that an
 * attacker's DNS points at 127.0.0.1 (DNS rebinding) makes the browser treat our API as that site's. So:
 * the Host header must name this server (a loopback name, or the address it listens on), a browser's
 * Origin must be that same host, and a POST must say it is JSON (which a cross-origin page can only send
 * after a preflight this server never grants). Returns why a request is refused, or null.
 */
export function refuseRequest(req: IncomingMessage, listenHost: string): { status: 403 | 415; error: string } | null {
  const host = req.headers.host;
  if (!host || !allowedHost(host, listenHost)) return { status: 403, error: 'Host: this server answers only to its own address (127.0.0.1, localhost or the address it listens on)' };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return { status: 403, error: 'Origin: not a valid origin' };
    }
    if (originHost !== host) return { status: 403, error: 'Origin: requests from other sites are refused' };
  }
  if (req.method === 'POST' && req.url?.startsWith('/api/')) {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return { status: 415, error: 'Content-Type: the API takes application/json' };
  }
  return null;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** A Host header names this server: a loopback name, or the host it listens on (any, when it listens on every interface). */
function allowedHost(host: string, listenHost: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  if (LOOPBACK.has(name.toLowerCase())) return true;
  if (listenHost === '0.0.0.0' || listenHost === '::') return true;
  return name === listenHost || name === `[${listenHost}]`;
}
