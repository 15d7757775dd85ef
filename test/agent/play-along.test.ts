import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/agent/command-schemas.js';
import { sortNotes } from '../helpers/score.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { bundledPageServer } from '../helpers/browser.js';

const minuet = bundledMelodies().find((x) => x.title === 'Minuet in G')!;
const spt = minuet.sequence.timing![0]!.secondsPerTick;
const right = sortNotes(minuet.sequence.tracks[0]!.notes);
const left = sortNotes(minuet.sequence.tracks[1]!.notes);
/** Eight notes of the right hand as a player plays them at 1.5x the piece's tempo. */
const fragment = right.slice(6, 14).map((n) => ({ symbol: n.symbol, duration: (n.duration * spt) / 1.5 }));
const last = right[13]!;

interface PlayedSummary {
  title: string;
  tempo: number;
  played: Array<{ pitch: number; time: number; duration: number }>;
  continuation: { title: string; tempo: number; tempoSource: string; place: { track: number; tick: number }; tracks: Array<{ track: number; name: string; notes: number }> };
}

describe('playing on from a played fragment, on the simulated arms', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => ({ server, url } = await bundledPageServer()), 60_000);
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const command = async (body: object) => {
    const res = await fetch(`${url}api/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { ok: boolean; result?: PlayedSummary; error?: string } };
  };

  it('the continue command: the arms play the piece on from the place, both hands, at the player tempo', { timeout: 60_000 }, async () => {
    const { status, body } = await command({ command: 'continue', notes: fragment, unit: 'seconds', count: 8 });
    expect(status).toBe(200);
    const r = body.result!;
    expect(r.title).toBe('Minuet in G');
    expect(r.continuation.tempoSource).toBe('player');
    expect(r.continuation.tempo).toBeCloseTo(1.5, 2);
    expect(r.continuation.place).toEqual({ track: 0, tick: last.tick, secondsPerTick: spt });
    expect(r.continuation.tracks.map((t) => t.name)).toEqual(['right hand', 'left hand']);
    // what the keys played: the piece's next notes of both hands, at its onsets scaled to 1.5x (mir_eval's 50 ms)
    const end = right[21]!.tick;
    const want = [...right.slice(14, 22), ...left.filter((n) => n.tick > last.tick && n.tick <= end)]
      .map((n) => ({ pitch: n.symbol, time: ((n.tick - last.tick) * spt) / 1.5 }))
      .sort((a, b) => a.time - b.time || a.pitch - b.pitch);
    expect(r.played.length).toBe(want.length);
    const used = new Set<number>();
    for (const w of want) {
      const i = r.played.findIndex((n, k) => !used.has(k) && n.pitch === w.pitch && Math.abs(n.time - w.time) < 0.05);
      expect(i, `${w.pitch} at ${w.time.toFixed(3)} s`).toBeGreaterThanOrEqual(0);
      used.add(i);
    }
  });

  it('POST /api/perform with notes: the recorded continuation for the page', { timeout: 60_000 }, async () => {
    const res = await fetch(`${url}api/perform`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notes: fragment, unit: 'seconds', count: 4 }) });
    expect(res.status).toBe(200);
    const p = (await res.json()) as PlayedSummary & { recording: { frames: unknown[]; keyEvents: unknown[] } };
    expect(p.continuation.title).toBe('Minuet in G');
    expect(p.tempo).toBeCloseTo(1.5, 2);
    expect(p.recording.frames.length).toBeGreaterThan(10);
    expect(p.played.map((n) => n.pitch).slice(0, 4)).toEqual([67, 67, 57, 72]);
  });

  it('refuses what it cannot play, naming the field, and a fragment nothing matches', async () => {
    expect(checkCommand(JSON.stringify({ id: '1', replyTo: 'r', command: 'continue', notes: fragment, count: 1000 }))).toMatchObject({ ok: false, error: 'count: must be <= 256' });
    expect(checkCommand(JSON.stringify({ id: '1', replyTo: 'r', command: 'continue' }))).toMatchObject({ ok: false, error: 'notes: is required' });
    const end = await command({ command: 'continue', notes: right.slice(-8).map((n) => ({ symbol: n.symbol })) });
    expect(end).toEqual({ status: 400, body: { ok: false, error: "notes: the fragment is where 'Minuet in G' ends: nothing follows it" } });
    const none = await command({ command: 'continue', notes: [{ symbol: 1 }, { symbol: 2 }] });
    expect(none).toEqual({ status: 400, body: { ok: false, error: 'notes: the fragment matches no learned piece' } });
    const res = await fetch(`${url}api/perform`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notes: fragment, title: 'x' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('title: is not a field of this command');
  });
});
