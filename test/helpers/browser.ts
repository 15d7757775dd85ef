import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { armSimulator, physicsOnThread } from '../../sim/simulator.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { runAgent, type AgentSetup, type RunningAgent } from '../../src/agent/run-agent.js';
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

/**
 * For a describe block: an agent as `npm start` runs it (a fresh memory in a temporary folder, HTTP on
 * a free loopback port, its embedded broker, simulated arms as `setup` says) and its page open in
 * Chromium at `viewport`, ready when `ready` resolves on it (before the tests); all closed after them.
 * Read `agent`, `page` and `api` inside the tests.
 */
export function agentPageSession(
  name: string,
  setup: Partial<Omit<AgentSetup, 'memoryFile' | 'host' | 'port'>> & { simRobots: number },
  ready: (page: Page) => Promise<unknown>,
  viewport = { width: 1400, height: 1300 },
): { readonly agent: RunningAgent; readonly page: Page; readonly api: string } {
  let agent: RunningAgent | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let memoryDir = '';
  let api = '';
  beforeAll(async () => {
    memoryDir = mkdtempSync(join(tmpdir(), `engram-${name}-`));
    agent = await runAgent({ bundled: false, mqttPort: 0, mqttRobots: [], log: () => undefined, ...setup, memoryFile: join(memoryDir, 'memory.engram'), host: '127.0.0.1', port: 0 });
    api = `http://127.0.0.1:${(agent.http.address() as { port: number }).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport });
    page.on('pageerror', (err) => console.error('page error:', err.message));
    await page.goto(`${api}/`);
    await ready(page);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    if (memoryDir) rmSync(memoryDir, { recursive: true, force: true });
  });
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('agentPageSession: not started yet (read it inside a test)');
    return x;
  };
  return {
    get agent() {
      return started(agent);
    },
    get page() {
      return started(page);
    },
    get api() {
      return api;
    },
  };
}
