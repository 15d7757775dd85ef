import type { SequenceMemory } from '../src/memory/sequence-memory.js';
import { pianoArm, type KeyboardDescription, type PianoArm } from '../robots/description.js';
import { loadKeyboard, loadRobot } from '../robots/load.js';
import { executePlan } from '../robots/motion/execute.js';
import { armPair, keyEventsToNotes, planPerformance, type PlannedPerformance, type PlayedNote } from '../robots/motion/piano.js';
import type { PlanIssue, TimedNote } from '../robots/motion/planner.js';
import { scoreNotes, type ScoreReport } from '../robots/motion/score.js';
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
  robots: PianoArm[];
  keyboard: KeyboardDescription;
  /** frames[k][arm] = [q0, q1, q2, finger extensions...] (rad, m), rounded. */
  frames: number[][][];
  keyEvents: Array<{ pitch: number; on: boolean; time: number }>;
  /** The memory's spikes during recall (time s, neuron, group). */
  raster?: { time: number[]; neuron: number[]; group: number[]; groups: string[]; pulses?: number[]; pulseEvery?: number };
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
  /** When the piece was a continuation of a played fragment: the place, tempo and tracks the memory found. */
  continuation?: PlannedPerformance['continuation'];
}

/**
 * Recalls a title (its notes come from the network's spikes, timed by the pacemaker at `tempo`),
 * gives each track to an arm (one arm per track; with more tracks than arms, the lower tracks go to
 * the left arm), plans each arm, runs the physics and scores what the keys actually played.
 */
export function perform(memory: SequenceMemory, title: string, options: PerformOptions = {}): Performance {
  const kb = loadKeyboard(options.keyboard);
  const robot = pianoArm(loadRobot(options.robot ?? 'ur5e-planar'));
  const planned = planPerformance(memory, title, armPair(robot, kb), kb, { ...options, raster: options.recordFps !== undefined });
  return performPlanned(title, planned, kb, options);
}

/** The physics of a piece already recalled and planned (planPerformance): the arms play it, the keys are scored. */
export function performPlanned(title: string, planned: PlannedPerformance, kb: KeyboardDescription, options: Pick<PerformOptions, 'tempo' | 'dtMs' | 'recordFps'> = {}): Performance {
  const tempo = options.tempo ?? 1;
  const { score, plans, raster } = planned;
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
    ...(planned.continuation ? { continuation: planned.continuation } : {}),
  };
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
