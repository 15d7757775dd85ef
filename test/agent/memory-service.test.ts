import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadKeyboard, loadPianoArm } from '../../robots/load.js';
import { armPair } from '../../robots/motion/piano.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import type { AgentEvent } from '../../src/agent/commands.js';
import { MemoryOnThread, MemoryWorker, type MemoryService } from '../../src/agent/memory-service.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { openMemory as loadSnapshot } from '../../src/agent/library.js'; // the file as the agent reads it: snapshot and journal
import { bundledMelodies } from '../../src/music/notation.js';
import { memoryFiles, midi, sequence } from '../helpers/memory-fixtures.js';

const { dir, newFile } = memoryFiles('engram-memory-service-');
const ode = bundledMelodies().find((m) => m.title === 'Ode to Joy')!;

/** A rejection's name and message, to compare across the thread boundary. */
const failure = (p: Promise<unknown>) => p.then(
  () => ({ name: 'resolved', message: '' }),
  (e: Error) => ({ name: e.name, message: e.message }),
);

const kinds: Array<[string, (file: string) => Promise<MemoryService>]> = [
  ['on this thread', async (file) => new MemoryOnThread(new SequenceMemory(), file)],
  ['in a worker thread', (file) => MemoryWorker.start({ file })],
];

const open: MemoryService[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.close();
});

for (const [kind, start] of kinds) {
  describe(`the memory service ${kind}`, () => {
    it('learns, lists, recalls, identifies and plans; saves every change before it answers', async () => {
      const file = newFile();
      const memory = await start(file);
      open.push(memory);
      const a = await memory.learnMidi('alpha', midi([60, 62, 64, 65, 67, 69, 71, 72]));
      expect(a).toMatchObject({ title: 'alpha', tracks: 1, notes: 8 });
      expect(loadSnapshot(file).has('alpha')).toBe(true);
      await memory.learn(ode.title, ode.sequence);
      expect(loadSnapshot(file).has(ode.title)).toBe(true);
      expect(await memory.has('alpha')).toBe(true);
      expect(await memory.title('alpha')).toEqual({ title: 'alpha', kind: 'music', tracks: 1 });
      expect((await memory.list()).map((e) => [e.title, e.kind, e.notes])).toEqual([
        ['alpha', 'music', 8],
        [ode.title, 'music', ode.sequence.tracks.reduce((n, t) => n + t.notes.length, 0)],
      ]);
      expect(await memory.stats()).toMatchObject({ titles: 2, skills: 0 });
      const r = await memory.recall('alpha', { tempo: 2 });
      expect(r.tracks[0]!.notes.map((n) => n.symbol)).toEqual([60, 62, 64, 65, 67, 69, 71, 72]);
      const id = await memory.identify({ notes: [65, 67, 69, 71].map((symbol) => ({ symbol })) });
      expect(id[0]!.title).toBe('alpha');
      const c = await memory.complete({ notes: [67, 69, 71].map((symbol) => ({ symbol })) }, { count: 1 });
      expect(c.notes.map((n) => n.symbol)).toEqual([72]);
      // a MotionSource: the plans hold the very arm objects asked for, whatever thread planned them
      const kb = loadKeyboard();
      const arms = armPair(loadPianoArm(), kb);
      const planned = await memory.planPiece(ode.title, arms, kb, { seconds: 4 });
      expect(planned.score.length).toBeGreaterThan(4);
      for (const p of planned.plans) expect(arms).toContain(p.robot);
      // and a continuation of a played fragment (durations in seconds, as played at 2x): both tracks, at 2x
      const melody = ode.sequence.tracks[0]!.notes.slice(0, 6);
      const spt = ode.sequence.timing![0]!.secondsPerTick;
      const on = await memory.planContinuation({ notes: melody.map((n) => ({ symbol: n.symbol, duration: (n.duration * spt) / 2 })), unit: 'seconds' }, arms, kb, { count: 4 });
      expect(on.continuation).toMatchObject({ title: ode.title, tempo: 2, tempoSource: 'player', place: { track: 0, tick: melody[5]!.tick } });
      expect(on.continuation.tracks.map((t) => t.name)).toEqual(['melody', 'bass']);
      for (const p of on.plans) expect(arms).toContain(p.robot);
      // read only views of the network: its areas, and a title's chain (the 'memory' command)
      const anatomy = await memory.anatomy();
      expect(anatomy.neurons).toBe((await memory.stats()).neurons);
      const chain = await memory.chain('alpha');
      expect(chain.neurons.filter((n) => n.area === 'spatial').map((n) => n.column)).toEqual([60, 62, 64, 65, 67, 69, 71, 72]);
      await expect(failure(memory.chain('nope'))).resolves.toMatchObject({ name: 'UnknownTitleError' });
    });

    it('keeps the name and message of every error, and changes nothing on bad input', async () => {
      const file = newFile();
      const memory = await start(file);
      open.push(memory);
      await memory.learn('alpha', sequence([60, 62, 64]));
      expect(await failure(memory.recall('gamma'))).toEqual({ name: 'UnknownTitleError', message: "unknown title 'gamma': it has not been learned (see 'engram list')" });
      expect(await failure(memory.title('gamma'))).toMatchObject({ name: 'UnknownTitleError' });
      expect(await failure(memory.learn('alpha', sequence([60])))).toEqual({ name: 'MemoryInputError', message: "title: 'alpha' is already learned" });
      expect(await failure(memory.learnMidi('beta', new TextEncoder().encode('plain text')))).toEqual({ name: 'MidiFileError', message: "MIDI for 'beta': is not a MIDI file (no MThd header)" });
      const joints = [{ name: 'a', min: -1, max: 1 }];
      expect(await failure(memory.teachSkill('s', [{ time: 0, positions: [0] }, { time: 1, positions: [2] }], joints))).toMatchObject({ name: 'DemonstrationError', message: expect.stringMatching(/joint 'a' at 2 rad is outside its range/) });
      expect(await failure(memory.recallSkill('alpha', {}))).toMatchObject({ name: 'DemonstrationError', message: expect.stringMatching(/is a piece of music, not a skill/) });
      expect((await memory.list()).map((e) => e.title)).toEqual(['alpha']);
      expect(loadSnapshot(file).titles().map((e) => e.title)).toEqual(['alpha']);
    });

    it('teaches a skill from samples and recalls its keyframes', async () => {
      const memory = await start(newFile());
      open.push(memory);
      const joints = [{ name: 'a', min: -1, max: 1 }, { name: 'b', min: -1, max: 1 }];
      const samples = Array.from({ length: 201 }, (_, k) => ({ time: k / 100, positions: [0.5 * Math.sin((Math.PI * k) / 200), k < 100 ? 0 : 0.4] }));
      const taught = await memory.teachSkill('reach', samples, joints, { robot: 'arm' });
      expect(taught.keyframes).toBeGreaterThanOrEqual(3);
      // track 0 the full pose code, track 1 its coarse columns (what recognition listens to)
      expect(await memory.title('reach')).toEqual({ title: 'reach', kind: 'skill', tracks: 2 });
      const recalled = await memory.recallSkill('reach', { tempo: 1 });
      expect(recalled.joints.map((j) => j.name)).toEqual(['a', 'b']);
      expect(recalled.keyframes.length).toBe(taught.keyframes);
      expect((await memory.stats()).skills).toBe(1);
    });
  });
}

describe('the memory worker', () => {
  it('takes requests in the order sent; every change is on disk by the time it is answered', async () => {
    const file = newFile();
    const memory = await MemoryWorker.start({ file });
    open.push(memory);
    const titles = Array.from({ length: 12 }, (_, i) => `piece ${i}`);
    // a read sent after the learns sees all of them: requests are taken in order
    const learning = titles.map((t, i) => memory.learn(t, sequence([60 + i, 64, 67])).then((s) => ({ title: s.title, saved: loadSnapshot(file).has(t) })));
    const [learned, listed] = await Promise.all([Promise.all(learning), memory.list()]);
    expect(learned).toEqual(titles.map((title) => ({ title, saved: true })));
    expect(listed.map((e) => e.title)).toEqual(titles);
    expect(loadSnapshot(file).titles().map((e) => e.title)).toEqual(titles);
    expect(memory.pending).toBe(0);
  });

  it('a crash fails what was pending, is reported, and the worker starts again from the saved file', async () => {
    const file = newFile();
    const memory = await MemoryWorker.start({ file, entry: new URL('../helpers/faulty-memory-worker.ts', import.meta.url) });
    open.push(memory);
    const core = new AgentCore({ memory });
    const events: AgentEvent[] = [];
    core.events.on('event', (e) => events.push(e));
    const errors: Error[] = [];
    memory.events.on('error', (e) => errors.push(e));
    const restarted = new Promise((r) => memory.events.once('restarted', r));
    await memory.learn('kept', sequence([60, 62, 64]));
    // the fault arrives first; what was sent after it is pending when the worker dies
    const pending = [memory.learn('fault', sequence([1, 2, 3])), memory.learn('lost', sequence([70, 71])), memory.identify({ notes: [{ symbol: 60 }, { symbol: 62 }] })];
    const failures = await Promise.all(pending.map(failure));
    for (const f of failures) expect(f).toEqual({ name: 'WorkerCrashError', message: 'memory worker crashed: simulated fault in the memory worker; restarted from its saved state' });
    expect(errors.map((e) => e.name)).toEqual(['WorkerCrashError']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'error', channel: 'memory', error: expect.stringMatching(/memory worker crashed/) }));
    await restarted;
    // what was acknowledged is there; what was not is not
    expect(await memory.has('kept')).toBe(true);
    expect(await memory.has('lost')).toBe(false);
    expect((await memory.identify({ notes: [60, 62, 64].map((symbol) => ({ symbol })) }))[0]!.title).toBe('kept');
    core.dispose();
  });

  it('a memory file that cannot be read fails the start, naming the file', async () => {
    const file = join(dir, 'not-a-memory.engram');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'this is not an engram memory');
    const started = MemoryWorker.start({ file });
    await expect(started).rejects.toMatchObject({ name: 'WorkerCrashError', message: expect.stringContaining(file) });
  });

  it('close ends the worker: later calls fail at once, naming the worker', async () => {
    const file = newFile();
    const memory = await MemoryWorker.start({ file });
    await memory.learn('x', sequence([60, 61]));
    await memory.close();
    expect(await failure(memory.stats())).toEqual({ name: 'WorkerCrashError', message: 'memory worker: closed' });
    expect(existsSync(file)).toBe(true);
  });
});
