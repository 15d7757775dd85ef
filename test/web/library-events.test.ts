import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armSimulator, physicsOnThread } from '../../sim/simulator.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { serve, webDir } from '../../src/agent/serve.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { CHROMIUM, launchChromium } from '../helpers/browser.js';

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));

describe.skipIf(!haveBrowser)('the page follows the library: forget and rename from any channel', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let core: AgentCore;

  beforeAll(async () => {
    const memory = new SequenceMemory();
    for (const m of bundledMelodies()) memory.learn(m.title, m.sequence);
    const service = new MemoryOnThread(memory);
    core = new AgentCore({ memory: service, simulator: armSimulator(service, physicsOnThread) });
    server = await serve({ agent: core, port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    await page.waitForFunction(() => window.engram?.ready === true);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  const library = () => page.locator('#library button').evaluateAll((bs) => bs.map((b) => (b as HTMLButtonElement).dataset.title));

  it('a title forgotten or renamed elsewhere (here: as MQTT or ROS would, through the agent core) leaves the list; the chosen one follows its new name', { timeout: 60_000 }, async () => {
    await expect.poll(library).toContain('Greensleeves');
    await page.getByRole('button', { name: /^Scarborough Fair/ }).click();
    await expect.poll(() => page.evaluate(() => window.engram.title)).toBe('Scarborough Fair');
    await core.run({ command: 'forget', title: 'Greensleeves' }, 'mqtt');
    await expect.poll(library).not.toContain('Greensleeves');
    await core.run({ command: 'rename', title: 'Scarborough Fair', to: 'Scarborough' }, 'ros');
    await expect.poll(library).toContain('Scarborough');
    expect(await library()).not.toContain('Scarborough Fair');
    await expect.poll(() => page.evaluate(() => window.engram.title)).toBe('Scarborough');
    await expect.poll(() => page.locator('#library button[aria-pressed="true"]').evaluate((b) => (b as HTMLButtonElement).dataset.title)).toBe('Scarborough');
    // the chosen title forgotten: nothing is chosen any more
    await core.run({ command: 'forget', title: 'Scarborough' }, 'web');
    await expect.poll(() => page.evaluate(() => window.engram.title)).toBeNull();
    await expect.poll(library).not.toContain('Scarborough');
    expect(await library()).toHaveLength(bundledMelodies().length - 2);
    await expect.poll(() => page.locator('#events').textContent()).toMatch(/forgot the piece “Scarborough”/);
    await expect.poll(() => page.locator('#events').textContent()).toMatch(/renamed “Scarborough Fair” to “Scarborough”/);
  });
});
