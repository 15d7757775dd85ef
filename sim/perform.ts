import type { SequenceMemory } from '../src/memory/sequence-memory.js';
import type { KeyboardDescription, RobotDescription } from '../robots/description.js';
import { loadKeyboard, loadRobot, placeRobot } from '../robots/load.js';
import { planArms, type ArmPlan, type PlanIssue, type TimedNote } from './planner.js';
import { scoreNotes, type ScoreReport } from './score.js';
import { executePlan } from './executor.js';
import { World } from './world.js';

export interface PerformOptions {
  /** Recall tempo (pacemaker rate factor). */
  tempo?: number;
  /** Robot description name (robots/arms) or JSON file. */
  robot?: string;
  keyboard?: string;
  /** Only the notes starting in the first `seconds` of the performance. */
  seconds?: number;
  /** Physics step, ms. */
  dtMs?: number;
  /** Record frames for a view at this rate (frames per second of simulated time). */
  recordFps?: number;
}

/** What a view needs to replay a performance: arm poses and finger strokes over time. */
export interface PerformanceRecording {
  fps: number;
  robots: RobotDescription[];
  keyboard: KeyboardDescription;
  /** frames[k][arm] = [q0, q1, q2, finger extensions...] (rad, m), rounded. */
  frames: number[][][];
  keyEvents: Array<{ pitch: number; on: boolean; time: number }>;
  /** The memory's spikes during recall (time s, neuron, group). */
  raster?: { time: number[]; neuron: number[]; group: number[]; groups: string[] };
}

export interface PlayedNote {
  pitch: number;
  time: number;
  duration: number;
}

export interface ArmReport {
  robot: string;
  tracks: number[];
  notes: number;
  planned: number;
  moves: number;
  issues: PlanIssue[];
  /** Largest x error of the hand while a finger was fully down, mm. */
  maxStrokeErrorMm: number;
}

export interface Performance {
  title: string;
  tempo: number;
  /** The recalled score (what the arms were asked to play), in performance order. */
  score: TimedNote[];
  played: PlayedNote[];
  report: ScoreReport;
  arms: ArmReport[];
  simSeconds: number;
  wallSeconds: number;
  recording?: PerformanceRecording;
}

/** Two arms, one at each end of the keyboard, elbows bent towards it. */
export function armPair(robot: RobotDescription, kb: KeyboardDescription): [RobotDescription, RobotDescription] {
  const length = kb.keys * kb.slot;
  return [placeRobot(robot, -0.05, 'cw', `${robot.name} left`), placeRobot(robot, length + 0.05, 'ccw', `${robot.name} right`)];
}

export interface PlannedPerformance {
  score: TimedNote[];
  plans: Array<{ robot: RobotDescription; plan: ArmPlan; tracks: number[]; notes: number }>;
  raster?: PerformanceRecording['raster'];
}

/**
 * Recalls a title (notes from the network's spikes, timed by the pacemaker at `tempo`) and plans it
 * for the given arms (ordered left to right): tracks go to arms by mean pitch, one arm per track, the
 * lower tracks to the left. Works for simulated and real arms alike.
 */
export function planPerformance(memory: SequenceMemory, title: string, arms: RobotDescription[], kb: KeyboardDescription, options: PerformOptions = {}): PlannedPerformance {
  const tempo = options.tempo ?? 1;
  const r = memory.recall(title, { tempo, raster: options.recordFps !== undefined });
  const limit = options.seconds ?? Infinity;
  let index = 0;
  const tracks = r.tracks.map((t) =>
    t.notes.filter((n) => n.time < limit && n.duration >= 0).map((n) => ({ index: 0, pitch: n.symbol, time: n.time, duration: n.seconds })),
  );
  const score: TimedNote[] = [];
  for (const t of tracks) for (const n of t) score.push(n);
  score.sort((a, b) => a.time - b.time || a.pitch - b.pitch);
  score.forEach((n) => (n.index = index++));
  const mean = (t: TimedNote[]) => (t.length ? t.reduce((a, n) => a + n.pitch, 0) / t.length : 60);
  const order = tracks.map((t, i) => ({ i, m: mean(t) })).sort((a, b) => a.m - b.m);
  const left = arms[0]!;
  const right = arms[arms.length - 1]!;
  const groups: Array<{ robot: RobotDescription; tracks: number[] }> = [];
  if (order.length === 1 || arms.length === 1) groups.push({ robot: arms.length === 1 || order[0]!.m < 66 ? left : right, tracks: order.map((o) => o.i) });
  else {
    const half = Math.ceil(order.length / 2);
    groups.push({ robot: left, tracks: order.slice(0, half).map((o) => o.i) });
    groups.push({ robot: right, tracks: order.slice(half).map((o) => o.i) });
  }
  const armNotes = groups.map((g) => ({ robot: g.robot, notes: g.tracks.flatMap((t) => tracks[t]!) }));
  const armPlans = planArms(kb, armNotes);
  const plans = groups.map((g, i) => ({ robot: g.robot, plan: armPlans[i]!, tracks: g.tracks, notes: armNotes[i]!.notes.length }));
  return { score, plans, ...(r.raster ? { raster: r.raster } : {}) };
}

/**
 * Recalls a title (its notes come from the network's spikes, timed by the pacemaker at `tempo`),
 * gives each track to an arm (one arm per track; with more tracks than arms, the lower tracks go to
 * the left arm), plans each arm, runs the physics and scores what the keys actually played.
 */
export function perform(memory: SequenceMemory, title: string, options: PerformOptions = {}): Performance {
  const tempo = options.tempo ?? 1;
  const kb = loadKeyboard(options.keyboard);
  const robot = loadRobot(options.robot ?? 'ur5e-planar');
  const { score, plans, raster } = planPerformance(memory, title, armPair(robot, kb), kb, options);
  const world = new World(kb, plans.map((p) => ({ robot: p.robot, startQ: p.plan.startQ })), { dtMs: options.dtMs ?? 2 });
  world.arms.forEach((arm, i) => executePlan(arm, plans[i]!.plan));
  const end = score.reduce((a, n) => Math.max(a, n.time + n.duration), 0) + 0.5;
  const t0 = performance.now();
  let recording: PerformanceRecording | undefined;
  if (options.recordFps) {
    const fps = options.recordFps;
    recording = { fps, robots: plans.map((p) => p.robot), keyboard: kb, frames: [], keyEvents: [], ...(raster ? { raster } : {}) };
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    for (let k = 0; k / fps <= end; k++) {
      world.run(k / fps);
      recording.frames.push(world.arms.map((a) => [...a.jointAngles(), ...a.extension].map(r4)));
    }
    recording.keyEvents = world.events.map((e) => ({ ...e }));
  } else world.run(end);
  const wallSeconds = (performance.now() - t0) / 1000;
  const played = keyEventsToNotes(world.events, world.time);
  return {
    title,
    tempo,
    score,
    played,
    report: scoreNotes(score, played),
    arms: plans.map((p, i) => ({
      robot: p.robot.name,
      tracks: p.tracks,
      notes: p.notes,
      planned: p.plan.planned,
      moves: p.plan.moves.length,
      issues: p.plan.issues,
      maxStrokeErrorMm: world.arms[i]!.maxStrokeError * 1000,
    })),
    simSeconds: world.time,
    wallSeconds,
    ...(recording ? { recording } : {}),
  };
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

/** A readable report: the mir_eval figures and what the arms could not do, with note numbers. */
export function formatPerformance(p: Performance): string {
  const r = p.report;
  const lines = [
    `${p.title} at tempo ${p.tempo}: ${r.played} notes played of ${r.reference} in the score (${p.simSeconds.toFixed(1)} s simulated in ${p.wallSeconds.toFixed(1)} s, ${(p.simSeconds / p.wallSeconds).toFixed(1)}x real time)`,
    `precision ${r.precision.toFixed(3)}  recall ${r.recall.toFixed(3)}  F1 ${r.f1.toFixed(3)}  onset error median ${r.onsetMedianMs.toFixed(1)} ms, p95 ${r.onsetP95Ms.toFixed(1)} ms (mir_eval: same pitch, onset within 50 ms)`,
  ];
  for (const a of p.arms) {
    lines.push(`${a.robot}: tracks ${a.tracks.join(',')}, ${a.notes} notes, ${a.planned} planned, ${a.moves} hand moves`);
    for (const i of a.issues) lines.push(`  ${i.kind}: ${i.message}: notes ${fmtList(i.notes)}`);
  }
  if (r.missed.length) lines.push(`missed notes (score numbers): ${fmtList(r.missed)}`);
  if (r.extra.length) lines.push(`extra key presses: ${r.extra.length}`);
  return lines.join('\n');
}

function fmtList(xs: number[], max = 20): string {
  return xs.length > max ? `${xs.slice(0, max).join(', ')} ... (${xs.length})` : xs.join(', ');
}
