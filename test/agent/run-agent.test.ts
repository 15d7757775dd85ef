import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.js';
import { request as httpRequest } from 'node:http';

const dir = mkdtempSync(join(tmpdir(), 'engram-run-agent-'));
const memoryFile = join(dir, 'memory.engram');
let agent: RunningAgent | null = null;
afterAll(async () => {
  await agent?.close();
  rmSync(dir, { recursive: true, force: true });
});

const start = () => runAgent({ memoryFile, host: '127.0.0.1', port: 0, mqttPort: 0, simRobots: 0, simArm: false, mqttRobots: [], log: () => undefined });

describe('the agent as engram serve wires it: the memory and the physics in worker threads', () => {
  it('plays a browser performance planned in the memory worker and played in the sim worker; errors keep their status; what it learned is there after a restart', async () => {
    agent = await start();
    expect(agent.bundledLearned).toBe(14);
    const api = `http://127.0.0.1:${(agent.http.address() as { port: number }).port}/api`;
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${api}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const encoding = r.headers.get('content-encoding');
      return { status: r.status, ...(encoding ? { encoding } : {}), body: (await r.json()) as any };
    };
    // the web page's Perform: recall, plan, physics and the recording for the view
    const p = await post('perform', { title: 'Twinkle, Twinkle, Little Star', tempo: 1, seconds: 4 });
    expect(p.status).toBe(200);
    expect(p.encoding).toBe('gzip'); // compressed in the sim worker (fetch asks for gzip and unpacks it)
    expect(p.body.title).toBe('Twinkle, Twinkle, Little Star');
    expect(p.body.report.f1).toBe(1);
    expect(p.body.recording.frames.length).toBeGreaterThan(4 * 60);
    expect(p.body.recording.raster.time.length).toBeGreaterThan(0);
    expect(p.body.recording.robots.map((r: { name: string }) => r.name)).toEqual(['ur5e-planar left', 'ur5e-planar right']);
    // the same through the command channel: a summary
    const c = await post('command', { command: 'perform', title: 'Ode to Joy', seconds: 3 });
    expect(c.status).toBe(200);
    expect(c.body.result).toMatchObject({ title: 'Ode to Joy', report: { f1: 1, missed: 0, extra: 0 } });
    // errors from either worker arrive with their name: 404 for an unknown title, 400 for bad input
    expect(await post('perform', { title: 'Nothing Like It' })).toEqual({ status: 404, body: { error: "unknown title 'Nothing Like It': it has not been learned (see 'engram list')" } });
    expect((await post('command', { command: 'perform', title: 'Nothing Like It' })).status).toBe(404);
    // only its own page may command it: another site's simple request (text/plain, no preflight), another
    // Origin, or a Host that is not this server (DNS rebinding) is refused and runs nothing
    const learnedBefore = (await post('command', { command: 'status' })).body.result.titles;
    const raw = (headers: Record<string, string>) => fetch(`${api}/command`, { method: 'POST', headers, body: JSON.stringify({ command: 'learn', title: 'x', midi: 'AAAA' }) });
    expect((await raw({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await raw({ 'content-type': 'application/json', origin: 'http://evil.example' })).status).toBe(403);
    const rebound = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${api}/command`);
      const r = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { host: `evil.example:${u.port}`, 'content-type': 'application/json' } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      r.on('error', reject);
      r.end(JSON.stringify({ command: 'status' }));
    });
    expect(rebound).toBe(403);
    expect((await raw({ 'content-type': 'application/json', origin: api.replace(/\/api$/, '') })).status).toBe(400); // its own page: checked, answered
    expect((await post('command', { command: 'status' })).body.result.titles).toBe(learnedBefore);
    expect(await post('command', { command: 'learn', title: 'junk', midi: Buffer.from('not a midi file').toString('base64') })).toEqual({ status: 400, body: { ok: false, error: "MIDI for 'junk': is not a MIDI file (no MThd header)" } });
    const skill = await post('command', { command: 'teach', skill: 'nod', samples: [{ time: 0, positions: [0, 0, 0] }, { time: 1, positions: [0.2, 0, 0] }, { time: 1.5, positions: [0.2, 0, 0] }] });
    expect(skill.status).toBe(200);
    expect((await post('command', { command: 'status' })).body.result).toMatchObject({ titles: 15, skills: 1 });
    await agent.close();
    agent = null;
    // started again on the same file: the melodies and the skill were saved, nothing is learned twice
    agent = await start();
    expect(agent.bundledLearned).toBe(0);
    expect(await agent.memory.title('nod')).toEqual({ title: 'nod', kind: 'skill', tracks: 2 }); // the pose code and its coarse columns
  }, 60_000);
});
