import type { SequenceMemory } from '../memory/sequence-memory.js';
import type { Fragment, RecallResult, Sequence } from '../memory/types.js';
import { checkDemonstration, DemonstrationError, type DemoSample, type SkillJoint } from './demonstration.js';
import { extractKeyframes, type Keyframe, type KeyframeOptions } from './keyframes.js';
import { coarsePath, pathFragment, type CoarseStep } from './coarse-path.js';
import { PoseCode } from './pose-code.js';
import { GRIPPER_TRACK, GripperCode, gripperChanges, gripperFromRecall, withGripperKeyframes, type GripperEvent } from './gripper.js';

/** The name of a skill's track of coarse columns only (recognition's). */
export const COARSE_TRACK = 'coarse';

/** Skills are learned on a 1 ms tick: a keyframe's onset and its pause are whole milliseconds. */
const SECONDS_PER_TICK = 0.001;

export interface TaughtSkill {
  skill: string;
  samples: number;
  keyframes: number;
  /** Seconds from the first to the last sample. */
  seconds: number;
  /** Position resolution of the pose code per joint, rad. */
  resolution: number[];
  notes: number;
  /** Gripper events learned (its state at the start and each change); absent: the demonstration had no gripper. */
  gripperEvents?: number;
}

/** A skill as it comes back from the memory: keyframes rebuilt from the spikes of its recall. */
export interface RecalledSkill {
  skill: string;
  tempo: number;
  joints: SkillJoint[];
  keyframes: Keyframe[];
  /** Keyframes where some joint's column stayed silent (its last known position was held). */
  incomplete: number;
  spikes: number;
  /** Gripper commands decoded from the gripper track's spikes, times from the first keyframe (only for skills taught with a gripper). */
  gripper?: GripperEvent[];
}

/**
 * The symbol sequence of a demonstration's keyframes: one event (a chord of joint symbols) per keyframe
 * in track 0 ('joints'), which recall decodes. A code with fine columns adds track 1 ('coarse'), what
 * recognition listens to: the demonstration's coarse path (coarse-path.ts) when given, else the
 * keyframes' coarse columns.
 */
export function skillSequence(
  keyframes: readonly Keyframe[],
  code: PoseCode,
  robot?: string,
  gripper?: { events: readonly GripperEvent[]; code: GripperCode },
  path?: readonly CoarseStep[],
): Sequence {
  const notes: Sequence['tracks'][0]['notes'] = [];
  let lastTick = -1;
  for (const k of keyframes) {
    const tick = Math.max(lastTick + 1, Math.round(k.time / SECONDS_PER_TICK));
    const duration = Math.max(0, Math.round(k.dwell / SECONDS_PER_TICK));
    for (const symbol of code.encode(k.positions)) notes.push({ symbol, tick, duration });
    lastTick = tick;
  }
  const coarse = coarseNotes(path ?? keyframes.map((k) => ({ time: k.time, symbols: code.encodeCoarse(k.positions) })));
  const tracks: Sequence['tracks'] = code.hasFine ? [{ name: 'joints', notes }, { name: COARSE_TRACK, notes: coarse }] : [{ name: 'joints', notes }];
  if (gripper && gripper.events.length > 0) tracks.push(gripperTrack(gripper.events, gripper.code));
  return {
    tracks,
    timing: [{ tick: 0, secondsPerTick: SECONDS_PER_TICK }],
    meta: {
      kind: 'skill',
      robot: robot ?? null,
      joints: code.joints.map((j) => j.name),
      ranges: code.joints.map((j) => `${j.min},${j.max}`),
      ...code.toMeta(),
      ...(gripper && gripper.events.length > 0 ? gripper.code.toMeta() : {}),
    },
  };
}

/**
 * The coarse track's notes: one chord per step of the path, held until the next step; a step that
 * repeats the one before (keyframes inside one coarse cell) adds nothing, so it is left out.
 */
function coarseNotes(path: readonly CoarseStep[]): Sequence['tracks'][0]['notes'] {
  const notes: Sequence['tracks'][0]['notes'] = [];
  const steps = path.filter((st, i) => i === 0 || st.symbols.join() !== path[i - 1]!.symbols.join());
  let lastTick = -1;
  steps.forEach((st, i) => {
    const tick = Math.max(lastTick + 1, Math.round(st.time / SECONDS_PER_TICK));
    const next = steps[i + 1];
    const duration = next ? Math.max(0, Math.round(next.time / SECONDS_PER_TICK) - tick) : 0;
    for (const symbol of st.symbols) notes.push({ symbol, tick, duration });
    lastTick = tick;
  });
  return notes;
}

/** The gripper track: one symbol per gripper event at the tick it happens (the keyframes' clock). */
function gripperTrack(events: readonly GripperEvent[], code: GripperCode): Sequence['tracks'][0] {
  let lastTick = -1;
  const notes = events.map((e) => {
    const tick = Math.max(lastTick + 1, Math.round(e.time / SECONDS_PER_TICK));
    lastTick = tick;
    return { symbol: code.encode(e.closure), tick, duration: 0 };
  });
  return { name: GRIPPER_TRACK, notes };
}

/** Learns a demonstration as the skill `skill`: checked, cut to keyframes, coded as symbols, learned. */
export function teachSkill(
  memory: SequenceMemory,
  skill: string,
  samples: readonly DemoSample[],
  joints: readonly SkillJoint[],
  options: KeyframeOptions & { robot?: string } = {},
): TaughtSkill {
  checkDemonstration(samples, joints, `demonstration '${skill}'`);
  const code = PoseCode.forJoints(joints, { maxSymbol: memory.params.maxSymbol });
  const changes = gripperChanges(samples);
  // a gripper change while the arm moves is a keyframe: the replay is at that pose when the gripper acts
  const keyframes = withGripperKeyframes(extractKeyframes(samples, { ...options, tolerance: keyframeTolerance(code, options.tolerance) }), samples, changes, options.smoothing);
  const gripper = changes.length > 0 ? { events: changes, code: GripperCode.forMemory(memory.params.maxSymbol) } : undefined;
  const stats = memory.learn(skill, skillSequence(keyframes, code, options.robot, gripper, coarsePath(samples, code)));
  return {
    skill,
    samples: samples.length,
    keyframes: keyframes.length,
    seconds: samples[samples.length - 1]!.time - samples[0]!.time,
    resolution: joints.map((_, j) => code.resolution(j)),
    notes: stats.notes,
    ...(gripper ? { gripperEvents: changes.length } : {}),
  };
}

/** Whether a title is a skill (taught by demonstration) rather than a piece of music. */
export function isSkill(memory: SequenceMemory, title: string): boolean {
  return memory.has(title) && memory.entry(title).meta?.kind === 'skill';
}

/** The joints a skill was taught in, from its title entry (names and ranges only). */
export function skillJoints(memory: SequenceMemory, skill: string): { joints: SkillJoint[]; code: PoseCode } {
  const meta = memory.entry(skill).meta ?? {};
  if (meta.kind !== 'skill') throw new DemonstrationError(`skill '${skill}'`, 'is a piece of music, not a skill taught by demonstration');
  const names = meta.joints as string[];
  const joints = (meta.ranges as string[]).map((r, i) => {
    const [min, max] = r.split(',').map(Number);
    return { name: names[i]!, min: min!, max: max! };
  });
  return { joints, code: PoseCode.fromMeta(joints, meta, `skill '${skill}'`) };
}

/** RDP tolerance: as asked (default 0.02 rad), never finer than the code resolves. */
function keyframeTolerance(code: PoseCode, tolerance = 0.02): number {
  return Math.max(tolerance, ...code.joints.map((_, j) => code.resolution(j)));
}

/** Recalls a skill from its goal neuron at `tempo` and rebuilds keyframes from the recalled symbols. */
export function recallSkill(memory: SequenceMemory, skill: string, options: { tempo?: number } = {}): RecalledSkill {
  const { joints, code } = skillJoints(memory, skill);
  const gripper = GripperCode.fromMeta(memory.entry(skill).meta ?? {}, `skill '${skill}'`);
  const r = memory.recall(skill, { tempo: options.tempo });
  const { keyframes, incomplete, origin } = keyframesFromRecall(r, code);
  return { skill, tempo: r.tempo, joints, keyframes, incomplete, spikes: r.spikes, ...(gripper ? { gripper: gripperFromRecall(r, gripper, origin) } : {}) };
}

/** Groups track 0's recalled notes by onset tick into poses; a joint whose column stayed silent holds its last position. */
export function keyframesFromRecall(r: RecallResult, code: PoseCode): { keyframes: Keyframe[]; incomplete: number; origin: number } {
  const notes = r.tracks.filter((t) => t.track === 0).flatMap((t) => t.notes).sort((a, b) => a.tick - b.tick || a.symbol - b.symbol);
  const keyframes: Keyframe[] = [];
  let incomplete = 0;
  let last: number[] | null = null;
  for (let i = 0; i < notes.length; ) {
    const tick = notes[i]!.tick;
    const symbols: number[] = [];
    let time = Infinity;
    let dwell = 0;
    for (; i < notes.length && notes[i]!.tick === tick; i++) {
      const n = notes[i]!;
      if (code.jointOf(n.symbol) < 0) continue;
      symbols.push(n.symbol);
      time = Math.min(time, n.time);
      if (n.duration > 0) dwell = Math.max(dwell, n.seconds); // a 0-tick duration still spikes a few µs later
    }
    const pose = code.decodePose(symbols);
    if (!pose.complete) {
      incomplete++;
      if (!last && pose.positions.some((x) => x === null)) continue; // nothing to hold yet: the pose cannot be rebuilt
    }
    const positions = pose.positions.map((x, j) => x ?? last![j]!);
    keyframes.push({ time, positions, dwell });
    last = positions;
  }
  // times from the first keyframe
  const t0 = keyframes[0]?.time ?? 0;
  for (const k of keyframes) k.time -= t0;
  return { keyframes, incomplete, origin: t0 };
}

/**
 * The start of a demonstration as a fragment to recognise, in the code a new skill of these joints is
 * taught in within `maxSymbol` (default 1023). By default the coarse cells it passed through (its
 * coarse path, coarse-path.ts: what a skill's 'coarse' track holds), the latest `keyframes` of them (96): the
 * same motion gives the same cells whatever the noise, and a neighbouring cell (the motion ran along
 * a border) is evidence, not a wrong note. `symbols: 'all'` gives the full code of its keyframes
 * (track 0; the last sample, where the recording was cut, left out unless the arm rests there).
 */
export function demonstrationFragment(
  samples: readonly DemoSample[],
  joints: readonly SkillJoint[],
  options: KeyframeOptions & { keyframes?: number; maxSymbol?: number; symbols?: 'coarse' | 'all' } = {},
): Fragment {
  checkDemonstration(samples, joints, 'fragment');
  const code = PoseCode.forJoints(joints, { maxSymbol: options.maxSymbol });
  if (options.symbols !== 'all') {
    return pathFragment(samples, code, options.keyframes).fragment;
  }
  const all = extractKeyframes(samples, { ...options, tolerance: keyframeTolerance(code, options.tolerance) });
  if (all.length > 1 && all[all.length - 1]!.dwell === 0) all.pop();
  const keyframes = all.slice(0, options.keyframes ?? Infinity);
  return { notes: keyframes.flatMap((k) => code.encode(k.positions).map((symbol) => ({ symbol }))) };
}
