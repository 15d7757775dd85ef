import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/mosquitto.js';
import { loadOrCreateToken, TokenError } from '../../src/agent/access-token.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { serve, type HttpLimits } from '../../src/agent/serve.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: Server | undefined;
let core: AgentCore | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? (server.close(() => r()), server.closeAllConnections()) : r()));
  server = undefined;
});

async function start(options: { token?: string; limits?: Partial<HttpLimits> } = {}): Promise<number> {
  const agent = (core = new AgentCore({ memory: new MemoryOnThread(new SequenceMemory()) }));
  server = await serve({ agent, port: 0, web: join(dir, 'no-web'), ...options });
  return (server.address() as { port: number }).port;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request; `body` is sent whole, or `partial` is sent and the request is left open (a slow client). */
function http(port: number, o: { method?: string; path?: string; headers?: Record<string, string | number>; body?: string; partial?: string }): { answer: Promise<Answer>; finish: (rest: string) => void } {
  const req = request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/api/titles', headers: { host: `127.0.0.1:${port}`, ...o.headers } });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
  });
  if (o.partial !== undefined) req.write(o.partial);
  else req.end(o.body);
  return { answer, finish: (rest) => req.end(rest) };
}

const json = { 'content-type': 'application/json' };
const post = (port: number, path: string, body: string) => http(port, { method: 'POST', path, headers: json, body }).answer;
/** A run of the input this long must never come back in an answer. */
const LONG = 'Q'.repeat(100_000);
const echoes = (text: string) => text.includes('Q'.repeat(64));

describe('HTTP access token', () => {
  const token = 'T0ken_' + 'a'.repeat(40);

  it('refuses a request without the token or with a wrong one (401, the token never in the answer); takes a Bearer header', async () => {
    const port = await start({ token });
    const none = await http(port, {}).answer;
    expect(none.status).toBe(401);
    expect(none.text).not.toContain(token);
    expect(JSON.parse(none.text)).toEqual({ ok: false, error: expect.stringMatching(/^access token: missing or wrong/) });
    expect((await http(port, { headers: { authorization: `Bearer ${token}x` } }).answer).status).toBe(401);
    expect((await http(port, { headers: { authorization: 'Bearer ' } }).answer).status).toBe(401);
    expect((await http(port, { headers: { cookie: `engram_token=${token.slice(0, -1)}` } }).answer).status).toBe(401);
    // a command without the token runs nothing
    const stop = await http(port, { method: 'POST', path: '/api/command', headers: json, body: '{"command":"stop"}' }).answer;
    expect(stop.status).toBe(401);
    const ok = await http(port, { headers: { authorization: `Bearer ${token}` } }).answer;
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual([]);
  });

  it('/?token= sets an HttpOnly SameSite=Strict cookie and redirects to the page; the cookie then opens the API', async () => {
    const port = await start({ token });
    const open = await http(port, { path: `/?token=${token}` }).answer;
    expect(open.status).toBe(303);
    expect(open.headers.location).toBe('/');
    const cookie = open.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/^engram_token=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const withCookie = await http(port, { headers: { cookie: `other=1; ${cookie.split(';')[0]}` } }).answer;
    expect(withCookie.status).toBe(200);
    const wrong = await http(port, { path: '/?token=guess' }).answer;
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    // the Host and Origin checks come first: a rebound name is refused even with the token
    expect((await http(port, { headers: { host: 'evil.example', authorization: `Bearer ${token}` } }).answer).status).toBe(403);
  });

  it('engram serve --require-token prints the page URL with the token, kept in the token file; the API needs it', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const mqttPort = await freePort();
    const tokenFile = join(dir, 'serve-config', 'token');
    const env = { ...process.env, ENGRAM_MEMORY: '', ENGRAM_TOKEN: undefined, ENGRAM_TOKEN_FILE: undefined };
    const agent = spawn(process.execPath, ['--import', 'tsx', resolve('src/agent/cli.ts'), 'serve', '--port', String(port), '--mqtt-port', String(mqttPort), '--sim-robots', '0', '--no-sim-arm', '--require-token', '--token-file', tokenFile, '--memory', join(dir, 'serve.engram')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => agent.once('exit', () => r()));
    let out = '';
    agent.stdout!.on('data', (d) => (out += d));
    agent.stderr!.on('data', (d) => (out += d));
    try {
      await expect.poll(() => out, { timeout: 50_000, interval: 100 }).toMatch(/Ctrl-C stops/);
      const url = /web app and API on (http:\/\/127\.0\.0\.1:\d+\/\?token=([A-Za-z0-9_-]+))/.exec(out);
      expect(url).not.toBeNull();
      expect(url![2]).toBe(readFileSync(tokenFile, 'utf8').trim());
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      expect((await http(port, {}).answer).status).toBe(401);
      expect((await http(port, { headers: { authorization: `Bearer ${url![2]}` } }).answer).status).toBe(200);
      const open = await http(port, { path: new URL(url![1]!).pathname + new URL(url![1]!).search }).answer;
      expect(open.status).toBe(303);
    } finally {
      agent.kill('SIGTERM');
      await exited;
    }
  });

  it('is made once in the user config (mode 0600) and kept; $ENGRAM_TOKEN overrides; a bad file is named, not quoted', () => {
    const file = join(dir, 'config', 'engram', 'token');
    const first = loadOrCreateToken(file, {});
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'config', 'engram')).mode & 0o077).toBe(0);
    expect(loadOrCreateToken(file, {})).toBe(first);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(loadOrCreateToken(file, { ENGRAM_TOKEN: token })).toBe(token);
    expect(() => loadOrCreateToken(file, { ENGRAM_TOKEN: 'short' })).toThrow(TokenError);
    const bad = join(dir, 'bad-token');
    writeFileSync(bad, 'not a token!', { mode: 0o600 });
    expect(() => loadOrCreateToken(bad, {})).toThrow(`${bad}: not an access token`);
    try {
      loadOrCreateToken(bad, {});
    } catch (err) {
      expect((err as Error).message).not.toContain('not a token!');
    }
  });
});

describe('HTTP limits: bodies, time, requests at once, sizes', () => {
  it('answers a body over the limit 413, declared or streamed, and keeps serving', async () => {
    const port = await start({ limits: { commandBytes: 1000, performBytes: 500 } });
    const big = JSON.stringify({ command: 'status', pad: 'x'.repeat(5000) });
    const declared = await post(port, '/api/command', big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text)).toEqual({ ok: false, error: 'request body: over 1000 bytes' });
    // chunked: no Content-Length, the limit is found while reading
    const streamed = http(port, { method: 'POST', path: '/api/perform', headers: { ...json, 'transfer-encoding': 'chunked' }, partial: 'x'.repeat(400) });
    streamed.finish('x'.repeat(400));
    expect((await streamed.answer).status).toBe(413);
    expect((await post(port, '/api/command', '{"command":"status"}')).status).toBe(200);
  });

  it('holds at most bodyBudgetBytes of bodies at once: a body that would go past it is turned away (503), the others go on', async () => {
    const port = await start({ limits: { commandBytes: 1000, bodyBudgetBytes: 1200 } });
    const body = JSON.stringify({ command: 'status', id: 'x'.repeat(100) }).padEnd(700, ' ');
    const first = http(port, { method: 'POST', path: '/api/command', headers: { ...json, 'content-length': body.length }, partial: body.slice(0, 650) });
    // once the first's 650 bytes are held, another 700 would go past 1200
    let refused: Answer | undefined;
    await expect.poll(async () => (refused = await post(port, '/api/command', body)).status).toBe(503);
    expect(refused!.headers['retry-after']).toBe('1');
    first.finish(body.slice(650));
    expect((await first.answer).status).toBe(200);
  });

  it('answers a body that does not come in time 408, and the slot it held is free again', async () => {
    const port = await start({ limits: { bodyMs: 200, concurrent: 1 } });
    const slow = http(port, { method: 'POST', path: '/api/command', headers: { ...json, 'content-length': 100 }, partial: '{"command":' });
    const a = await slow.answer;
    expect(a.status).toBe(408);
    expect(a.headers.connection).toBe('close');
    expect((await post(port, '/api/command', '{"command":"status"}')).status).toBe(200);
  });

  it('answers 503 with Retry-After past the bodies it receives at once; takes more once they are in', async () => {
    const port = await start({ limits: { reading: 3 } });
    const body = '{"command":"status"}';
    const held = [0, 1, 2].map(() => http(port, { method: 'POST', path: '/api/command', headers: { ...json, 'content-length': body.length }, partial: '{' }));
    // once the three are being read (their bodies are not all there), another is turned away at once
    let more: Answer | undefined;
    await expect.poll(async () => (more = await post(port, '/api/command', body)).status).toBe(503);
    expect(more!.headers['retry-after']).toBe('1');
    for (const h of held) h.finish(body.slice(1));
    expect((await Promise.all(held.map((h) => h.answer))).map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await post(port, '/api/command', body)).status).toBe(200);
  });

  it('answers 503 with Retry-After past the requests it answers at once, but always takes stop', async () => {
    const port = await start({ limits: { concurrent: 2 } });
    // performances that last until the test lets them end
    const ends: Array<(json: string) => void> = [];
    core!.simulator = {
      perform: () => Promise.reject(new Error('not used')),
      recording: () => new Promise<{ encoding: 'identity'; body: string }>((resolve) => ends.push((body: string) => resolve({ encoding: 'identity', body }))),
      performFrom: () => Promise.reject(new Error('not used')),
      recordFrom: () => Promise.reject(new Error('not used')),
    };
    const performing = [post(port, '/api/perform', '{"title":"a"}'), post(port, '/api/perform', '{"title":"b"}')];
    await expect.poll(() => ends.length).toBe(2);
    const third = await post(port, '/api/perform', '{"title":"c"}');
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('1');
    expect((await post(port, '/api/command', '{"command":"status"}')).status).toBe(503);
    expect((await http(port, {}).answer).status).toBe(503);
    // stop is answered however busy the API is
    const stop = await post(port, '/api/command', '{"command":"stop"}');
    expect(stop.status).toBe(200);
    expect(JSON.parse(stop.text)).toEqual({ ok: true, result: { stopped: [] } });
    for (const end of ends) end('{"played":[]}');
    expect((await Promise.all(performing)).map((a) => a.status)).toEqual([200, 200]);
    expect((await post(port, '/api/command', '{"command":"status"}')).status).toBe(200);
  });

  it('closes connections past the bound as they come; once some close, new ones are taken', async () => {
    const port = await start({ limits: { connections: 4 } });
    const sockets = await Promise.all([0, 1, 2, 3].map(() => new Promise<Socket>((resolve) => { const s = connect(port, '127.0.0.1', () => resolve(s)); })));
    await expect.poll(() => new Promise<number>((r) => server!.getConnections((_e, n) => r(n)))).toBe(4);
    const refused = await http(port, {}).answer.then(() => 'answered', (err: NodeJS.ErrnoException) => err.code);
    expect(refused).toMatch(/ECONNRESET|EPIPE/);
    sockets.forEach((s) => s.destroy());
    await expect.poll(() => new Promise<number>((r) => server!.getConnections((_e, n) => r(n)))).toBe(0);
    expect((await http(port, {}).answer).status).toBe(200);
  });

  it('bounds event streams at once, and a URL too long is 414', async () => {
    const port = await start({ limits: { streams: 2 } });
    const opened: Array<() => void> = [];
    for (let i = 0; i < 2; i++) {
      const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { host: `127.0.0.1:${port}` } });
      await new Promise<void>((resolve) => req.on('response', (res) => (opened.push(() => res.destroy()), resolve())).end());
    }
    const third = await http(port, { path: '/api/events' }).answer;
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('10');
    for (const close of opened) close();
    expect((await http(port, { path: `/api/titles?${'a'.repeat(5000)}` }).answer).status).toBe(414);
    // headers past Node's bound: 431, the server goes on
    expect((await http(port, { headers: { 'x-pad': 'a'.repeat(20_000) } }).answer).status).toBe(431);
    expect((await http(port, {}).answer).status).toBe(200);
  });

  it('closes an event stream whose client does not read, instead of buffering every event for it', async () => {
    const port = await start({ limits: { streamBacklogBytes: 64 << 10 } });
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { host: `127.0.0.1:${port}` } });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) => req.on('response', resolve).end());
    res.pause(); // a client that stops reading
    let open = true;
    res.socket.once('close', () => (open = false));
    // 1 KB events until the server gives up on it: past the kernel's socket buffers, only 64 KB may wait
    const pad = 'e'.repeat(1000);
    let sent = 0;
    while (open && sent < 200_000) {
      for (let i = 0; i < 500; i++, sent++) core!.emit({ type: 'note', time: 0, pad });
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(open).toBe(false);
    expect(sent).toBeLessThan(200_000);
  });
});

describe('POST /api/perform and /api/command: values checked, field named, input never echoed', () => {
  it('refuses bad perform bodies 400 naming the field', async () => {
    const port = await start();
    const cases: Array<[string, RegExp]> = [
      ['null', /^request body: must be a JSON object$/],
      ['[1,2]', /^request body: must be a JSON object$/],
      ['"x"', /^request body: must be a JSON object$/],
      ['{', /^request body: not valid JSON$/],
      ['{"tempo":1}', /^title: is required$/],
      ['{"title":"a","tempo":0.001}', /^tempo: must be >= 0.1$/],
      ['{"title":"a","tempo":1000}', /^tempo: must be <= 8$/],
      ['{"title":"a","tempo":"1"}', /^tempo: must be number$/],
      ['{"title":"a","seconds":0}', /^seconds: must be > 0$/],
      ['{"title":"a","seconds":1e9}', /^seconds: must be <= 600$/],
      ['{"title":""}', /^title: must NOT have fewer than 1 characters$/],
      [`{"title":"${LONG.slice(0, 5000)}"}`, /^title: must NOT have more than 256 characters$/],
      [`{"title":"a","${LONG.slice(0, 5000)}":1}`, /^Q{32}\.\.\.: is not a field of this command$/],
      [`{"title":${'['.repeat(5000)}${']'.repeat(5000)}}`, /^request body: nested deeper than 16 levels$/],
    ];
    for (const [body, error] of cases) {
      const a = await post(port, '/api/perform', body);
      expect({ body: body.slice(0, 40), status: a.status }).toEqual({ body: body.slice(0, 40), status: 400 });
      expect(JSON.parse(a.text).error).toMatch(error);
      expect(echoes(a.text)).toBe(false);
    }
    expect((await post(port, '/api/perform', JSON.stringify({ title: LONG }))).status).toBe(413);
    // a valid request gets past the checks: this agent has no simulated arms
    expect((await post(port, '/api/perform', '{"title":"a","tempo":1,"seconds":4}')).status).toBe(503);
  });

  it('never quotes a long input in a command error, nor in the error events every listener gets', async () => {
    const port = await start();
    const events: string[] = [];
    core!.events.on('event', (e) => void events.push(JSON.stringify(e)));
    const bodies = [
      { command: LONG },
      { command: 'status', [LONG]: 1 },
      { command: 'recall', title: LONG },
      { command: 'recall', title: 'x', tracks: Array.from({ length: 100_000 }, (_, i) => i) },
      { command: 'recall', title: 'x', tracks: [1, 1] },
      { command: 'stop', id: LONG },
      { command: 'stop', robots: [LONG] },
      { command: 'stop', robots: ['a', 'a'] },
      { command: 'learn', title: 'x', midi: `${'A'.repeat(100)}!` },
      { command: 'teach', skill: 'x', joints: [{ name: LONG, min: 0, max: 1 }] },
      { command: 'teach', skill: 'x', joints: [{ name: 'j', min: 0, max: 1 }, { name: 'j', min: 0, max: 1 }], samples: [{ time: 0, positions: [0, 0] }, { time: 1, positions: [0, 0] }] },
      { command: 'identify', notes: [{ symbol: 1 }], limit: 1e9 },
    ];
    for (const body of bodies) {
      const a = await post(port, '/api/command', JSON.stringify(body));
      expect(a.status).toBe(400);
      expect(echoes(a.text)).toBe(false);
      expect(a.text.length).toBeLessThan(500);
    }
    // an error from the memory itself (an unknown title of the longest allowed length) is cut too
    const unknown = await post(port, '/api/command', JSON.stringify({ command: 'recall', title: 'Q'.repeat(256) }));
    expect(unknown.status).toBe(404);
    expect(unknown.text.length).toBeLessThan(500);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.length).toBeLessThan(1500);
  });
});
