import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

// zlib's async forms run in libuv's thread pool: compressing never blocks the loop that talks to robots
const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.mid': 'audio/midi',
};

/** Types worth compressing (images are compressed already). */
const TEXT = new Set(['.html', '.js', '.css', '.json', '.svg']);

/** Vite names built assets after their content (assets/index-B1tUYVYZ.js): such a file never changes. */
const HASHED = /^assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/** One file as sent: its bytes plain and compressed, made once per file version (size and mtime). */
interface Prepared {
  mtimeMs: number;
  size: number;
  type: string;
  cacheControl: string;
  etag: string;
  plain: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

/** Which encoding to send for an Accept-Encoding header: brotli first, then gzip, else none. */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | null {
  return acceptsEncoding(acceptEncoding, 'br') ? 'br' : acceptsEncoding(acceptEncoding, 'gzip') ? 'gzip' : null;
}

/** Whether an Accept-Encoding header takes `name` (by name or *, with a q above 0). */
export function acceptsEncoding(acceptEncoding: string | undefined, name: string): boolean {
  const offered = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    offered.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  return (offered.get(name) ?? offered.get('*') ?? 0) > 0;
}

/**
 * The built web app's files, compressed (brotli or gzip, as the browser accepts; precompressed by the
 * build where it could) and with cache headers:
 * content-hashed assets are immutable for a year, everything else (index.html) is revalidated on every
 * load (no-cache with an ETag, so an unchanged page costs a 304). Compressed bytes are kept per file
 * version, so each file is compressed once, not per request. Unknown paths without an extension get
 * index.html (the page's own routes).
 */
export class StaticFiles {
  readonly root: string;
  /** By file: its version (size, mtime) and its bytes; one entry per file, so a rebuild replaces, never adds. */
  readonly #cache = new Map<string, { version: string; prepared: Promise<Prepared> }>();

  constructor(root: string) {
    this.root = root;
  }

  /** Answers a GET or HEAD for a path under the root; false when the app is not built (the caller says so). */
  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, '').replace(/^[/\\]+/, '');
    } catch {
      return this.#error(res, 400, 'path: not valid percent-encoding');
    }
    let file = join(this.root, rel === '' ? 'index.html' : rel);
    if (file !== this.root && !file.startsWith(this.root + sep)) return this.#error(res, 403, 'forbidden');
    if (!isFile(file)) {
      if (!isFile(join(this.root, 'index.html'))) return false;
      if (extname(rel)) return this.#error(res, 404, `${pathname}: not found`);
      file = join(this.root, 'index.html');
      rel = 'index.html';
    }
    const p = await this.#prepare(file, rel.split(sep).join('/'));
    const headers: Record<string, string | number> = { 'content-type': p.type, 'cache-control': p.cacheControl, etag: p.etag, vary: 'accept-encoding' };
    if (req.headers['if-none-match'] === p.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const encoding = p.gzip ? pickEncoding(req.headers['accept-encoding']) : null;
    const body = encoding === 'br' ? p.br! : encoding === 'gzip' ? p.gzip! : p.plain;
    if (encoding) headers['content-encoding'] = encoding;
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  #prepare(file: string, rel: string): Promise<Prepared> {
    const st = statSync(file);
    const version = `${st.size}:${st.mtimeMs}`;
    const known = this.#cache.get(file);
    if (known?.version === version) return known.prepared;
    const prepared = this.#compress(file, rel, st.size, st.mtimeMs);
    this.#cache.set(file, { version, prepared });
    prepared.catch(() => this.#cache.delete(file));
    return prepared;
  }

  async #compress(file: string, rel: string, size: number, mtimeMs: number): Promise<Prepared> {
    const plain = readFileSync(file);
    const ext = extname(file);
    const p: Prepared = {
      mtimeMs,
      size,
      type: TYPES[ext] ?? 'application/octet-stream',
      cacheControl: HASHED.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: `"${size.toString(36)}-${Math.floor(mtimeMs).toString(36)}"`,
      plain,
    };
    if (TEXT.has(ext) && plain.length > 256) {
      // the build writes file.br and file.gz beside it (vite.web.config.ts); without them, compress here at
      // moderate settings, in zlib's thread pool
      [p.br, p.gzip] = await Promise.all([
        sidecar(`${file}.br`, mtimeMs) ?? brotliAsync(plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: plain.length } }),
        sidecar(`${file}.gz`, mtimeMs) ?? gzipAsync(plain, { level: 6 }),
      ]);
    }
    return p;
  }

  #error(res: ServerResponse, status: number, error: string): true {
    const text = JSON.stringify({ error });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  }
}

/** A precompressed copy written with or after its file, or null. */
function sidecar(path: string, notBefore: number): Buffer | null {
  try {
    return statSync(path).mtimeMs >= notBefore - 1000 ? readFileSync(path) : null;
  } catch {
    return null;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
