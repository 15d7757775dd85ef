import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/mosquitto.js';
import { readMemory } from '../../src/agent/memory-store.js';
import { loadSnapshot } from '../../src/memory/snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-serve-'));
const memory = join(dir, 'mem.engram');
const CLI = resolve('src/agent/cli.ts');
let agent: ChildProcess | null = null;
afterAll(() => {
  agent?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function engram(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--memory', memory], { encoding: 'utf8', env: { ...process.env, ENGRAM_MEMORY: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A demonstration as CSV: rest, move the shoulder and wrist out, rest, back. */
function demoCsv(q0: number[]): string {
  const rows = ['time,shoulder,elbow,wrist'];
  for (let k = 0; k <= 250; k++) {
    const t = k / 100;
    const u = t < 0.4 ? 0 : t < 1.2 ? (1 - Math.cos((Math.PI * (t - 0.4)) / 0.8)) / 2 : t < 1.6 ? 1 : t < 2.4 ? (1 + Math.cos((Math.PI * (t - 1.6)) / 0.8)) / 2 : 0;
    rows.push([t, q0[0]! + 0.3 * u, q0[1]! - 0.2 * u, q0[2]! + 0.25 * u].map((x) => x.toFixed(5)).join(','));
  }
  return rows.join('\n');
}

describe('engram serve: one agent, every channel (web API, events, MQTT, CLI), simulated robots over MQTT', () => {
  it('teaches from a file, serves, performs on robots, streams events, stops from the CLI, keeps what it learned', async () => {
    const port = await freePort();
    const mqttPort = await freePort();
    agent = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', String(port), '--mqtt-port', String(mqttPort), '--sim-robots', '2', '--memory', memory], {
      env: { ...process.env, ENGRAM_MEMORY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    agent.stdout!.on('data', (d) => (out += d));
    agent.stderr!.on('data', (d) => (out += d));
    await expect.poll(() => out, { timeout: 30_000, interval: 100 }).toMatch(/Ctrl-C stops/);
    expect(out).toMatch(/robots: sim-left \(mqtt, ur5e-planar left\), sim-right \(mqtt, ur5e-planar right\), sim-arm \(mqtt, ur5e\)/);
    const api = `http://127.0.0.1:${port}/api`;
    const post = async (body: unknown) => {
      const r = await fetch(`${api}/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as { ok: boolean; result?: any; error?: string } };
    };
    // the event stream
    const events: any[] = [];
    const stream = new AbortController();
    void fetch(`${api}/events`, { signal: stream.signal }).then(async (r) => {
      const reader = r.body!.getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += new TextDecoder().decode(value);
        const parts = buf.split('\n\n');
        buf = parts.pop()!;
        for (const p of parts) if (p.startsWith('data: ')) events.push(JSON.parse(p.slice(6)));
      }
    });
    const status = await post({ command: 'status' });
    expect(status.status).toBe(200);
    expect(status.body.result.robots.map((r: { id: string; connected: boolean }) => [r.id, r.connected])).toEqual([
      ['sim-left', true],
      ['sim-right', true],
      ['sim-arm', true],
    ]);
    // the industrial arm: all six joints
    expect(status.body.result.robots[2].joints).toHaveLength(6);
    // a skill taught from a file by the CLI cannot be added while the agent holds the memory; teach it over the API
    const q0 = status.body.result.robots[0].positions as number[];
    const csv = join(dir, 'wave.csv');
    writeFileSync(csv, demoCsv(q0));
    const samples = demoCsv(q0).split('\n').slice(1).map((l) => l.split(',').map(Number)).map(([time, ...positions]) => ({ time: time!, positions }));
    const taught = await post({ command: 'teach', skill: 'wave', robot: 'sim-left', samples });
    expect(taught.body.error).toBeUndefined();
    expect(taught.body.result.keyframes).toBeGreaterThanOrEqual(3);
    const performed = await post({ command: 'perform', title: 'wave', robots: ['sim-left'] });
    expect(performed.body.error).toBeUndefined();
    expect(performed.body.result.reached).toBe(performed.body.result.keyframes);
    await expect.poll(() => events.filter((e) => e.type === 'keyframe').length).toBe(performed.body.result.keyframes);
    // bad input answers 400 naming the field; unknown titles 404
    expect(await post({ command: 'perform', title: 'wave', tempo: 'fast' })).toEqual({ status: 400, body: { ok: false, error: 'tempo: must be number' } });
    expect((await post({ command: 'perform', title: 'Nothing Like It', robots: ['sim-left'] })).status).toBe(404);
    // a piece on both robots; the CLI stops them mid-way
    const piece = post({ command: 'perform', title: 'Ode to Joy', robots: ['sim-left', 'sim-right'] });
    // stopped once it is really playing: its first key went down (not after a guessed delay)
    const notesBefore = events.filter((e) => e.type === 'note').length;
    await expect.poll(() => events.filter((e) => e.type === 'note').length, { timeout: 30_000 }).toBeGreaterThan(notesBefore);
    const stop = engram('stop', '--mqtt-port', String(mqttPort));
    expect(stop.err).toBe('');
    expect(JSON.parse(stop.out)).toEqual({ stopped: ['sim-left', 'sim-right', 'sim-arm'] });
    const played = await piece;
    expect(played.body.error).toBeUndefined();
    expect(played.body.result.stopped).toBe(true);
    const st = JSON.parse(engram('status', '--mqtt-port', String(mqttPort)).out);
    expect(st.robots.map((r: { stopped: boolean }) => r.stopped)).toEqual([true, true, true]);
    expect(events.some((e) => e.type === 'note')).toBe(true);
    expect(events.some((e) => e.type === 'stopped')).toBe(true);
    // SIGTERM ends it cleanly even with the page's event stream still open
    const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    stream.abort();
    agent = null;
    // and folds its journal into the memory file on the way out: the next start replays nothing
    expect(readMemory(memory)).toMatchObject({ replayed: 0, segments: [expect.objectContaining({ contents: expect.objectContaining({ records: [] }) })] });
    expect(loadSnapshot(memory).has('wave')).toBe(true);
    // the skill was saved with the memory; a CSV demonstration is taught offline by the CLI
    expect(engram('list').out).toMatch(/wave\t2 tracks/);
    const t = engram('teach', 'wave-2', '--demo', csv);
    expect(t.err).toBe('');
    expect(t.out).toMatch(/learned skill 'wave-2': 251 samples over 2\.50 s -> \d+ keyframes \(shoulder, elbow, wrist\)/);
    const bad = engram('teach', 'wave-3', '--demo', join(dir, 'missing.csv'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/missing\.csv: no such file/);
    expect(engram('stop', '--mqtt-port', String(mqttPort)).err).toMatch(/is engram serve running\?/);
  }, 120_000);
});
