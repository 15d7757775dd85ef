import type { SequenceMemory } from '../../src/memory/sequence-memory.js';
import type { Continuation, Fragment, IdentifyMatch, RecalledNote, RecallResult } from '../../src/memory/types.js';
import { MemoryInputError } from '../../src/memory/validate.js';
import { pianoArm, type KeyboardDescription, type PianoArm, type RobotDescription } from '../description.js';
import { placeRobot } from '../load.js';
import { planArms, type ArmPlan, type TimedNote } from './planner.js';

/**
 * A piece for arms at a keyboard: the recalled score split into tracks per arm and planned. The same for
 * simulated and real arms (sim/ runs it through physics, the fleet through robots' drivers).
 */

export interface PerformanceOptions {
  /** Recall tempo (pacemaker rate factor). */
  tempo?: number;
  /** Only the notes starting in the first `seconds` of the performance. */
  seconds?: number;
  /** Keep the memory's spike raster of the recall (for a view). */
  raster?: boolean;
}

/** The memory's spikes during recall (time s, neuron, group) and the pacemaker's pulses: the memory's own type. */
export type RecallRaster = NonNullable<RecallResult['raster']>;

export interface PlayedNote {
  pitch: number;
  time: number;
  duration: number;
}

/** Two arms, one at each end of the keyboard, elbows bent towards it. */
export function armPair(robot: PianoArm, kb: KeyboardDescription): [PianoArm, PianoArm] {
  const length = kb.keys * kb.slot;
  return [placeRobot(robot, -0.05, 'cw', `${robot.name} left`), placeRobot(robot, length + 0.05, 'ccw', `${robot.name} right`)];
}

export interface PlannedPerformance {
  score: TimedNote[];
  plans: Array<{ robot: PianoArm; plan: ArmPlan; tracks: number[]; notes: number }>;
  raster?: RecallRaster;
  /** When the piece is a continuation of a played fragment (planContinuation): what the memory found. */
  continuation?: PlannedContinuation['continuation'];
}

/**
 * Recalls a title (notes from the network's spikes, timed by the pacemaker at `tempo`) and plans it
 * for the given arms (ordered left to right): tracks go to arms by mean pitch, one arm per track, the
 * lower tracks to the left. Works for simulated and real arms alike.
 */
export function planPerformance(memory: SequenceMemory, title: string, arms: RobotDescription[], kb: KeyboardDescription, options: PerformanceOptions = {}): PlannedPerformance {
  const r = memory.recall(title, { tempo: options.tempo ?? 1, raster: options.raster === true });
  return { ...planTracks(r.tracks.map((t) => t.notes), arms, kb, options.seconds), ...(r.raster ? { raster: r.raster } : {}) };
}

/** What a continuation is asked for: how many notes of the matched track, and a tempo to override the player's. */
export interface ContinuationOptions {
  /** Notes of the matched track to play on (the other tracks play alongside them); default 16. */
  count?: number;
  /** Tempo relative to the piece; default: the tempo the fragment was played at (durations in seconds). */
  tempo?: number;
  /** Only the notes starting in the first `seconds`. */
  seconds?: number;
  /** Keep the memory's spike raster of the continuation (for a view). */
  raster?: boolean;
}

/** A planned continuation: the piece from where the fragment was found, and what the memory said about it. */
export interface PlannedContinuation extends PlannedPerformance {
  continuation: Omit<Continuation, 'tracks'> & { title: string; match: IdentifyMatch; tracks: Array<{ track: number; name?: string; notes: number }> };
}

/**
 * Completes a fragment (the memory finds the place and recalls every track from it, at the player's
 * tempo: SequenceMemory.complete) and plans the continuation for the arms. Time 0 is the onset of the
 * fragment's last matched note, so the arms come in where the player stopped. Throws naming the notes
 * when nothing learned matches.
 */
export function planContinuation(memory: SequenceMemory, fragment: Fragment, arms: RobotDescription[], kb: KeyboardDescription, options: ContinuationOptions = {}): PlannedContinuation {
  const c = memory.complete(fragment, { count: options.count ?? 16, tempo: options.tempo, raster: options.raster === true });
  if (!c.match || !c.tracks || !c.place) throw new MemoryInputError('notes', 'the fragment matches no learned piece');
  if (c.tracks.every((t) => t.notes.length === 0)) throw new MemoryInputError('notes', `the fragment is where '${c.match.title}' ends: nothing follows it`);
  const planned = planTracks(c.tracks.map((t) => t.notes), arms, kb, options.seconds);
  const { tracks, raster, ...rest } = c as Required<typeof c>;
  return {
    ...planned,
    ...(raster ? { raster } : {}),
    continuation: {
      title: c.match.title,
      match: c.match,
      tempo: rest.tempo,
      tempoSource: rest.tempoSource,
      playerTempo: rest.playerTempo,
      place: rest.place,
      transposition: rest.transposition,
      tracks: tracks.map((t) => ({ track: t.track, ...(t.name === undefined ? {} : { name: t.name }), notes: t.notes.length })),
    },
  };
}

/** Recalled tracks planned for the arms: a score of every note, each track given to an arm. */
export function planTracks(recalled: RecalledNote[][], arms: RobotDescription[], kb: KeyboardDescription, seconds = Infinity): PlannedPerformance {
  const pianoArms = arms.map(pianoArm); // a robot without keyboard and fingers is refused, naming it
  let index = 0;
  const tracks = recalled.map((t) =>
    t.filter((n) => n.time < seconds && n.duration >= 0).map((n) => ({ index: 0, pitch: n.symbol, time: n.time, duration: n.seconds })),
  );
  const score: TimedNote[] = [];
  for (const t of tracks) for (const n of t) score.push(n);
  score.sort((a, b) => a.time - b.time || a.pitch - b.pitch);
  score.forEach((n) => (n.index = index++));
  const mean = (t: TimedNote[]) => (t.length ? t.reduce((a, n) => a + n.pitch, 0) / t.length : 60);
  const order = tracks.map((t, i) => ({ i, m: mean(t) })).sort((a, b) => a.m - b.m);
  const left = pianoArms[0]!;
  const right = pianoArms[pianoArms.length - 1]!;
  const groups: Array<{ robot: PianoArm; tracks: number[] }> = [];
  if (order.length === 1 || arms.length === 1) groups.push({ robot: arms.length === 1 || order[0]!.m < 66 ? left : right, tracks: order.map((o) => o.i) });
  else {
    const half = Math.ceil(order.length / 2);
    groups.push({ robot: left, tracks: order.slice(0, half).map((o) => o.i) });
    groups.push({ robot: right, tracks: order.slice(half).map((o) => o.i) });
  }
  const armNotes = groups.map((g) => ({ robot: g.robot, notes: g.tracks.flatMap((t) => tracks[t]!) }));
  const armPlans = planArms(kb, armNotes);
  const plans = groups.map((g, i) => ({ robot: g.robot, plan: armPlans[i]!, tracks: g.tracks, notes: armNotes[i]!.notes.length }));
  return { score, plans };
}

/** Pairs key-down and key-up events into notes (a key still down at the end ends there). */
export function keyEventsToNotes(events: ReadonlyArray<{ pitch: number; on: boolean; time: number }>, end: number): PlayedNote[] {
  const open = new Map<number, number>();
  const out: PlayedNote[] = [];
  for (const e of events) {
    if (e.on) open.set(e.pitch, e.time);
    else {
      const t = open.get(e.pitch);
      if (t !== undefined) {
        out.push({ pitch: e.pitch, time: t, duration: e.time - t });
        open.delete(e.pitch);
      }
    }
  }
  for (const [pitch, t] of open) out.push({ pitch, time: t, duration: end - t });
  return out.sort((a, b) => a.time - b.time || a.pitch - b.pitch);
}

