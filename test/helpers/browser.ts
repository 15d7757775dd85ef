import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { armSimulator, physicsOnThread } from '../../sim/simulator.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { serve } from '../../src/agent/serve.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';

/** Debian's Chromium (apt-get install chromium), driven through playwright-core: no browser download. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium as this machine runs it (WebGL2 on SwiftShader, no background networking), in a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}

/** The web app and its API on a free port, over a memory that holds the bundled melodies, arms simulated on this thread. */
export async function bundledPageServer(): Promise<{ server: Server; url: string }> {
  const memory = new SequenceMemory();
  for (const m of bundledMelodies()) memory.learn(m.title, m.sequence);
  const service = new MemoryOnThread(memory);
  const server = await serve({ agent: new AgentCore({ memory: service, simulator: armSimulator(service, physicsOnThread) }), port: 0 });
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

/**
 * For a describe block: the bundled page served and Chromium launched before its tests (and a folder
 * for their screenshots made), both closed after them. Read `browser` and `url` inside the tests.
 */
export function bundledPageSession(artifacts: string): { readonly browser: Browser; readonly url: string } {
  let server: Server | undefined;
  let browser: Browser | undefined;
  let url = '';
  beforeAll(async () => {
    ({ server, url } = await bundledPageServer());
    browser = await launchChromium();
    mkdirSync(artifacts, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });
  return {
    get browser() {
      if (!browser) throw new Error('bundledPageSession: the browser is not launched yet (read it inside a test)');
      return browser;
    },
    get url() {
      return url;
    },
  };
}
