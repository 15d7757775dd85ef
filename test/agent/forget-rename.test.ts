import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RosAgent } from '../../bridge/ros/ros-agent.js';
import { RosLink } from '../../bridge/ros/ros-link.js';
import { askAgent } from '../../bridge/mqtt/ask.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { checkCommand, checkRoutedCommand, checkRoutedText } from '../../src/agent/command-schemas.js';
import type { AgentEvent } from '../../src/agent/commands.js';
import { openMemory, saveMemory } from '../../src/agent/library.js';
import { decodeChange, encodeChange } from '../../src/agent/memory-operations.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { MemoryStore, readMemory } from '../../src/agent/memory-store.js';
import { runAgent, type RunningAgent } from '../../src/agent/run-agent.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { encodeSnapshot, loadSnapshot } from '../../src/memory/snapshot.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { freePort } from '../helpers/mosquitto.js';
import { memoryFiles, midi, sequence } from '../helpers/memory-fixtures.js';
import { startRosbridge } from '../helpers/rosbridge-server.js';

const { dir, newFile } = memoryFiles('engram-forget-');
const joints = [{ name: 'a', min: -1, max: 1 }, { name: 'b', min: -1, max: 1 }];
const samples = Array.from({ length: 101 }, (_, k) => ({ time: k / 50, positions: [0.5 * Math.sin((Math.PI * k) / 100), k < 50 ? 0 : 0.4] }));
const LONG = 'a title nobody learned '.repeat(10); // 230 characters: an error must not quote it back

/** Every title's recall as JSON text (skills through the skill recall), by title. */
async function recalls(m: MemoryOnThread | SequenceMemory): Promise<Record<string, string>> {
  const service = m instanceof SequenceMemory ? new MemoryOnThread(m) : m;
  const out: Record<string, string> = {};
  for (const t of await service.list()) out[t.title] = JSON.stringify(t.kind === 'skill' ? await service.recallSkill(t.title, {}) : await service.recall(t.title));
  return out;
}

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup.length = 0;
});

describe('forget and rename as agent commands', () => {
  it('one dispatcher: results, typed events, and short errors that name the field and never quote the input', async () => {
    const memory = new SequenceMemory();
    memory.learn('alpha', sequence([60, 62, 64, 65]));
    memory.learn('beta', sequence([70, 72, 74, 76]));
    const service = new MemoryOnThread(memory);
    await service.teachSkill('reach', samples, joints);
    const core = new AgentCore({ memory: service });
    const events: AgentEvent[] = [];
    core.events.on('event', (e) => void events.push(e));
    const beta = await recalls(service).then((r) => r.beta);

    // a skill is two tracks: its full pose code and the coarse one recognition listens to
    expect(await core.run({ command: 'forget', title: 'reach' }, 'test')).toMatchObject({ title: 'reach', kind: 'skill', tracks: 2, neuronsRemoved: expect.any(Number), synapsesRemoved: expect.any(Number) });
    expect(await core.run({ command: 'rename', title: 'alpha', to: 'Alpha (first)' }, 'test')).toEqual({ from: 'alpha', title: 'Alpha (first)', kind: 'music', tracks: 1 });
    expect(events.map(({ time: _t, ...e }) => e)).toEqual([
      { type: 'forgotten', title: 'reach', kind: 'skill' },
      { type: 'renamed', title: 'alpha', to: 'Alpha (first)', kind: 'music' },
    ]);
    expect(((await core.run({ command: 'list' }, 'test')) as Array<{ title: string }>).map((t) => t.title)).toEqual(['Alpha (first)', 'beta']);
    expect((await recalls(service)).beta).toBe(beta);

    const refused = async (command: Record<string, unknown>) => {
      const err = (await core.run({ command: command.command as string, ...command }, 'test').then(() => null, (e: Error) => e))!;
      expect(err, JSON.stringify(command)).not.toBeNull();
      expect(err.message).not.toContain('a title nobody');
      return err.message;
    };
    expect(await refused({ command: 'forget', title: LONG })).toBe('title: no title of that name in memory (see list)');
    expect(await refused({ command: 'rename', title: LONG, to: 'x' })).toBe('title: no title of that name in memory (see list)');
    expect(await refused({ command: 'rename', title: 'beta', to: 'Alpha (first)' })).toBe('to: another title already has that name');
    expect(await refused({ command: 'rename', title: 'beta', to: '  ' })).toBe('to: a title is 1..256 characters with a visible one and no control characters');
    expect(await refused({ command: 'rename', title: 'beta', to: 'two\nlines' })).toMatch(/^to: a title is 1\.\.256 characters/);
    expect(await refused({ command: 'rename', title: 'beta', to: LONG.repeat(2) })).toMatch(/^to: a title is 1\.\.256 characters/);
    // nothing changed by the refusals; a refused command is an error event, never a forgotten/renamed one
    expect(events.filter((e) => e.type !== 'error')).toHaveLength(2);
    expect((await service.list()).map((t) => t.title)).toEqual(['Alpha (first)', 'beta']);
    // renamed to its own name: answered, nothing to tell
    expect(await core.run({ command: 'rename', title: 'beta', to: 'beta' }, 'test')).toMatchObject({ title: 'beta' });
    expect(events.filter((e) => e.type !== 'error')).toHaveLength(2);
  });

  it('the command schemas: bounded fields, nothing extra, what is missing named', () => {
    const check = (body: Record<string, unknown>) => checkRoutedCommand(body, 'web');
    expect(check({ command: 'forget', title: 'x' })).toMatchObject({ ok: true, command: { command: 'forget', title: 'x' } });
    expect(check({ command: 'rename', title: 'x', to: 'y' })).toMatchObject({ ok: true, command: { command: 'rename', title: 'x', to: 'y' } });
    expect(check({ command: 'forget' })).toEqual({ ok: false, id: null, error: 'title: is required' });
    expect(check({ command: 'rename', title: 'x' })).toEqual({ ok: false, id: null, error: 'to: is required' });
    expect(check({ command: 'rename', title: 'x', to: '' })).toEqual({ ok: false, id: null, error: 'to: must NOT have fewer than 1 characters' });
    expect(check({ command: 'rename', title: 'x', to: 'y'.repeat(257) })).toEqual({ ok: false, id: null, error: 'to: must NOT have more than 256 characters' });
    expect(check({ command: 'forget', title: 'x', also: 'y' })).toEqual({ ok: false, id: null, error: 'also: is not a field of this command' });
    expect(check({ command: 'forget', title: 7 })).toEqual({ ok: false, id: null, error: 'title: must be string' });
    expect(checkCommand(JSON.stringify({ id: '1', replyTo: 'me', command: 'rename', title: 'x', to: 'y' })).ok).toBe(true);
  });
});

describe('engram forget and engram rename', () => {
  it('change the memory file; errors are one line, exit 1 (2 for usage), no stack trace', { timeout: 120_000 }, async () => {
    const file = newFile();
    const memory = new SequenceMemory();
    for (const m of bundledMelodies().slice(0, 3)) memory.learn(m.title, m.sequence);
    saveMemory(memory, file);
    const before = await recalls(memory);
    const cli = new URL('../../src/agent/cli.ts', import.meta.url).pathname;
    const engram = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args, '--memory', file], { encoding: 'utf8' });
    const forgot = engram('forget', 'Amazing Grace');
    expect(forgot.stdout).toMatch(/^forgot the piece 'Amazing Grace': \d+ neurons and \d+ synapses freed; memory: /);
    expect(forgot.status).toBe(0);
    const renamed = engram('rename', 'Canon in D', 'Canon', '--json');
    expect(JSON.parse(renamed.stdout)).toEqual({ from: 'Canon in D', title: 'Canon', kind: 'music', tracks: 2 });
    expect(engram('list').stdout).toMatch(/^Lullaby \(Wiegenlied\)\t2 tracks\t\d+ notes\nCanon\t2 tracks\t\d+ notes\n$/);
    const after = await recalls(openMemory(file));
    expect(after['Lullaby (Wiegenlied)']).toBe(before['Lullaby (Wiegenlied)']);
    expect(after.Canon).toBe(before['Canon in D']!.replace('"title":"Canon in D"', '"title":"Canon"'));
    for (const [args, status, message] of [
      [['forget', LONG], 1, /^engram: title: no title of that name in memory \(see list\)\n$/],
      [['rename', 'Canon', 'Lullaby (Wiegenlied)'], 1, /^engram: to: another title already has that name\n$/],
      [['forget'], 2, /^engram: forget: name one title/],
      [['rename', 'Canon'], 2, /^engram: rename: engram rename <title> <new title>/],
    ] as const) {
      const r = engram(...args);
      expect(r.status, args.join(' ')).toBe(status);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(openMemory(file).titles().map((e) => e.title)).toEqual(['Lullaby (Wiegenlied)', 'Canon']);
  });
});

describe('forget and rename are journaled like learns', () => {
  it('acknowledged (committed) forgets and renames survive a crash: the journal replays them to the same memory; the snapshot holds them after a compaction', async () => {
    const file = newFile();
    const store = MemoryStore.open(file);
    store.ops.learnMidi('alpha', midi([60, 62, 64, 65, 67]));
    store.ops.learn('beta', sequence([70, 72, 74, 76]));
    store.ops.teachSkill('reach', samples, joints);
    store.ops.learn('gamma', sequence([50, 52, 53, 55]));
    store.commit();
    const before = await recalls(store.memory);
    store.ops.forget('reach');
    store.ops.rename('beta', 'Beta');
    store.ops.forget('alpha');
    store.commit();
    // a crash: never closed; the snapshot on disk is the empty one written at open
    expect(loadSnapshot(file).size).toBe(0);
    const read = readMemory(file);
    expect(read.replayed).toBe(7);
    expect(read.memory.titles().map((e) => e.title)).toEqual(['Beta', 'gamma']);
    expect(encodeSnapshot(read.memory).equals(encodeSnapshot(store.memory))).toBe(true);
    const after = await recalls(read.memory);
    expect(after.gamma).toBe(before.gamma);
    expect(after.Beta).toBe(before.beta!.replace('"title":"beta"', '"title":"Beta"'));
    // folded into the snapshot: the same memory from the file alone
    store.saveNow();
    expect(encodeSnapshot(loadSnapshot(file)).equals(encodeSnapshot(store.memory))).toBe(true);
    await store.close();
    // the records as the journal keeps them
    expect(decodeChange(encodeChange({ op: 'forget', title: 'x' }))).toEqual({ op: 'forget', title: 'x' });
    expect(decodeChange(encodeChange({ op: 'rename', title: 'x', to: 'y' }))).toEqual({ op: 'rename', title: 'x', to: 'y' });
    expect(() => decodeChange(Buffer.from(JSON.stringify({ op: 'rename', title: 'x' })))).toThrow(/unknown change 'rename'/);
  });
});

describe('forget and rename on every channel', () => {
  it('HTTP and MQTT (engram serve wired in process), ROS (rosbridge): each answers, the events go out, the memory follows', { timeout: 120_000 }, async () => {
    const memoryFile = newFile();
    const agent: RunningAgent = await runAgent({ memoryFile, host: '127.0.0.1', port: 0, mqttPort: 0, simRobots: 0, simArm: false, mqttRobots: [], operatorFile: join(dir, 'operator.json'), log: () => undefined });
    cleanup.push(() => agent.close());
    expect(agent.bundledLearned).toBe(bundledMelodies().length);
    const events: AgentEvent[] = [];
    agent.core.events.on('event', (e) => void events.push(e));
    const api = `http://127.0.0.1:${(agent.http.address() as { port: number }).port}/api`;
    const post = async (body: unknown) => {
      const r = await fetch(`${api}/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as { ok: boolean; result?: any; error?: string } };
    };
    const twinkle = JSON.stringify(await agent.memory.recall('Twinkle, Twinkle, Little Star'));

    // HTTP
    expect(await post({ command: 'forget', title: 'Ode to Joy' })).toMatchObject({ status: 200, body: { ok: true, result: { title: 'Ode to Joy', kind: 'music' } } });
    expect(await post({ command: 'forget', title: 'Ode to Joy' })).toMatchObject({ status: 404, body: { ok: false, error: 'title: no title of that name in memory (see list)' } });
    // MQTT, as the operator
    const login = agent.mqttOperator!;
    const byMqtt = await askAgent(agent.mqttUrl, { command: 'rename', title: 'Twinkle, Twinkle, Little Star', to: 'Twinkle' }, login);
    expect(byMqtt).toMatchObject({ ok: true, result: { from: 'Twinkle, Twinkle, Little Star', title: 'Twinkle' } });
    expect(await askAgent(agent.mqttUrl, { command: 'rename', title: 'Twinkle', to: 'Greensleeves' }, login)).toMatchObject({ ok: false, error: 'to: another title already has that name' });
    // ROS: the agent's /engram/run service through a rosbridge
    const bridge = await startRosbridge();
    const link = new RosLink(bridge.url);
    const ros = new RosAgent({ handle: agent.core.handle, check: checkRoutedText, events: agent.core.events, link, rosVersion: 1 });
    await ros.start();
    cleanup.push(() => bridge.close(), () => link.close(), () => ros.stop());
    await expect.poll(() => bridge.advertisedServices.has('/engram/run')).toBe(true);
    const run = async (command: Record<string, unknown>) => JSON.parse((await bridge.callService('/engram/run', { json: JSON.stringify({ id: 'r', ...command }) })).values.json);
    expect(await run({ command: 'forget', title: 'Greensleeves' })).toMatchObject({ ok: true, result: { title: 'Greensleeves' } });
    expect(await run({ command: 'rename', title: 'Greensleeves', to: 'x' })).toMatchObject({ ok: false, error: 'title: no title of that name in memory (see list)' });
    await expect.poll(() => (bridge.published.get('/engram/events') ?? []).map((m) => JSON.parse((m as { data: string }).data).type)).toContain('forgotten');

    expect(events.filter((e) => e.type === 'forgotten' || e.type === 'renamed').map((e) => [e.type, e.title])).toEqual([
      ['forgotten', 'Ode to Joy'],
      ['renamed', 'Twinkle, Twinkle, Little Star'],
      ['forgotten', 'Greensleeves'],
    ]);
    const titles = ((await post({ command: 'list' })).body.result as Array<{ title: string }>).map((t) => t.title);
    expect(titles).toHaveLength(bundledMelodies().length - 2);
    expect(titles).toContain('Twinkle');
    expect(titles.filter((t) => ['Ode to Joy', 'Greensleeves', 'Twinkle, Twinkle, Little Star'].includes(t))).toEqual([]);
    expect(JSON.stringify(await agent.memory.recall('Twinkle'))).toBe(twinkle.replace('"title":"Twinkle, Twinkle, Little Star"', '"title":"Twinkle"'));

    // started again on the same file: what was forgotten stays forgotten (the bundled melodies are not learned again)
    await agent.close();
    cleanup.length = 0;
    await ros.stop();
    link.close();
    await bridge.close();
    const again = await runAgent({ memoryFile, host: '127.0.0.1', port: 0, mqttPort: 0, simRobots: 0, simArm: false, mqttRobots: [], log: () => undefined });
    cleanup.push(() => again.close());
    expect(again.bundledLearned).toBe(0);
    expect((await again.memory.list()).map((t) => t.title)).toEqual(titles);
  });

  it('a forget and a rename acknowledged over HTTP survive kill -9 of engram serve', { timeout: 120_000 }, async () => {
    const memoryFile = newFile();
    const cli = new URL('../../src/agent/cli.ts', import.meta.url).pathname;
    const serve = async () => {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--memory', memoryFile, '--port', String(port), '--mqtt-port', String(await freePort()), '--sim-robots', '0', '--no-sim-arm'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, HOME: dir }, // its operator login goes to this test's folder
      });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      cleanup.push(() => (child.exitCode === null ? (child.kill('SIGKILL'), exited) : undefined));
      let out = '';
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('web app and API on')) resolve();
        });
        void exited.then(() => reject(new Error(`engram serve exited: ${err}`)));
      });
      const post = async (body: unknown) => (await (await fetch(`http://127.0.0.1:${port}/api/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { ok: boolean; result?: any };
      return { post, out: () => out, kill: () => (child.kill('SIGKILL'), exited) };
    };
    const first = await serve();
    const canon = JSON.stringify((await first.post({ command: 'recall', title: 'Canon in D' })).result);
    expect((await first.post({ command: 'forget', title: 'Jingle Bells' })).ok).toBe(true);
    expect((await first.post({ command: 'rename', title: 'Canon in D', to: 'Canon' })).ok).toBe(true);
    await first.kill();
    const second = await serve();
    expect(second.out()).not.toMatch(/bundled melodies learned now/);
    const titles = ((await second.post({ command: 'list' })).result as Array<{ title: string }>).map((t) => t.title);
    expect(titles).toHaveLength(bundledMelodies().length - 1);
    expect(titles).not.toContain('Jingle Bells');
    expect(titles).not.toContain('Canon in D');
    expect(JSON.stringify((await second.post({ command: 'recall', title: 'Canon' })).result)).toBe(canon.replace('"title":"Canon in D"', '"title":"Canon"'));
    await second.kill();
  });
});
