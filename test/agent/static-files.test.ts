import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickEncoding, StaticFiles } from '../../src/agent/static-files.js';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static files: compressed, with cache headers', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const js = 'export const x = 1;\n'.repeat(500);
  const css = 'body { color: red; }\n'.repeat(100);
  const cssBr = brotliCompressSync(css);
  const html = `<!doctype html><title>t</title>${'<p>hello</p>'.repeat(100)}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-static-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), html);
    writeFileSync(join(dir, 'assets', 'index-B1tUYVYZ.js'), js);
    writeFileSync(join(dir, 'logo.svg'), '<svg/>');
    // as the build leaves them: a precompressed copy beside the file (here only a brotli one)
    writeFileSync(join(dir, 'assets', 'app-C5tv71FB.css'), css);
    writeFileSync(join(dir, 'assets', 'app-C5tv71FB.css.br'), cssBr);
    const files = new StaticFiles(dir);
    server = createServer((req, res) => void files.serve(req, res, new URL(req.url!, 'http://x').pathname));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a hashed asset brotli- or gzip-compressed as asked, immutable for a year', async () => {
    const br = await get(port, '/assets/index-B1tUYVYZ.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(brotliDecompressSync(br.body).toString()).toBe(js);
    expect(br.body.length).toBeLessThan(js.length / 10);
    const gz = await get(port, '/assets/index-B1tUYVYZ.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(js);
    const plain = await get(port, '/assets/index-B1tUYVYZ.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(js);
  });

  it('index.html is revalidated on every load (no-cache) and an unchanged one answers 304', async () => {
    const first = await get(port, '/', { 'accept-encoding': 'gzip' });
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(gunzipSync(first.body).toString()).toBe(html);
    const again = await get(port, '/', { 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // a page route without an extension is the page; a missing file is 404; nothing outside the root
    expect((await get(port, '/player')).body.toString()).toBe(html);
    expect((await get(port, '/nope.js')).status).toBe(404);
    expect((await get(port, '/..%2F..%2Fetc%2Fpasswd')).body.toString()).not.toMatch(/root:/);
    expect((await get(port, '/%E0%A4%A')).status).toBe(400);
  });

  it("sends the build's precompressed copy as it is, and compresses what has none", async () => {
    const br = await get(port, '/assets/app-C5tv71FB.css', { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.equals(cssBr)).toBe(true);
    const gz = await get(port, '/assets/app-C5tv71FB.css', { 'accept-encoding': 'gzip' });
    expect(gunzipSync(gz.body).toString()).toBe(css);
  });

  it('small files go out as they are', async () => {
    const svg = await get(port, '/logo.svg', { 'accept-encoding': 'br' });
    expect(svg.headers['content-encoding']).toBeUndefined();
    expect(svg.headers['cache-control']).toBe('no-cache');
  });

  it('picks the encoding from Accept-Encoding, honouring q=0', () => {
    expect(pickEncoding('gzip, br')).toBe('br');
    expect(pickEncoding('br;q=0, gzip')).toBe('gzip');
    expect(pickEncoding('identity')).toBe(null);
    expect(pickEncoding(undefined)).toBe(null);
    expect(pickEncoding('*')).toBe('br');
  });
});
