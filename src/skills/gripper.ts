import type { RecallResult } from '../memory/types.js';
import type { Keyframe } from './keyframes.js';
import { smoothDemonstration } from './keyframes.js';

/**
 * The gripper (or tool) of a skill: how closed it is, 0 = open .. 1 = closed, as an event when it
 * changes. Gripper events are learned in the memory as a track of their own ('gripper'), one symbol per
 * event at the tick the change happened, and recall decodes them from the spikes of that track, so the
 * pacemaker's tempo scales them with the rest of the skill and a lesion loses them as it loses poses.
 */

/** The name of a skill's gripper track. */
export const GRIPPER_TRACK = 'gripper';

/** How finely a gripper state is kept: 0, 0.1, ..., 1 (a gripper is mostly open or closed). */
export const GRIPPER_LEVELS = 11;

/** A gripper command at `time` s (from the skill's first keyframe): go to `closure`, 0 open .. 1 closed. */
export interface GripperEvent {
  time: number;
  closure: number;
}

/** A gripper state as a demonstration file or a command may give it: a number 0..1, or the words. */
export function gripperValue(v: unknown): number | null {
  if (v === 'open') return 0;
  if (v === 'closed' || v === 'close') return 1;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1) return v;
  return null;
}

/** The level (0..GRIPPER_LEVELS-1) a closure falls in. */
function level(closure: number): number {
  return Math.round(Math.min(1, Math.max(0, closure)) * (GRIPPER_LEVELS - 1));
}

/** A quantised closure, as the memory keeps it. */
export function quantiseClosure(closure: number): number {
  return level(closure) / (GRIPPER_LEVELS - 1);
}

/**
 * The symbols a skill's gripper events are learned as: GRIPPER_LEVELS minicolumns at the top of the
 * memory's symbol range (the pose code starts at the bottom of its range; a track of its own keeps
 * them apart even where a 7-joint code reaches this far). The title's meta keeps where they are.
 */
export class GripperCode {
  readonly base: number;
  constructor(base: number) {
    if (!Number.isInteger(base) || base < 0) throw new RangeError('GripperCode: the symbol base must be a non-negative integer');
    this.base = base;
  }

  /** The code for a memory whose symbols end at `maxSymbol`. */
  static forMemory(maxSymbol: number): GripperCode {
    return new GripperCode(maxSymbol - GRIPPER_LEVELS + 1);
  }

  encode(closure: number): number {
    return this.base + level(closure);
  }

  /** The closure a symbol stands for, or null when it is none of this code's. */
  decode(symbol: number): number | null {
    const l = symbol - this.base;
    return Number.isInteger(l) && l >= 0 && l < GRIPPER_LEVELS ? l / (GRIPPER_LEVELS - 1) : null;
  }

  toMeta(): Record<string, number> {
    return { gripperBase: this.base, gripperLevels: GRIPPER_LEVELS };
  }

  /** The code a skill's meta names, or null for a skill taught without a gripper. */
  static fromMeta(meta: Record<string, unknown>, where: string): GripperCode | null {
    if (meta.gripperBase === undefined) return null;
    if (typeof meta.gripperBase !== 'number' || meta.gripperLevels !== GRIPPER_LEVELS) throw new RangeError(`${where}: meta.gripperBase/gripperLevels do not describe a gripper code`);
    return new GripperCode(meta.gripperBase);
  }
}

/** A demonstration sample as far as its gripper goes. */
interface GripperSample {
  time: number;
  positions: number[];
  gripper?: number;
}

/** Changes closer than this follow each other as one move of the gripper (a position sensor's sweep), s. */
const SWEEP_GAP = 0.3;
/** A new level counts once it holds this long (or to the end): a blip of a sample or two is chatter, s. */
const MIN_HOLD = 0.1;

/**
 * The gripper events of a demonstration (none when its samples carry no gripper): its state at the
 * first sample, then every change of level, at the sample where it starts. A sweep (the level moving on
 * the same way sample after sample, as a gripper's position sensor reports a close) is one event to
 * where it settles; a level that does not hold for MIN_HOLD (a switch's chatter) is no change.
 * `index` is the sample's; times are seconds from the first sample.
 */
export function gripperChanges(samples: readonly GripperSample[]): Array<GripperEvent & { index: number }> {
  if (samples.length === 0 || samples[0]!.gripper === undefined) return [];
  const t0 = samples[0]!.time;
  const levels = samples.map((s) => level(s.gripper ?? 0));
  const out: Array<GripperEvent & { index: number }> = [{ index: 0, time: 0, closure: levels[0]! / (GRIPPER_LEVELS - 1) }];
  let current = levels[0]!;
  for (let i = 1; i < samples.length; i++) {
    if (levels[i] === current) continue;
    const way = Math.sign(levels[i]! - current);
    let target = levels[i]!;
    let lastChange = samples[i]!.time;
    let k = i + 1;
    for (; k < samples.length && samples[k]!.time - lastChange <= SWEEP_GAP; k++) {
      const step = levels[k]! - target;
      if (step === 0) continue;
      if (Math.sign(step) !== way) break;
      target = levels[k]!;
      lastChange = samples[k]!.time;
    }
    // where the sweep ends, the level must hold (to the end of the recording at least)
    let end = i;
    while (end + 1 < samples.length && samples[end + 1]!.time <= lastChange) end++;
    let holds = true;
    for (let h = end + 1; h < samples.length && samples[h]!.time < lastChange + MIN_HOLD; h++) if (levels[h] !== target) holds = false;
    if (!holds) continue;
    out.push({ index: i, time: samples[i]!.time - t0, closure: target / (GRIPPER_LEVELS - 1) });
    current = target;
    // carry on after the sweep's last change
    i = end;
  }
  return out;
}

/** A forced keyframe is not added this close to one already there, s: that one marks the pose. */
const NEAR = 0.05;

/**
 * Keyframes with one where each gripper change happens while the arm moves (in a pause the arm is
 * already held at its keyframe): the replay passes through the pose the gripper acted at, at that time.
 * The new keyframe's pose is the smoothed demonstration there, as extractKeyframes places moving ones.
 */
export function withGripperKeyframes(keyframes: readonly Keyframe[], samples: readonly GripperSample[], changes: ReadonlyArray<{ index: number; time: number }>, smoothing = 0.1): Keyframe[] {
  const out = keyframes.map((k) => ({ ...k, positions: [...k.positions] }));
  let smooth: number[][] | null = null;
  for (const c of changes) {
    const t = c.time;
    const covered = out.some((k) => t >= k.time - NEAR && t <= k.time + k.dwell + NEAR);
    if (covered) continue;
    smooth ??= smoothDemonstration(samples as Array<{ time: number; positions: number[] }>, smoothing).positions;
    const at = out.findIndex((k) => k.time > t);
    out.splice(at < 0 ? out.length : at, 0, { time: t, positions: [...smooth[c.index]!], dwell: 0 });
  }
  return out;
}

/** Gripper events decoded from a recall's gripper track; times from `origin` (the first keyframe's spike), s. */
export function gripperFromRecall(r: RecallResult, code: GripperCode, origin: number): GripperEvent[] {
  const notes = r.tracks.filter((t) => t.name === GRIPPER_TRACK).flatMap((t) => t.notes).sort((a, b) => a.tick - b.tick || a.symbol - b.symbol);
  const out: GripperEvent[] = [];
  let lastTick = -1;
  for (const n of notes) {
    const closure = code.decode(n.symbol);
    // two symbols at one tick: a corrupted event (a lesioned network); the lower stands
    if (closure === null || n.tick === lastTick) continue;
    lastTick = n.tick;
    out.push({ time: Math.max(0, n.time - origin), closure });
  }
  return out;
}
