import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { AgentCore } from '../../src/agent/agent-core.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { serve, webDir } from '../../src/agent/serve.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { encodeMidi } from '../../src/music/midi-writer.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { bundledPageSession, CHROMIUM } from '../helpers/browser.js';

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));
const artifacts = join(process.cwd(), 'test-artifacts');

/** A small MIDI file: a C major scale up and down, quarter notes at 120 bpm. */
function scaleMidi(): Buffer {
  const pitches = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60];
  return encodeMidi([{ name: 'scale', notes: pitches.map((pitch, i) => ({ pitch, tick: i * 480, duration: 440, velocity: 80 })) }], 480, [{ tick: 0, secondsPerTick: 0.5 / 480 }]);
}

describe.skipIf(!haveBrowser)('the web page as a player, in headless Chromium', () => {
  const session = bundledPageSession(artifacts);

  async function open(width: number, height: number): Promise<Page> {
    const page = await session.browser.newPage({ viewport: { width, height } });
    await page.goto(session.url);
    await page.waitForFunction(() => window.engram?.ready === true);
    return page;
  }

  /** Picks a piece, sets the pacemaker rate and length, presses Perform and waits for that performance to play. */
  async function performAt(page: Page, title: string, tempo: number, length: 'whole' | '30' | '60' = 'whole') {
    await page.getByRole('button', { name: title }).click();
    await page.locator('#tempo').evaluate((el, v) => {
      (el as HTMLInputElement).value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, tempo);
    await page.locator('#length').selectOption(length);
    await page.locator('#perform').click();
    await page.waitForFunction(
      ([t, x]) => window.engram.performance?.title === t && window.engram.performance.tempo === x && !window.engram.demo && window.engram.transport().playing,
      [title, tempo] as const,
      { timeout: 90_000 },
    );
  }

  const snap = (page: Page) => page.evaluate(() => window.engram.transport());

  it('opens with something to watch: a demo plays, the stage and the roll are drawn', async () => {
    const page = await open(1440, 900);
    await page.waitForFunction(() => window.engram.performance !== null && window.engram.transport().time > 0.5, null, { timeout: 60_000 });
    const s = await snap(page);
    expect(s.playing).toBe(true);
    expect(s.arms).toHaveLength(2);
    expect(s.rollTime).toBe(s.time); // the roll and the raster are drawn at the playhead
    expect(Object.values(s.raster!.spikes).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(s.raster!.pulses).toBeGreaterThan(0); // the pacemaker's row
    expect(await page.locator('#now').textContent()).toMatch(/the first 20 s: recalled at pacemaker 1\.00×/);
    await page.close();
  }, 90_000);

  it('transport: pause holds the arms and the sound, seek jumps the arms and the roll, loop repeats, Space toggles, Stop stops', async () => {
    const page = await open(1440, 900);
    await performAt(page, 'Für Elise (opening)', 1);
    await page.locator('#play-pause').click(); // pause (and a user gesture: sound is on)
    await page.waitForFunction(() => !window.engram.transport().playing);
    const held = await snap(page);
    expect(held.stoppedBy).toBe('pause');
    expect(held.ringing).toBe(0);
    await page.waitForTimeout(400); // frames pass; nothing may move
    const later = await snap(page);
    expect(later.time).toBe(held.time);
    expect(later.arms).toEqual(held.arms);
    expect(later.keysDown).toEqual(held.keysDown);
    expect(later.tones).toBe(held.tones);
    expect(later.ringing).toBe(0);

    // seek: the arms take the recorded frame of that time, the keys stand as they did then, the roll draws there
    const target = Math.min(6.5, held.duration / 2);
    await page.locator('#seek').evaluate((el, v) => {
      (el as HTMLInputElement).value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, target);
    const sought = await snap(page);
    const expected = await page.evaluate((t) => {
      const rec = window.engram.performance!.recording;
      const frame = Math.floor(t * rec.fps);
      const down = new Set<number>();
      for (const e of rec.keyEvents) if (e.time <= t) e.on ? down.add(e.pitch) : down.delete(e.pitch);
      return { frame, arms: rec.frames[frame]!.map((a) => a.slice(0, 3)), down: [...down].sort((a, b) => a - b) };
    }, Number((await page.locator('#seek').inputValue())));
    expect(sought.time).toBeCloseTo(target, 2);
    expect(sought.frame).toBe(expected.frame);
    sought.arms.forEach((q, k) => q.forEach((v, j) => expect(v).toBeCloseTo(expected.arms[k]![j]!, 6)));
    expect(sought.keysDown).toEqual(expected.down);
    expect(sought.rollTime).toBeCloseTo(target, 2);
    expect(sought.playing).toBe(false); // a seek while paused stays paused
    expect(sought.tones).toBe(held.tones); // and makes no sound
    expect(await page.locator('#clock').textContent()).toMatch(/^0:0\d\.\d \/ 0:\d\d\.\d$/);
    // arrow keys seek 5 s
    await page.locator('body').press('ArrowRight');
    expect((await snap(page)).time).toBeCloseTo(Math.min(sought.duration, sought.time + 5), 2);

    // loop: near the end, loop on, play: it goes round and keeps playing
    await page.locator('#seek').evaluate((el, v) => {
      (el as HTMLInputElement).value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, held.duration - 0.3);
    await page.locator('#loop').click();
    expect(await page.locator('#loop').getAttribute('aria-pressed')).toBe('true');
    await page.locator('#speed').selectOption('2');
    await page.keyboard.press('Space'); // the speed list gave the focus back: Space is the transport's
    await page.waitForFunction(() => window.engram.transport().loops >= 1, null, { timeout: 30_000 });
    const looped = await snap(page);
    expect(looped.playing).toBe(true);
    expect(looped.speed).toBe(2);
    expect(looped.time).toBeLessThan(held.duration - 0.3);
    // the playback speed is not a new recall: the performance is the same one
    expect(await page.evaluate(() => window.engram.performance!.tempo)).toBe(1);
    expect(await page.locator('#now').textContent()).toMatch(/recalled at pacemaker 1\.00× · playback 2× \(no new recall\) · playing/);

    // Stop stops the playback too, and the result says so
    await page.locator('#stop-robots').click();
    await page.waitForFunction(() => window.engram.transport().stoppedBy === 'stop');
    expect(await page.locator('#report').textContent()).toMatch(/Stopped at \d:\d\d\.\d of/);
    expect(await page.locator('#now').textContent()).toMatch(/stopped at/);
    await page.close();
  }, 150_000);

  it('a piece longer than 60 s is played whole: every note recalled, honestly counted', async () => {
    const page = await open(1440, 900);
    const notes = await page.evaluate(() => window.engram.titles.find((t) => t.title === 'Ode to Joy')!.notes);
    await performAt(page, 'Ode to Joy', 0.5);
    const r = await page.evaluate(() => {
      const p = window.engram.performance!;
      const rec = p.recording;
      return { reference: p.report.reference, matched: p.report.matched, lastKey: rec.keyEvents[rec.keyEvents.length - 1]!.time, duration: window.engram.transport().duration, lastScore: Math.max(...p.score.map((n) => n.time)) };
    });
    expect(r.reference).toBe(notes); // all of them, not the first 60 s
    expect(r.lastScore).toBeGreaterThan(60);
    expect(r.duration).toBeGreaterThan(60);
    expect(r.lastKey).toBeGreaterThan(60);
    expect(await page.locator('#report').textContent()).toContain(`Played ${r.matched} of the ${notes} notes recalled for the whole piece`);
    // seek past a minute: the roll and the arms go there
    await page.locator('#seek').evaluate((el) => {
      (el as HTMLInputElement).value = '62';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const s = await snap(page);
    expect(s.time).toBeGreaterThanOrEqual(62);
    expect(s.time).toBeLessThan(63); // (it plays on from there)
    expect(s.rollTime).toBe(s.time);
    expect(s.frame).toBe(Math.floor(s.time * 60));
    // a chosen length is said, and counted against the whole piece
    await performAt(page, 'Ode to Joy', 0.5, '60');
    const cut = await page.evaluate(() => window.engram.performance!.report.reference);
    expect(cut).toBeLessThan(notes);
    expect(await page.locator('#report').textContent()).toContain(`the piece has ${notes} notes, the first 60 s hold ${cut}`);
    expect(await page.locator('#now').textContent()).toContain('the first 60 s');
    await page.close();
  }, 180_000);

  it('learns MIDI files picked or dropped (each with its own result), then performs one', async () => {
    const page = await open(1440, 900);
    const midi = scaleMidi();
    await page.locator('#midi-files').setInputFiles([{ name: 'Scale Up And Down.mid', mimeType: 'audio/midi', buffer: midi }]);
    // dropped: one good file, one that is not MIDI
    await page.evaluate(
      ([good]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(good), (c) => c.charCodeAt(0))], 'Dropped Scale.midi', { type: 'audio/midi' }));
        dt.items.add(new File(['this is not a MIDI file'], 'notes.mid', { type: 'audio/midi' }));
        document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [midi.toString('base64')] as const,
    );
    await page.waitForFunction(() => window.engram.learning.files.length === 3 && window.engram.learning.files.every((f) => f.state === 'learned' || f.state === 'failed'), null, { timeout: 60_000 });
    const files = await page.evaluate(() => window.engram.learning.files);
    expect(files.map((f) => [f.title, f.state, f.notes])).toEqual([
      ['Scale Up And Down', 'learned', 15],
      ['Dropped Scale', 'learned', 15],
      ['notes', 'failed', undefined],
    ]);
    expect(files[2]!.error).toMatch(/notes|MIDI/);
    expect(files[2]!.error).not.toContain('this is not a MIDI file'); // the input is never echoed
    const log = await page.locator('#learn-log').textContent();
    expect(log).toContain('Scale Up And Down.mid: learned as “Scale Up And Down”, 15 notes');
    expect(log).toMatch(/notes\.mid: not learned: /);
    await expect.poll(() => page.getByRole('button', { name: 'Scale Up And Down' }).count()).toBe(1);
    await performAt(page, 'Scale Up And Down', 1);
    const p = await page.evaluate(() => ({ reference: window.engram.performance!.report.reference, pitches: window.engram.performance!.score.map((n) => n.pitch) }));
    expect(p.reference).toBe(15);
    expect(p.pitches).toEqual([60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60]);
    await page.close();
  }, 180_000);

  it("the memory panel: areas that add up, a piece's chain from the network, lit as the recall fired it", async () => {
    const page = await open(1440, 900);
    await performAt(page, 'Mary Had a Little Lamb', 1);
    await page.waitForFunction(() => window.engram.memory.chain?.title === 'Mary Had a Little Lamb');
    const m = await page.evaluate(() => window.engram.memory);
    const a = m.anatomy!;
    expect(a.areas.reduce((s, x) => s + x.neurons, 0)).toBe(a.neurons);
    expect(a.areas.reduce((s, x) => s + x.synapses, 0)).toBe(a.synapses);
    const status = await page.evaluate(async () => (await (await fetch('/api/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"command":"status"}' })).json()).result);
    expect(a.neurons).toBe(status.neurons);
    expect(a.synapses).toBe(status.synapses);
    expect(await page.locator('#areas tbody tr').count()).toBe(a.areas.length);
    const chain = m.chain!;
    expect(chain.notes).toBe(26);
    expect(chain.neurons.filter((n) => n.area === 'spatial')).toHaveLength(26);
    expect(chain.neurons.filter((n) => n.area === 'spatial').slice(0, 4).map((n) => n.column)).toEqual([64, 62, 60, 62]); // E D C D
    expect(chain.neurons[0]!.area).toBe('goal');
    // its neurons are the ones the recall fired: each note neuron spikes in the recorded raster
    const firing = await page.evaluate(() => {
      const ids = new Set(window.engram.performance!.recording.raster!.neuron);
      return window.engram.memory.chain!.neurons.filter((n) => n.area === 'spatial').every((n) => ids.has(n.id));
    });
    expect(firing).toBe(true);
    // lit as the playhead passes: more have fired later on
    const seekTo = async (t: number) =>
      page.locator('#seek').evaluate((el, v) => {
        (el as HTMLInputElement).value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, t);
    await page.locator('#play-pause').click();
    await seekTo(1);
    const early = await page.evaluate(() => window.engram.memory.fired);
    await seekTo(8);
    const late = await page.evaluate(() => window.engram.memory.fired);
    expect(early).toBeGreaterThan(0);
    expect(late).toBeGreaterThan(early);
    expect(await page.locator('#chain-caption').textContent()).toMatch(/goal neuron #\d+, 26 note neurons/);
    await page.close();
  }, 120_000);

  it('at 390x844: stacked, nothing narrower than its content, touch targets of 44 px; screenshots at both sizes', async () => {
    const wide = await open(1440, 900);
    await performAt(wide, 'Für Elise (opening)', 1);
    await wide.waitForFunction(() => window.engram.transport().time > 2.5, null, { timeout: 30_000 });
    await wide.locator('#play-pause').click();
    await wide.screenshot({ path: join(artifacts, 'player-1440x900.png') });
    await wide.close();

    const page = await session.browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
    await page.goto(session.url);
    await page.waitForFunction(() => window.engram?.ready === true && window.engram.performance !== null, null, { timeout: 60_000 });
    const layout = await page.evaluate(() => {
      const doc = document.documentElement;
      const tooNarrow: string[] = [];
      for (const el of document.querySelectorAll<HTMLElement>('body *')) {
        const style = getComputedStyle(el);
        if (el.offsetParent === null || style.overflowX === 'auto' || style.overflowX === 'scroll' || el.tagName === 'CANVAS' || el.closest('svg') || (el as HTMLInputElement).type === 'file') continue;
        if (el.scrollWidth > el.clientWidth + 1 && style.display !== 'inline') tooNarrow.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${el.clientWidth} < ${el.scrollWidth}`);
      }
      const small: string[] = [];
      for (const el of document.querySelectorAll<HTMLElement>('button, select, input:not([type=file]), #drop')) {
        if (el.offsetParent === null) continue;
        const r = el.getBoundingClientRect();
        if (r.height < 44 - 0.5 || (el.tagName === 'BUTTON' && r.width < 44 - 0.5)) small.push(`${el.tagName.toLowerCase()}#${el.id} ${r.width.toFixed(0)}x${r.height.toFixed(0)}`);
      }
      const box = (id: string) => document.getElementById(id)!.getBoundingClientRect();
      return { pageWidth: doc.scrollWidth, tooNarrow, small, stage: box('stage').width, roll: box('roll').width, raster: box('raster').width, aside: document.querySelector('aside')!.getBoundingClientRect().top, stageBottom: box('stage').bottom, canvasPixels: (document.getElementById('roll') as HTMLCanvasElement).width };
    });
    expect(layout.pageWidth).toBeLessThanOrEqual(390);
    expect(layout.tooNarrow).toEqual([]);
    expect(layout.small).toEqual([]);
    // stacked: the player takes the width, the panels come below it
    for (const w of [layout.stage, layout.roll, layout.raster]) expect(w).toBeGreaterThan(340);
    expect(layout.aside).toBeGreaterThan(layout.stageBottom);
    // the roll has a pixel per device pixel (sharp at devicePixelRatio 2)
    expect(layout.canvasPixels).toBe(Math.round(layout.roll * 2));
    await page.screenshot({ path: join(artifacts, 'player-390x844.png') });
    await page.screenshot({ path: join(artifacts, 'player-390x844-full.png'), fullPage: true });
    await page.close();
  }, 150_000);

  it('shows when the agent is gone and reconnects by itself; the help panel', async () => {
    // an agent of its own, to stop and start again on the same port
    const memory = new SequenceMemory();
    memory.learn(bundledMelodies()[0]!.title, bundledMelodies()[0]!.sequence);
    const agent = () => new AgentCore({ memory: new MemoryOnThread(memory) });
    let own = await serve({ agent: agent(), port: 0 });
    const port = (own.address() as { port: number }).port;
    const page = await session.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => window.engram?.ready === true && window.engram.linked === true);
    expect(await page.locator('#link').textContent()).toBe('agent connected');
    await page.locator('#help-toggle').click();
    expect(await page.locator('#help').isVisible()).toBe(true);
    expect(await page.locator('#help').textContent()).toMatch(/Pacemaker rate \(a new recall\)/);

    own.closeAllConnections();
    await new Promise<void>((r) => own.close(() => r()));
    await page.waitForFunction(() => window.engram.linked === false, null, { timeout: 20_000 });
    expect(await page.locator('#link').textContent()).toBe('the agent is gone: reconnecting…');
    expect(await page.locator('#robots').textContent()).toBe('the agent is gone: robot states unknown');
    // a command while it is gone: said in words, not "Failed to fetch"
    await page.locator('#stop-robots').click();
    await expect.poll(() => page.locator('#robot-status').textContent()).toBe('error: the agent did not answer (is engram serve running?)');

    own = await serve({ agent: agent(), port });
    await page.waitForFunction(() => window.engram.linked === true, null, { timeout: 30_000 });
    expect(await page.locator('#link').textContent()).toBe('agent connected');
    expect(await page.locator('#robots').textContent()).toMatch(/no robots connected/);
    await page.close();
    own.closeAllConnections();
    await new Promise<void>((r) => own.close(() => r()));
  }, 90_000);
});
