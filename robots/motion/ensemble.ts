import { pianoArm, type KeyboardDescription } from '../description.js';
import type { KeyPress, RobotDriver } from '../driver.js';
import { moveTime } from './spline.js';
import { executePlan } from './execute.js';
import { keyEventsToNotes, type PlayedNote } from './piano.js';
import type { MotionSource } from './motion-source.js';
import { scoreNotes, type ScoreReport } from './score.js';

/** Key events kept per robot in one performance, at most (a long piece has a few thousand); more are not scored. */
export const MAX_KEY_EVENTS = 100_000;

/** A robot taking part: its (gated) driver, whose 'key' events say what it played, in its own clock. */
export interface EnsembleMember {
  id: string;
  driver: RobotDriver;
}

export interface EnsembleResult {
  report: ScoreReport;
  played: PlayedNote[];
  /** Per robot: how late its keys sounded against the shared schedule (median and worst, ms). */
  lags: Array<{ id: string; notes: number; medianMs: number; maxMs: number }>;
  /** Whether the performance was cut short by the signal (a stop). */
  stopped: boolean;
}

/**
 * Several robots play one piece together (one per track), kept in time by the memory's pacemaker: the
 * recalled schedule is one timeline, mapped into each robot's clock at `lead` seconds from its latest
 * joint state. Each robot's key events are mapped back and scored together; each robot's lag is reported.
 */
export async function performEnsemble(
  motion: MotionSource,
  title: string,
  members: EnsembleMember[],
  kb: KeyboardDescription,
  options: { tempo?: number; seconds?: number; lead?: number; signal?: AbortSignal } = {},
): Promise<EnsembleResult> {
  const x = (m: EnsembleMember) => pianoArm(m.driver.description).piano.base.x;
  const ordered = [...members].sort((a, b) => x(a) - x(b));
  // the keys each robot reports from now to the end: bounded, whatever a robot (or whoever writes its topics) sends
  const keys = ordered.map(() => [] as KeyPress[]);
  const offs = ordered.map((m, i) => m.driver.events.on('key', (k) => void (keys[i]!.length < MAX_KEY_EVENTS && keys[i]!.push(k))));
  try {
    return await play(motion, title, ordered, keys, kb, options);
  } finally {
    for (const off of offs) off();
  }
}

async function play(
  motion: MotionSource,
  title: string,
  ordered: EnsembleMember[],
  keys: KeyPress[][],
  kb: KeyboardDescription,
  options: { tempo?: number; seconds?: number; lead?: number; signal?: AbortSignal },
): Promise<EnsembleResult> {
  const { score, plans } = await motion.planPiece(title, ordered.map((m) => m.driver.description), kb, options);
  // first each robot moves from where it is to its starting pose; the piece starts when all are there
  // plans name their robot (the plan may come from another thread: match by name, not identity)
  const setups = plans.map((p) => {
    const i = ordered.findIndex((x) => x.driver.description.name === p.robot.name);
    const m = ordered[i]!;
    const from = m.driver.state().positions;
    return { m, i, p, from, time: Math.max(0.05, moveTime(p.robot, from, p.plan.startQ)) };
  });
  const lead = Math.max(options.lead ?? 0.5, ...setups.map((s) => s.time + 0.3));
  const starts = new Map<EnsembleMember, { t0: number; i: number }>();
  for (const { m, i, p, from, time } of setups) {
    const now = m.driver.state().time;
    m.driver.follow([
      { time: now + 0.05, positions: from, velocities: [0, 0, 0] },
      { time: now + 0.05 + time, positions: p.plan.startQ, velocities: [0, 0, 0] },
    ]);
    const t0 = now + lead;
    starts.set(m, { t0, i });
    executePlan(m.driver, p.plan, t0);
  }
  const end = score.reduce((a, n) => Math.max(a, n.time + n.duration), 0) + lead + 0.5;
  await new Promise<void>((r) => {
    const timer = setTimeout(r, end * 1000);
    options.signal?.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
  });
  const played: PlayedNote[] = [];
  const lags: EnsembleResult['lags'] = [];
  for (const [m, { t0, i }] of starts) {
    const events = keys[i]!.filter((e) => e.time >= t0 - 0.1).map((e) => ({ ...e, time: e.time - t0 }));
    const notes = keyEventsToNotes(events, end);
    played.push(...notes);
    const errs: number[] = [];
    for (const n of notes) {
      let best = Infinity;
      for (const s of score) if (s.pitch === n.pitch && Math.abs(n.time - s.time) < Math.abs(best)) best = n.time - s.time;
      if (Math.abs(best) < 0.2) errs.push(best * 1000);
    }
    errs.sort((a, b) => a - b);
    lags.push({ id: m.id, notes: notes.length, medianMs: errs[errs.length >> 1] ?? NaN, maxMs: errs.length ? Math.max(...errs.map(Math.abs)) : NaN });
  }
  played.sort((a, b) => a.time - b.time || a.pitch - b.pitch);
  return { report: scoreNotes(score, played), played, lags, stopped: options.signal?.aborted ?? false };
}
