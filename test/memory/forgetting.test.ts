import { describe, expect, it } from 'vitest';
import { memoryAnatomy } from '../../src/memory/anatomy.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/memory/snapshot.js';
import type { Fragment } from '../../src/memory/types.js';
import { UnknownTitleError } from '../../src/memory/validate.js';
import { bundledMelodies } from '../../src/music/notation.js';
import { Rng } from '../../src/snn/rng.js';
import { isSkill, recallSkill, teachSkill, type DemoSample, type SkillJoint } from '../../src/skills/index.js';

const JOINTS: SkillJoint[] = [
  { name: 'shoulder', min: -Math.PI, max: Math.PI },
  { name: 'elbow', min: -Math.PI, max: Math.PI },
  { name: 'wrist', min: -Math.PI, max: Math.PI },
];

/** A demonstration through `poses`: a pause at each, smooth moves between; 50 Hz with 2 mrad of noise. */
function demonstration(seed: number, poses: number[][]): DemoSample[] {
  const rng = new Rng(seed);
  const out: DemoSample[] = [];
  let t = 0;
  poses.forEach((pose, p) => {
    const next = poses[p + 1];
    for (let k = 0; k < 20; k++, t += 0.02) out.push({ time: t, positions: pose.map((q) => q + (rng.next() - 0.5) * 0.004) });
    if (next) {
      for (let k = 0; k < 40; k++, t += 0.02) {
        const s = (1 - Math.cos((Math.PI * k) / 40)) / 2;
        out.push({ time: t, positions: pose.map((q, j) => q + s * (next[j]! - q)) });
      }
    }
  });
  return out;
}

const melodies = bundledMelodies();
const SKILLS: Array<[string, number[][]]> = [
  ['wave', [[0, 0.5, -0.5], [0.8, -0.3, 0.2], [0, 0.5, -0.5], [0.8, -0.3, 0.2]]],
  ['reach', [[0, 0.5, -0.5], [0.8, -0.3, 0.2], [-1.2, 1.0, 0.6]]], // shares wave's opening
  ['point', [[1.5, -1, 0], [1.5, 0, 1], [0, 0, 0]]],
];

/** Music and skills in one memory, learned in one interleaved order. */
function mixedMemory(): SequenceMemory {
  const m = new SequenceMemory();
  melodies.forEach((mel, i) => {
    m.learn(mel.title, mel.sequence);
    const s = SKILLS[i];
    if (s) teachSkill(m, s[0], demonstration(i + 1, s[1]), JOINTS);
  });
  return m;
}

/** Every title's recall as JSON text (a skill: its keyframes rebuilt from the spikes, as the agent gives them). */
function recalls(m: SequenceMemory, rename: Map<string, string> = new Map()): Map<string, string> {
  const out = new Map<string, string>();
  for (const { title } of m.titles()) {
    const r = isSkill(m, title) ? { ...recallSkill(m, title), skill: rename.get(title) ?? title } : { ...m.recall(title), title: rename.get(title) ?? title };
    out.set(rename.get(title) ?? title, JSON.stringify(r));
  }
  return out;
}

/** A fragment of a title: the symbols of its first `n` recalled notes. */
function opening(m: SequenceMemory, title: string, n = 8): Fragment {
  return { notes: m.recall(title).tracks[0]!.notes.slice(0, n).map((x) => ({ symbol: x.symbol })) };
}

describe('forgetting and renaming a title', () => {
  it('forgetting a skill leaves every other title byte-identical in recall; the skill is gone from list, recall and identify', () => {
    const m = mixedMemory();
    expect(m.size).toBe(melodies.length + SKILLS.length);
    const before = recalls(m);
    const fragment = opening(m, 'wave', 6);
    expect(m.identify(fragment).map((x) => x.title)).toContain('wave');
    const stats0 = m.stats();
    const anatomy0 = memoryAnatomy(m);
    const waveTracks = m.entry('wave').tracks;
    const freed = m.forget('wave');
    // its neurons are reclaimed and the synapses that served only its chain are gone
    expect(freed.neuronsRemoved).toBeGreaterThan(10);
    expect(m.stats().neurons).toBe(stats0.neurons - freed.neuronsRemoved);
    expect(m.stats().synapses).toBe(stats0.synapses - freed.synapsesRemoved);
    expect(memoryAnatomy(m).areas.find((a) => a.name === 'goal')!.neurons).toBe(anatomy0.areas.find((a) => a.name === 'goal')!.neurons - waveTracks);
    expect(m.has('wave')).toBe(false);
    expect(m.titles().map((e) => e.title)).not.toContain('wave');
    expect(() => m.recall('wave')).toThrow(UnknownTitleError);
    expect(() => m.forget('wave')).toThrow(UnknownTitleError);
    expect(m.identify(fragment).map((x) => x.title)).not.toContain('wave');
    expect(m.identify(fragment).map((x) => x.title)).toContain('reach'); // the shared opening still names the other
    const after = recalls(m);
    expect([...after.keys()]).toEqual([...before.keys()].filter((t) => t !== 'wave'));
    for (const [title, text] of after) expect(text, title).toBe(before.get(title));
  });

  it('forgetting a piece of music: the others recall unchanged and are still identified; a title can be learned again', () => {
    const m = mixedMemory();
    const before = recalls(m);
    const ode = opening(m, 'Ode to Joy');
    const twinkle = opening(m, 'Twinkle, Twinkle, Little Star');
    m.forget('Ode to Joy');
    expect(m.identify(ode)[0]?.title).not.toBe('Ode to Joy');
    expect(m.identify(twinkle)[0]!.title).toBe('Twinkle, Twinkle, Little Star');
    for (const [title, text] of recalls(m)) expect(text, title).toBe(before.get(title));
    // learned again under the same name: it recalls as it did; so does everything else
    const mel = melodies.find((x) => x.title === 'Ode to Joy')!;
    m.learn(mel.title, mel.sequence);
    const again = JSON.parse(recalls(m).get('Ode to Joy')!) as { tracks: Array<{ notes: Array<{ symbol: number; tick: number; duration: number }> }> };
    const first = JSON.parse(before.get('Ode to Joy')!) as typeof again;
    const notes = (r: typeof again) => r.tracks.map((t) => t.notes.map((n) => [n.symbol, n.tick, n.duration]));
    expect(notes(again)).toEqual(notes(first));
    for (const [title, text] of recalls(m)) if (title !== 'Ode to Joy') expect(text, title).toBe(before.get(title));
    expect(m.identify(ode)[0]!.title).toBe('Ode to Joy');
  });

  it('rename keeps recall identical under the new name; the old name is gone; identify names the new one', () => {
    const m = mixedMemory();
    const before = recalls(m);
    const fragment = opening(m, 'point', 6);
    m.rename('point', 'point at the door');
    m.rename('Greensleeves', 'Greensleeves (trad.)');
    expect(m.has('point')).toBe(false);
    expect(() => m.recall('point')).toThrow(UnknownTitleError);
    expect(m.identify(fragment)[0]!.title).toBe('point at the door');
    const renamed = new Map([
      ['point at the door', 'point'],
      ['Greensleeves (trad.)', 'Greensleeves'],
    ]);
    const after = recalls(m, renamed); // keyed and named by the old names, to compare
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [title, text] of after) expect(text, title).toBe(before.get(title));
    // errors name the field, not the input
    expect(() => m.rename('reach', 'wave')).toThrow(/^to: another title already has that name$/);
    expect(() => m.rename('reach', '   ')).toThrow(/^title: must be a non-empty string/);
    expect(() => m.rename('nope', 'x')).toThrow(UnknownTitleError);
    m.rename('reach', 'reach'); // to its own name: nothing changes
    expect(recalls(m, renamed).get('reach')).toBe(before.get('reach'));
  });

  it('a memory with titles forgotten and renamed saves and loads: recall unchanged, the same bytes again', () => {
    const m = mixedMemory();
    const before = recalls(m);
    m.forget('reach');
    m.forget('Amazing Grace');
    m.rename('wave', 'hello');
    const bytes = encodeSnapshot(m);
    const loaded = decodeSnapshot(bytes);
    expect(loaded.titles().map((e) => e.title)).toEqual(m.titles().map((e) => e.title));
    const after = recalls(loaded, new Map([['hello', 'wave']]));
    expect(after.size).toBe(before.size - 2);
    for (const [title, text] of after) expect(text, title).toBe(before.get(title));
    expect(encodeSnapshot(loaded).equals(bytes)).toBe(true);
    // identify over the loaded memory: titles are found by their (renumbered) goal neurons
    expect(loaded.identify(opening(loaded, 'Canon in D'))[0]!.title).toBe('Canon in D');
    expect(loaded.identify(opening(loaded, 'hello', 6))[0]!.title).toBe('hello');
  });

  it('forgetting is deterministic whatever ran before it (a consolidation or not): live and replayed memories are the same bytes', () => {
    const live = mixedMemory();
    live.identify(opening(live, 'wave')); // consolidates the network before the forget
    live.forget('Canon in D');
    live.learn('tune', { tracks: [{ notes: [60, 62, 64, 65].map((symbol, i) => ({ symbol, tick: i * 100, duration: 100 })) }] });
    const replayed = mixedMemory();
    replayed.forget('Canon in D');
    replayed.learn('tune', { tracks: [{ notes: [60, 62, 64, 65].map((symbol, i) => ({ symbol, tick: i * 100, duration: 100 })) }] });
    expect(encodeSnapshot(live).equals(encodeSnapshot(replayed))).toBe(true);
  });

  it('forgetting every title leaves only the pacemaker, and the memory learns again', () => {
    const m = mixedMemory();
    for (const { title } of [...m.titles()]) m.forget(title);
    expect(m.size).toBe(0);
    expect(m.stats()).toMatchObject({ titles: 0, notes: 0, neurons: m.params.pacemakerSize, synapses: 0 });
    expect(m.identify({ notes: [{ symbol: 60 }] })).toEqual([]);
    const mel = melodies[0]!;
    m.learn(mel.title, mel.sequence);
    expect(m.recall(mel.title).tracks.map((t) => t.notes.length)).toEqual(mel.sequence.tracks.map((t) => t.notes.length));
  });
});
