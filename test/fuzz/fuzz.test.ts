/**
 * Property-based tests (fast-check, fixed seeds) over every input the agent takes from outside: MIDI
 * bytes, demonstration files, command bodies, MQTT payloads on the topics the agent reads, rosbridge
 * messages and snapshot files. Each input is either accepted or refused with a short error of the
 * expected kind that does not echo the input; nothing else may happen. The long run of the same
 * surfaces against a running agent is `npm run bench -- --fuzz` (test/bench/fuzz.ts).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { robotTopics, parseChecked, validateGripperResult, validateKey, validateResult, validateState } from '../../bridge/mqtt/robot-topics.js';
import { RosAgent } from '../../bridge/ros/ros-agent.js';
import { RosLink } from '../../bridge/ros/ros-link.js';
import { describeRobotMessage } from '../../robots/urdf.js';
import { loadRobot } from '../../robots/load.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { checkCommand, checkRoutedCommand } from '../../src/agent/command-schemas.js';
import { MemoryOnThread } from '../../src/agent/memory-service.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/memory/snapshot.js';
import { bundledMelodies, encodeMidi, parseMidi } from '../../src/music/index.js';
import { badRefusal, Mutator, safeStringify } from '../bench/mutate.js';
import { commandSeeds, demonstrationSeeds, midiSeeds, robotMessageSeeds, snapshotSeed, checkMidiInput, checkDemonstrationInput, checkSnapshotInput, resealed } from '../bench/fuzz-surfaces.js';
import { startRosbridge } from '../helpers/rosbridge-server.js';
import { sortNotes } from '../helpers/score.js';

const RUNS = { seed: 20261203, numRuns: 300 };
const mutated = <T>(seeds: T[], make: (m: Mutator, seed: T, other: T) => unknown) =>
  fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(seeds.length - 1), fc.nat(seeds.length - 1)).map(([s, i, j]) => make(new Mutator(s), seeds[i]!, seeds[j]!));

/** A failure as a value: the property fails with it named. */
const ok = (failure: string | null): void => {
  expect(failure).toBeNull();
};

describe('fuzz: MIDI bytes', () => {
  const seeds = midiSeeds();
  it('mutated files parse and learn, or are refused with a short MidiFileError; what learns recalls exactly', () => {
    fc.assert(fc.property(mutated(seeds, (m, a, b) => m.bytes(a, b)), (bytes) => ok(checkMidiInput(bytes as Buffer))), RUNS);
  });

  it('arbitrary bytes after a MIDI header are refused cleanly', () => {
    const head = Buffer.from('MThd\0\0\0\x06\0\x01\0\x01\x01\xe0MTrk', 'latin1');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => ok(checkMidiInput(Buffer.concat([head, tail])))), RUNS);
  });

  it('well-formed files at any resolution and tempo (ppq 1..32767, 0.5..5000 bpm) learn and recall exactly at tempo 1, or are refused at learn', () => {
    const note = fc.record({ pitch: fc.integer({ min: 0, max: 127 }), tick: fc.integer({ min: 0, max: 1 << 24 }), duration: fc.integer({ min: 0, max: 1 << 16 }) });
    const file = fc.record({
      ppq: fc.oneof(fc.constantFrom(1, 2, 3, 24, 96, 480, 960, 961, 1920, 32767), fc.integer({ min: 1, max: 32767 })),
      bpm: fc.oneof(fc.constantFrom(0.5, 1, 8, 120, 999, 1000, 1001, 5000), fc.double({ min: 0.5, max: 5000, noNaN: true })),
      notes: fc.array(note, { minLength: 1, maxLength: 40 }),
    });
    fc.assert(
      fc.property(file, ({ ppq, bpm, notes }) => {
        const bytes = encodeMidi([{ name: 't', notes }], ppq, [{ tick: 0, secondsPerTick: 60 / (bpm * ppq) }]);
        ok(checkMidiInput(bytes));
      }),
      RUNS,
    );
  });

  it('ppq 1 at 120 bpm (a tick longer than the pacemaker keeps) learns and recalls every note, on finer ticks', () => {
    const bytes = encodeMidi([{ name: 't', notes: [{ pitch: 60, tick: 0, duration: 1 }, { pitch: 64, tick: 1, duration: 2 }, { pitch: 67, tick: 3, duration: 1 }] }], 1, [{ tick: 0, secondsPerTick: 0.5 }]);
    const piece = parseMidi(bytes, 'coarse.mid');
    expect(piece.quantisation).toMatchObject({ sourcePpq: 1, ppq: 2, maxErrorTicks: 0 });
    const m = new SequenceMemory();
    m.learn('coarse', piece.sequence);
    const r = m.recall('coarse');
    expect(r.tracks[0]!.notes.map((n) => [n.symbol, n.tick, n.duration])).toEqual(sortNotes(piece.sequence.tracks[0]!.notes).map((n) => [n.symbol, n.tick, n.duration]));
    expect(r.tracks[0]!.notes[2]!.time).toBeCloseTo(1.5, 5); // 3 quarters at 120 bpm
  });

  it('refuses at learn, saying why: too fast for the network, too long, too many notes; never "undefined"', () => {
    const at = (ppq: number, bpm: number, notes: Array<{ pitch: number; tick: number; duration: number }>) => encodeMidi([{ name: 't', notes }], ppq, [{ tick: 0, secondsPerTick: 60 / (bpm * ppq) }]);
    expect(() => parseMidi(at(960, 1000, [{ pitch: 60, tick: 0, duration: 1 }]), 'fast.mid')).toThrow(/fast\.mid: plays too fast for the memory: 1000 bpm at 960 ticks per quarter makes a tick of 62\.5 us, shorter than the 80 us the network needs/);
    expect(() => parseMidi(at(960, 2000, [{ pitch: 60, tick: 0, duration: 1 }]), 'tempo.mid')).toThrow(/tempo\.mid: has a tempo of 2000 bpm at tick 0, outside 1\.\.1000 bpm/);
    expect(() => parseMidi(at(1, 60, [{ pitch: 60, tick: 0, duration: 1 }, { pitch: 62, tick: 8000, duration: 1 }]), 'long.mid')).toThrow(/long\.mid: lasts 8001 s at its own tempo, more than the 7200 s/);
    const many = Array.from({ length: 15_001 }, (_, i) => ({ pitch: 60, tick: i, duration: 1 }));
    expect(() => parseMidi(at(480, 120, many), 'many.mid')).toThrow(/many\.mid: has 30002 note events in track 2, more than the 30000 a track may have/);
    const pedal = Buffer.from([0x00, 0x90, 60, 80, ...Array.from({ length: 200_001 }, () => [0x00, 0xb0, 64, 127]).flat(), 0x10, 0x80, 60, 0]);
    const chunk = Buffer.concat([Buffer.from('MThd\0\0\0\x06\0\x00\0\x01\x01\xe0MTrk', 'latin1'), Buffer.from([pedal.length >>> 24, (pedal.length >> 16) & 255, (pedal.length >> 8) & 255, pedal.length & 255]), pedal]);
    expect(() => parseMidi(chunk, 'pedal.mid')).toThrow(/^pedal\.mid: has more than 200000 events, more than a file may have$/);
    // a track chunk whose events cannot be parsed: worded by us, not the parser's text or 'undefined'
    const broken = Buffer.from('MThd\0\0\0\x06\0\x01\0\x01\x01\xe0MTrk\0\0\0\x04\x00\x40\x40\x40', 'latin1');
    expect(() => parseMidi(broken, 'broken.mid')).toThrow(/^broken\.mid: is corrupt: track 1 has a data byte before any status byte \(at byte 23\)$/);
    // the memory refuses what it could not count or play, whoever gives it the sequence
    const m = new SequenceMemory();
    expect(() => m.learn('far', { tracks: [{ notes: [{ symbol: 60, tick: 2 ** 31 - 1, duration: 1 }] }] })).toThrow(/ends after tick 2147483647/);
    expect(() => m.learn('slow', { tracks: [{ notes: [{ symbol: 60, tick: 0, duration: 1 }] }], timing: [{ tick: 0, secondsPerTick: 1 }] })).toThrow(/a tick of 1000 ms is longer than the 400 ms the pacemaker can keep/);
    m.learn('ok', { tracks: [{ notes: [{ symbol: 60, tick: 0, duration: 1 }] }], timing: [{ tick: 0, secondsPerTick: 0.3 }] });
    expect(() => m.recall('ok', { tempo: 0.5 })).toThrow(/tempo: 0.5 is too slow for 'ok': a tick would last 600\.0 ms, the pacemaker keeps at most 400 ms/);
    expect(m.titles().map((e) => e.title)).toEqual(['ok']);
  });
});

describe('fuzz: demonstration files', () => {
  const seeds = demonstrationSeeds();
  it('mutated CSV and JSON demonstrations are taught, or refused with a short DemonstrationError', () => {
    fc.assert(fc.property(mutated(seeds, (m, a, b) => ({ file: a.file, text: a.file.endsWith('.json') && m.rng.int(2) ? m.jsonText(JSON.parse(a.text)).toString() : m.bytes(Buffer.from(a.text), Buffer.from(b.text)).toString('latin1') })), (d) => ok(checkDemonstrationInput(d as { file: string; text: string }))), { ...RUNS, numRuns: 150 });
  });
  it('arbitrary JSON and text as demonstrations are refused cleanly', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => ok(checkDemonstrationInput({ file: 'any.json', text: safeStringify(v) }))), { ...RUNS, numRuns: 150 });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (t) => ok(checkDemonstrationInput({ file: 'any.csv', text: `time,shoulder,elbow,wrist\n${t}` }))), { ...RUNS, numRuns: 150 });
  });
});

describe('fuzz: command bodies (web, MQTT, ROS share the schemas)', () => {
  const seeds = commandSeeds();
  const check = (body: unknown, text: string): string | null => {
    const r = checkRoutedCommand(body, 'web');
    return r.ok ? null : badRefusal(r.error, text);
  };
  it('every JSON value gets ok or a short error that does not echo it', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => ok(check(v, safeStringify(v)))), RUNS);
  });
  it('mutated commands get ok or a short error that does not echo them', () => {
    fc.assert(fc.property(mutated(seeds, (m, a) => m.json(a)), (v) => ok(check(v, safeStringify(v)))), { ...RUNS, numRuns: 400 });
  });
  it('mutated MQTT command payloads (bytes) get ok or a short error', () => {
    fc.assert(
      fc.property(mutated(seeds, (m, a) => m.jsonText({ ...(a as object), id: 'f1', replyTo: 'fuzz' })), (payload) => {
        const r = checkCommand(payload as Buffer);
        ok(r.ok ? null : badRefusal(r.error, (payload as Buffer).toString()));
      }),
      { ...RUNS, numRuns: 400 },
    );
  });
});

describe('fuzz: MQTT payloads on the robot topics the agent reads', () => {
  const t = robotTopics('fuzz-arm');
  const seeds = robotMessageSeeds(6);
  const validators = { state: validateState, result: validateResult, keys: validateKey, gripper: validateGripperResult } as const;
  const topicOf = { state: t.state, result: t.result, keys: t.keys, gripper: t.gripperResult } as const;
  it('state, result, key and gripper messages: a value or a short error naming the topic', () => {
    for (const [name, validate] of Object.entries(validators)) {
      const topic = topicOf[name as keyof typeof validators];
      fc.assert(
        fc.property(mutated(seeds[name as keyof typeof validators], (m, a) => m.jsonText(a)), (payload) => {
          const r = parseChecked(topic, payload as Buffer, validate);
          if (!r.ok) {
            expect(r.error.startsWith(`${topic}: `)).toBe(true);
            ok(badRefusal(r.error, (payload as Buffer).toString()));
          }
        }),
        RUNS,
      );
    }
  });
  it('description messages: a robot description or a short error', () => {
    const seed = JSON.parse(JSON.stringify(loadRobot('ur5e'))) as unknown;
    fc.assert(
      fc.property(mutated([seed], (m, a) => m.json(a)), (raw) => {
        try {
          describeRobotMessage(raw, t.description);
        } catch (err) {
          ok(badRefusal((err as Error).message, safeStringify(raw)));
        }
      }),
      { ...RUNS, numRuns: 200 },
    );
  });
});

describe('fuzz: rosbridge messages to the ROS agent', () => {
  const cleanup: Array<() => unknown> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  it('mutated commands on /engram/run and /engram/command: each answered ok or with a short error; the agent keeps answering', async () => {
    const bridge = await startRosbridge(0, { rosVersion: 2 });
    const memory = new SequenceMemory();
    for (const m of bundledMelodies().slice(0, 2)) memory.learn(m.title, m.sequence);
    const core = new AgentCore({ memory: new MemoryOnThread(memory) });
    const link = new RosLink(bridge.url);
    const agent = new RosAgent({ handle: core.handle, check: checkRoutedCommand, events: core.events, link, rosVersion: 2 });
    await agent.start();
    cleanup.push(() => bridge.close(), () => link.close(), () => agent.stop());
    await expect.poll(() => bridge.advertisedServices.size).toBe(5);
    const seeds = commandSeeds().map((c) => ({ ...(c as object), id: 'r1' }));
    await fc.assert(
      fc.asyncProperty(mutated(seeds, (m, a) => m.jsonText(a, 64 << 10).toString()), async (json) => {
        const r = await bridge.callService('/engram/run', { json }, 10_000);
        expect(r.result).toBe(true);
        const answer = JSON.parse(r.values.json) as { ok: boolean; error?: string };
        expect(answer.ok).toBe(r.values.ok);
        if (!answer.ok) ok(badRefusal(answer.error, json as string));
        bridge.publish('/engram/command', { data: json });
      }),
      { ...RUNS, numRuns: 150 },
    );
    const status = await bridge.callService('/engram/status', {});
    expect(status.values.success).toBe(true);
  });
});

describe('fuzz: snapshot files', () => {
  const seed = snapshotSeed();
  it('mutated snapshots load, or are refused with a short SnapshotError', () => {
    fc.assert(fc.property(mutated([seed], (m, a) => m.bytes(a)), (bytes) => ok(checkSnapshotInput(bytes as Buffer))), { ...RUNS, numRuns: 500 });
  });
  it('a snapshot whose header was changed and resealed (checksums right) loads or is refused cleanly', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (s) => ok(checkSnapshotInput(resealed(seed, new Mutator(s))))), { ...RUNS, numRuns: 500 });
  });
  it('the seed itself round-trips', () => {
    const memory = decodeSnapshot(seed);
    expect(encodeSnapshot(memory).equals(seed)).toBe(true);
  });
});
