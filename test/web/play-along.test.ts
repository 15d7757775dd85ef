import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { webDir } from '../../src/agent/serve.js';
import type { SequenceNote } from '../../src/memory/types.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { bundledPageSession, CHROMIUM } from '../helpers/browser.js';
import { sortNotes } from '../helpers/score.js';

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(webDir(), 'index.html'));
const artifacts = join(process.cwd(), 'test-artifacts');

const minuet = bundledMelodies().find((x) => x.title === 'Minuet in G')!;
const spt = minuet.sequence.timing![0]!.secondsPerTick;
const tracks = minuet.sequence.tracks.map((t) => sortNotes(t.notes)) as [SequenceNote[], SequenceNote[]];
const right = tracks[0];
/** The right hand's first eight notes (D5 G4 A4 B4 C5 D5 G4 G4), to be played at 1.5x the piece's tempo. */
const FRAGMENT = right.slice(0, 8);
const SPEED = 1.5;
/** The computer keys of the two-row layout from C4: G4 = G, A4 = H, B4 = J, C5 = K, D5 = L. */
const KEY: Record<number, string> = { 67: 'g', 69: 'h', 71: 'j', 72: 'k', 74: 'l' };

/** The piece's notes after `tick` (both hands) up to the end of the continuation, times at `tempo` from that tick. */
function nextNotes(tick: number, tempo: number, upTo: number) {
  return tracks
    .flatMap((t) => t.filter((n) => n.tick > tick && n.tick <= upTo))
    .map((n) => ({ pitch: n.symbol, time: ((n.tick - tick) * spt) / tempo }))
    .sort((a, b) => a.time - b.time || a.pitch - b.pitch);
}

type Played = Array<{ pitch: number; time: number }>;

describe.skipIf(!haveBrowser)('play along on the web page, in headless Chromium', () => {
  const session = bundledPageSession(artifacts);

  async function open(init?: () => void): Promise<Page> {
    const page = await session.browser.newPage({ viewport: { width: 1440, height: 1000 } });
    if (init) await page.addInitScript(init);
    await page.goto(session.url);
    await page.waitForFunction(() => window.engram?.ready === true && window.engram.playAlong !== undefined);
    // the opening demo is paused: its drawing would keep the page's timers late and the notes too long
    await page.waitForFunction(() => window.engram.transport().playing, null, { timeout: 60_000 });
    await page.locator('#play-pause').click();
    await page.waitForFunction(() => !window.engram.transport().playing);
    return page;
  }

  /** The piece named live, then Continue: checks what the arms play against the piece from the place found. */
  async function continueAndCheck(page: Page, shot: string): Promise<void> {
    await page.waitForFunction(() => window.engram.playAlong.candidates[0]?.title === 'Minuet in G' && window.engram.playAlong.shownFor === 8, null, { timeout: 30_000 });
    const heard = await page.evaluate(() => window.engram.playAlong);
    expect(heard.notes.map((n) => n.pitch)).toEqual(FRAGMENT.map((n) => n.symbol));
    expect(heard.shown).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#along-candidates li').first().textContent()).toMatch(/^Minuet in G\s*score [01]\.\d\d on 8 notes · rhythm (fits|does not fit) · 1 place · track 1$/);
    // the tempo the player really played (durations held, against the piece's), which the arms must keep
    const ratios = heard.notes.map((n, i) => (FRAGMENT[i]!.duration * spt) / n.duration!).sort((a, b) => a - b);
    const played = (ratios[3]! + ratios[4]!) / 2;
    expect(played).toBeGreaterThan(SPEED * 0.85);
    expect(played).toBeLessThan(SPEED * 1.15);
    await page.locator('#play-along').screenshot({ path: join(artifacts, `${shot}-named.png`) });

    await page.locator('#along-continue').click();
    await page.waitForFunction(() => window.engram.performance?.continuation !== undefined && window.engram.transport().playing, null, { timeout: 60_000 });
    const p = await page.evaluate(() => {
      const perf = window.engram.performance!;
      return { title: perf.title, tempo: perf.tempo, continuation: perf.continuation!, played: perf.played, score: perf.score };
    });
    expect(p.title).toBe('Minuet in G');
    const c = p.continuation;
    expect(c.tempoSource).toBe('player');
    expect(c.tempo).toBeGreaterThan(played * 0.95);
    expect(c.tempo).toBeLessThan(played * 1.05);
    expect(c.place).toMatchObject({ track: 0, tick: FRAGMENT[7]!.tick });
    expect(c.tracks.map((t) => t.name)).toEqual(['right hand', 'left hand']);
    // the arms play the piece's next notes, both hands, at the player's tempo (onsets within mir_eval's 50 ms)
    const want = nextNotes(c.place.tick, c.tempo, right[7 + 16]!.tick);
    expect(want.some((n) => n.pitch < 60) && want.some((n) => n.pitch >= 67)).toBe(true);
    expect(p.played.length).toBe(want.length);
    const used = new Set<number>();
    for (const w of want) {
      const i = (p.played as Played).findIndex((n, k) => !used.has(k) && n.pitch === w.pitch && Math.abs(n.time - w.time) < 0.05);
      expect(i, `${w.pitch} at ${w.time.toFixed(3)} s`).toBeGreaterThanOrEqual(0);
      used.add(i);
    }
    // and the page shows them as they come: the first keys the stage presses are the piece's next notes
    await page.waitForFunction(() => window.engram.keyDowns.length >= 4, null, { timeout: 30_000 });
    const shown = await page.evaluate(() => window.engram.keyDowns.slice(0, 4).map((k) => k.pitch));
    expect(new Set(shown)).toEqual(new Set(want.slice(0, 4).map((n) => n.pitch)));
    expect(await page.locator('#along-status').textContent()).toMatch(/Minuet in G: the arms play on at 1\.\d\d× the piece's tempo \(yours\), right hand \+ left hand/);
    await page.waitForFunction(() => window.engram.transport().time > 1.5, null, { timeout: 30_000 });
    // the memory's spikes of the continuation are drawn, and the page says what is playing
    const s = await page.evaluate(() => window.engram.transport());
    expect(Object.values(s.raster!.spikes).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(await page.locator('#now').textContent()).toMatch(/^Minuet in G, played on from where the player stopped: recalled at pacemaker 1\.\d\d×/);
    expect(await page.locator('#status').textContent()).toBe('Minuet in G');
    // the memory panel shows the piece's chain, lit where the continuation's recall fired it
    await page.waitForFunction(() => window.engram.memory.chain?.title === 'Minuet in G' && window.engram.memory.fired > 0, null, { timeout: 30_000 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, `${shot}-continue.png`), fullPage: true });
  }

  it('on the page keyboard: the piece named live, Continue plays on at the player tempo, both hands', async () => {
    const page = await open();
    await page.locator('#along-keys').focus();
    for (const n of FRAGMENT) {
      const key = KEY[n.symbol]!;
      await page.keyboard.down(key);
      await page.waitForTimeout(((n.duration * spt) / SPEED) * 1000 - 8);
      await page.keyboard.up(key);
    }
    // the loop key (L) played D5 here: the page's own shortcut did not fire
    expect(await page.evaluate(() => window.engram.transport().loop)).toBe(false);
    await continueAndCheck(page, 'play-along-keys');
    // the mouse and touch play the same keys
    await page.locator('#along-clear').click();
    const key = page.locator('#along-keys .key[data-pitch="64"]');
    await key.click();
    expect(await page.evaluate(() => window.engram.playAlong.notes.map((n) => n.pitch))).toEqual([64]);
    await page.close();
  }, 180_000);

  it('from Web MIDI: note-on messages are heard like the keys, and Continue plays on', async () => {
    const page = await open(() => {
      // a MIDI keyboard the test plays: one input whose messages the page receives as a real one's
      const input = { name: 'Test keyboard', state: 'connected', onmidimessage: null as null | ((e: { data: Uint8Array }) => void) };
      Object.defineProperty(navigator, 'requestMIDIAccess', { value: async () => ({ inputs: new Map([['in-1', input]]), outputs: new Map(), onstatechange: null }) });
      (window as unknown as { midiSend: (b: number[]) => void }).midiSend = (bytes) => input.onmidimessage?.({ data: new Uint8Array(bytes) });
    });
    await page.locator('#along-midi').click();
    await page.waitForFunction(() => window.engram.playAlong.midi.status === 'listening');
    expect(await page.locator('#along-midi-status').textContent()).toBe('MIDI: listening to Test keyboard');
    // played in the page on its own clock: note-on (velocity 0 as the note-off, as many keyboards send)
    const plan = FRAGMENT.map((n) => ({ pitch: n.symbol, ms: ((n.duration * spt) / SPEED) * 1000 }));
    await page.evaluate(async (notes) => {
      const send = (window as unknown as { midiSend: (b: number[]) => void }).midiSend;
      for (const n of notes) {
        send([0x90, n.pitch, 90]);
        await new Promise((r) => setTimeout(r, n.ms - 4));
        send([0x90, n.pitch, 0]);
      }
    }, plan);
    await continueAndCheck(page, 'play-along-midi');
    await page.close();
  }, 180_000);

  it('an identify answer that comes late never replaces a newer one', async () => {
    const page = await open();
    let release!: () => void;
    const newerShown = new Promise<void>((r) => (release = r));
    await page.route('**/api/command', async (route) => {
      const body = route.request().postDataJSON() as { command?: string; notes?: unknown[] } | null;
      if (body?.command !== 'identify') return route.continue();
      const res = await route.fetch();
      if (body.notes?.length === 1) await newerShown; // the answer for the first note is held back
      await route.fulfill({ response: res });
    });
    await page.locator('#along-keys').focus();
    await page.keyboard.press('l');
    await page.waitForFunction(() => window.engram.playAlong.asked >= 1);
    await page.keyboard.press('g');
    await page.waitForFunction(() => window.engram.playAlong.shownFor === 2);
    const before = await page.evaluate(() => window.engram.playAlong.candidates.map((c) => c.title));
    release();
    await page.waitForFunction(() => window.engram.playAlong.dropped >= 1);
    const after = await page.evaluate(() => window.engram.playAlong);
    expect(after.shownFor).toBe(2);
    expect(after.candidates.map((c) => c.title)).toEqual(before);
    await page.close();
  }, 60_000);

  it('on a phone: the keyboard fits the width and plays by touch', async () => {
    const page = await session.browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
    await page.goto(session.url);
    await page.waitForFunction(() => window.engram?.ready === true && window.engram.playAlong !== undefined);
    const keys = page.locator('#along-keys');
    await keys.scrollIntoViewIfNeeded();
    const box = (await keys.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    await page.locator('#along-keys .key[data-pitch="74"]').tap();
    await page.locator('#along-keys .key[data-pitch="67"]').tap();
    await page.waitForFunction(() => window.engram.playAlong.shownFor === 2, null, { timeout: 30_000 });
    expect(await page.evaluate(() => window.engram.playAlong.notes.map((n) => n.pitch))).toEqual([74, 67]);
    await page.locator('#play-along').screenshot({ path: join(artifacts, 'play-along-390.png') });
    await page.close();
  }, 60_000);

  it('says why MIDI is not there: no Web MIDI in the browser, or permission refused', async () => {
    const none = await open(() => Object.defineProperty(navigator, 'requestMIDIAccess', { value: undefined }));
    await none.locator('#along-midi').click();
    await expect.poll(() => none.locator('#along-midi-status').textContent()).toMatch(/this browser has no Web MIDI/);
    await none.close();
    const refused = await open(() => Object.defineProperty(navigator, 'requestMIDIAccess', { value: () => Promise.reject(new DOMException('denied', 'SecurityError')) }));
    await refused.locator('#along-midi').click();
    await expect.poll(() => refused.locator('#along-midi-status').textContent()).toMatch(/MIDI access was refused: allow MIDI for this page/);
    expect(await refused.locator('#along-midi').isDisabled()).toBe(false); // it may be asked again
    await refused.close();
  }, 60_000);
});
