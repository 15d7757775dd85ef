import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The HTTP API's access token: a random secret kept in the user's config, so only someone who can read
 * the user's files (or was given the URL printed at start) can use the API. The page keeps working
 * without knowing it: opening `/?token=<token>` sets it as an HttpOnly, SameSite=Strict cookie (a page on
 * another site can neither read nor send it) and redirects to `/`; scripts send `Authorization: Bearer`.
 */

/** The cookie that carries the token for the page (HttpOnly: the page's scripts never see it). */
export const TOKEN_COOKIE = 'engram_token';
/** A token is URL-safe base64 of 32 random bytes; anything of this alphabet and 16-256 characters is accepted from a file or the environment. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,256}$/;

/** Where the token is kept: $ENGRAM_TOKEN_FILE, else $XDG_CONFIG_HOME/engram/token, else ~/.config/engram/token. */
export function tokenFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ENGRAM_TOKEN_FILE) return env.ENGRAM_TOKEN_FILE;
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'engram', 'token');
}

/** A token that cannot be used: the message names the file or variable, never the value. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/**
 * The token: $ENGRAM_TOKEN when set (tests, scripts), else the one in `file`, made there (mode 0600, its
 * folder 0700) the first time. A file others could read is made private again.
 */
export function loadOrCreateToken(file = tokenFile(), env: NodeJS.ProcessEnv = process.env): string {
  if (env.ENGRAM_TOKEN !== undefined) {
    if (!TOKEN_SHAPE.test(env.ENGRAM_TOKEN)) throw new TokenError('ENGRAM_TOKEN: must be 16-256 characters of A-Z a-z 0-9 _ -');
    return env.ENGRAM_TOKEN;
  }
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new TokenError(`${file}: cannot read the access token (${(err as NodeJS.ErrnoException).code})`);
  }
  if (text !== null) {
    if (!TOKEN_SHAPE.test(text)) throw new TokenError(`${file}: not an access token (16-256 characters of A-Z a-z 0-9 _ -); delete it to make a new one`);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return text;
  }
  const token = randomBytes(32).toString('base64url');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // wx: two agents starting at once keep the first one's token
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateToken(file, env);
    throw new TokenError(`${file}: cannot write the access token (${(err as NodeJS.ErrnoException).code})`);
  }
  return token;
}

/** Equal in constant time whatever the lengths (both hashed first: timingSafeEqual needs equal lengths). */
function sameToken(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries: `Authorization: Bearer <token>`, else the cookie. */
function presented(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer /i.test(auth)) return auth.slice(7).trim();
  const cookie = req.headers.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) return part.slice(eq + 1).trim();
    }
  }
  return null;
}

/**
 * Checks a request against the token. `/?token=<token>` (a GET) answers with the cookie and a redirect
 * to the same path without the token (so it leaves the address bar and the history); a request without
 * the right token is answered 401. Returns true when the request was answered here.
 */
export function answerWithoutToken(req: IncomingMessage, res: ServerResponse, url: URL, token: string): boolean {
  const inQuery = url.searchParams.get('token');
  if (inQuery !== null && req.method === 'GET' && sameToken(inQuery, token)) {
    url.searchParams.delete('token');
    const rest = url.search;
    res.writeHead(303, {
      location: url.pathname + rest,
      'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      'cache-control': 'no-store',
      'content-length': 0,
    });
    res.end();
    return true;
  }
  const given = presented(req);
  if (given !== null && sameToken(given, token)) return false;
  const text = JSON.stringify({ ok: false, error: 'access token: missing or wrong (open the URL engram serve printed, or send Authorization: Bearer <token>)' });
  res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'www-authenticate': 'Bearer realm="engram"' });
  res.end(text);
  return true;
}
