import type { SequenceMemory } from '../memory/sequence-memory.js';
import { pathFragment } from './coarse-path.js';
import { checkDemonstration, type DemoSample, type SkillJoint } from './demonstration.js';
import type { Keyframe } from './keyframes.js';
import { PoseCode } from './pose-code.js';

/**
 * Two skills whose evidence differs by at most this many notes, plus one for each corner of the
 * demonstration's path, are tied. A corner (two joints crossing borders so close together that the
 * noise could have put them in the other order, coarse-path.ts) that a skill's own demonstration took
 * the other way costs one note (the cell between is a neighbour in each of the two joints: half a note
 * each); what is left is a cell at a border on one joint.
 */
export const TIE_MARGIN = 1;

/** A skill the memory named for the start of a demonstration. */
export interface SkillGuess {
  skill: string;
  /** Share of the fragment its best place explains (1: every step heard as learned). */
  score: number;
  /** Notes of the fragment its best place explains (a neighbouring cell counts half). */
  evidence: number;
  /** Notes in the fragment it was heard in. */
  notes: number;
}

export interface SkillRecognition {
  /** Skills of these joints the memory named, best first. */
  matches: SkillGuess[];
  /** The skills within TIE_MARGIN of the best, when more than one is (the motion is still in an opening they share); else null. */
  tie: string[] | null;
  /** The skill named alone (null: a tie, or nothing matched). */
  best: string | null;
  /** Steps of the demonstration's coarse path listened to. */
  steps: number;
  /** Notes of evidence within which skills are tied: TIE_MARGIN and one for each corner of those steps. */
  margin: number;
}

/** Whether a title is a skill taught in these joints (names and ranges). */
function taughtIn(meta: Record<string, unknown> | undefined, joints: readonly SkillJoint[]): boolean {
  if (meta?.kind !== 'skill' || !Array.isArray(meta.joints) || !Array.isArray(meta.ranges)) return false;
  const names = meta.joints as unknown[];
  const ranges = meta.ranges as unknown[];
  return names.length === joints.length && joints.every((j, i) => names[i] === j.name && ranges[i] === `${j.min},${j.max}`);
}

/**
 * "What is this skill?": the start of a demonstration (joint samples in `joints`) against the skills
 * taught in the same joints. Each skill listens in its own pose code (skills taught with one layout
 * share one question): the demonstration's coarse path in that code is the fragment, the memory's
 * recognition (spiking paths through the learned chains, their evidence reaching each skill's goal
 * neurons) ranks them. Skills within TIE_MARGIN of the best are a tie: the motion is still inside an
 * opening they share, and no skill is named alone.
 */
export function recogniseSkill(memory: SequenceMemory, samples: readonly DemoSample[], joints: readonly SkillJoint[], options: { limit?: number; where?: string } = {}): SkillRecognition {
  checkDemonstration(samples, joints, options.where ?? 'fragment');
  // the skills of these joints, by the layout of their code
  const byLayout = new Map<string, { code: PoseCode; skills: Set<string> }>();
  for (const e of memory.titles()) {
    if (!taughtIn(e.meta, joints)) continue;
    const code = PoseCode.fromMeta(joints, e.meta, `skill '${e.title}'`);
    const key = JSON.stringify(code.toMeta());
    let group = byLayout.get(key);
    if (!group) byLayout.set(key, (group = { code, skills: new Set() }));
    group.skills.add(e.title);
  }
  const matches: Array<SkillGuess & { margin: number }> = [];
  let steps = 0;
  let widest = TIE_MARGIN;
  for (const { code, skills } of byLayout.values()) {
    const { fragment, steps: n, corners } = pathFragment(samples, code);
    steps = Math.max(steps, n);
    if (fragment.notes.length === 0) continue;
    const notes = fragment.notes.length;
    // the places of skills that may be level with the best but for the noise reach their goal neurons too
    const margin = TIE_MARGIN + corners;
    widest = Math.max(widest, margin);
    for (const m of memory.identify({ ...fragment, margin })) if (skills.has(m.title)) matches.push({ skill: m.title, score: m.score, evidence: Math.round(m.score * notes * 2) / 2, notes, margin });
  }
  matches.sort((a, b) => b.score - a.score || b.evidence - a.evidence || (a.skill < b.skill ? -1 : a.skill > b.skill ? 1 : 0));
  const top = matches[0];
  const tied = top ? matches.filter((m) => (top.score - m.score) * m.notes <= m.margin + 1e-9) : [];
  const listed = matches.map(({ margin: _m, ...g }) => g);
  return {
    matches: options.limit !== undefined ? listed.slice(0, options.limit) : listed,
    tie: tied.length > 1 ? tied.map((m) => m.skill) : null,
    best: tied.length === 1 ? top!.skill : null,
    steps,
    margin: widest,
  };
}

/**
 * Where in `skill` the start of a demonstration has got to, s from the skill's start (at tempo 1): the
 * onset of the last step of its coarse path the memory's completion placed in the skill's coarse
 * track. Null when the memory places it in another title (the caller then cannot go on from it).
 */
export function placeInSkill(memory: SequenceMemory, skill: string, samples: readonly DemoSample[], joints: readonly SkillJoint[]): number | null {
  const e = memory.entry(skill);
  const { fragment } = pathFragment(samples, PoseCode.fromMeta(joints, e.meta, `skill '${skill}'`));
  if (fragment.notes.length === 0) return null;
  const c = memory.complete(fragment, { count: 1 });
  if (c.match?.title !== skill || !c.place) return null;
  return c.place.tick * c.place.secondsPerTick;
}

/**
 * The rest of a skill from `from` s into it (times as the keyframes', that is at their tempo): the
 * keyframes not yet reached, and a pause the motion is in with what is left of it, times from the
 * first of them (the robot moves there from wherever it is first); and its gripper events not yet
 * due, on that clock (one due before the first keyframe left acts as it starts).
 */
export function restOfSkill<G extends { time: number }>(keyframes: readonly Keyframe[], from: number, gripper: readonly G[] = []): { keyframes: Keyframe[]; gripper: G[] } {
  const rest = keyframes
    .filter((k) => k.time > from || k.time + k.dwell > from)
    .map((k) => (k.time > from ? { ...k } : { ...k, time: from, dwell: k.time + k.dwell - from }));
  const t0 = rest[0]?.time ?? 0;
  return {
    keyframes: rest.map((k) => ({ ...k, time: k.time - t0 })),
    gripper: gripper.filter((g) => g.time > from).map((g) => ({ ...g, time: Math.max(0, g.time - t0) })),
  };
}
