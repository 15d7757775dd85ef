import type { Server } from 'node:http';
import { chromium } from 'playwright-core';
import { armSimulator, physicsOnThread } from '../../sim/simulator.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { serve } from '../../src/agent/serve.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';

export interface WebPageResult {
  loads: number;
  /** Bytes of the page's own files (HTML, JS, CSS) over the wire, and decoded. */
  transferBytes: number;
  decodedBytes: number;
  requests: number;
  /** Medians over the loads, ms from navigation start. */
  firstPaintMs: number;
  firstRenderMs: number;
  libraryReadyMs: number;
  /** A whole-piece performance's JSON over the wire and decoded. */
  performance: { title: string; transferBytes: number; decodedBytes: number };
}

/** A resource timing entry, as much of it as is read here. */
interface Timing {
  name: string;
  encodedBodySize: number;
  decodedBodySize: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * Issue 12: the web page in headless Chromium, served by engram serve with the bundled melodies: what
 * it costs to load (bytes over the wire, compressed, against their decoded size) and how soon it shows
 * something (first paint, the stage's first frame, the library listed), each load in a fresh browser
 * context (nothing cached).
 */
export async function webPageBench(options: { loads?: number; chromium?: string } = {}): Promise<WebPageResult> {
  const memory = new SequenceMemory();
  for (const m of bundledMelodies()) memory.learn(m.title, m.sequence);
  const service = new MemoryOnThread(memory);
  const server: Server = await serve({ agent: new AgentCore({ memory: service, simulator: armSimulator(service, physicsOnThread) }), port: 0 });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const browser = await chromium.launch({
    executablePath: options.chromium ?? process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  try {
    const loads = options.loads ?? 5;
    const runs: Array<{ transfer: number; decoded: number; requests: number; paint: number; render: number; ready: number }> = [];
    // one warm-up load: the server compresses each file once, on its first request
    for (let i = 0; i <= loads; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => performance.getEntriesByName('engram:library-ready').length > 0, null, { timeout: 60_000 });
      const r = await page.evaluate(() => {
        // (this runs in the page: its Performance, typed here by hand as the bench is typed for Node)
        const perf = performance as unknown as { getEntriesByType(type: string): Timing[]; getEntriesByName(name: string): Array<{ startTime: number }> };
        const files = [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')];
        const own = files.filter((e) => !new URL(e.name).pathname.startsWith('/api/'));
        const at = (name: string) => perf.getEntriesByName(name)[0]?.startTime ?? NaN;
        return {
          transfer: own.reduce((s, e) => s + e.encodedBodySize, 0),
          decoded: own.reduce((s, e) => s + e.decodedBodySize, 0),
          requests: own.length,
          paint: at('first-paint'),
          render: at('engram:first-render'),
          ready: at('engram:library-ready'),
        };
      });
      if (i > 0) runs.push(r);
      await context.close();
    }
    // a whole piece's performance as the page fetches it (compressed when the browser takes it)
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    const title = 'Ode to Joy';
    const perf = await page.evaluate(async (t) => {
      const res = await fetch('/api/perform', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: t, tempo: 0.5, seconds: 600 }) });
      await res.text();
      const perf = performance as unknown as { getEntriesByType(type: string): Timing[] };
      const e = perf.getEntriesByType('resource').filter((x) => x.name.endsWith('/api/perform')).pop()!;
      return { transferBytes: e.encodedBodySize, decodedBytes: e.decodedBodySize };
    }, title);
    await context.close();
    return {
      loads,
      transferBytes: median(runs.map((r) => r.transfer)),
      decodedBytes: median(runs.map((r) => r.decoded)),
      requests: median(runs.map((r) => r.requests)),
      firstPaintMs: median(runs.map((r) => r.paint)),
      firstRenderMs: median(runs.map((r) => r.render)),
      libraryReadyMs: median(runs.map((r) => r.ready)),
      performance: { title: `${title} at 0.5x, whole`, ...perf },
    };
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
    await service.close();
  }
}
