import type { Fragment } from '../memory/types.js';
import type { DemoSample } from './demonstration.js';
import { smoothDemonstration } from './keyframes.js';
import type { PoseCode } from './pose-code.js';

/** One cell of a coarse path: the coarse columns of every joint (a chord), entered at `time` s. */
export interface CoarseStep {
  time: number;
  symbols: number[];
  /**
   * Whether this cell lies between two crossings (of two joints) so close together that the sensor
   * noise could have put them in the other order: another demonstration of the same motion may pass
   * through the other cell between (a neighbour in both joints) instead: a corner.
   */
  corner?: boolean;
}

export interface CoarsePathOptions {
  /** How far, rad, a joint must be inside a neighbouring coarse stretch before it counts as there. Default 0.005. */
  hysteresis?: number;
  /** Half-width, s, of the smoothing window (keyframes.ts smoothDemonstration). Default 0.1. */
  smoothing?: number;
  /** Most steps kept (default MAX_PATH_STEPS): the first ones, or with `keep: 'latest'` the last ones. */
  maxSteps?: number;
  keep?: 'first' | 'latest';
}

/** Most steps of a path kept: a skill's coarse track at most this long however wildly its demonstration moved. */
export const MAX_PATH_STEPS = 50_000;

/**
 * The coarse cells a demonstration passes through, in order: where the arm is at each joint's coarse
 * resolution, a new step each time one joint's smoothed position crosses into the next coarse stretch
 * (by more than the hysteresis, so noise at a border does not flicker), in the order the crossings
 * happen (between two samples, by linear interpolation), one stretch at a time. Unlike keyframes,
 * which sensor noise places differently on each demonstration of a motion, this depends on where the
 * motion goes: two demonstrations of one motion give the same path but where two joints cross at
 * nearly the same moment (then the cell between differs by one stretch in each, a neighbour), and
 * skills that share an opening share its steps (recognition's tie) until they part.
 */
export function coarsePath(samples: readonly DemoSample[], code: PoseCode, options: CoarsePathOptions = {}): CoarseStep[] {
  if (samples.length === 0) return [];
  const h = options.hysteresis ?? 0.005;
  const halfWidth = options.smoothing ?? 0.1;
  const { positions: smooth, velocities } = smoothDemonstration(samples, halfWidth);
  const timing = crossingNoise(samples, smooth, halfWidth);
  const t0 = samples[0]!.time;
  const J = code.joints.length;
  const width = code.joints.map((jt, j) => (jt.max - jt.min) / code.coarse[j]!);
  const lowEdge = (j: number, s: number) => code.joints[j]!.min + s * width[j]!;
  const cell = smooth[0]!.map((q, j) => Math.min(code.coarse[j]! - 1, Math.max(0, Math.floor((q - code.joints[j]!.min) / width[j]!))));
  const symbolsOf = () => cell.map((s, j) => code.coarseSymbol(j, s));
  const steps: CoarseStep[] = [{ time: 0, symbols: symbolsOf() }];
  const events: Array<{ time: number; joint: number; to: number; jitter: number }> = [];
  let last: { time: number; joint: number; jitter: number } | null = null;
  const maxSteps = options.maxSteps ?? MAX_PATH_STEPS;
  const latest = options.keep === 'latest';
  for (let k = 1; k < samples.length && (latest || steps.length < maxSteps); k++) {
    const ta = samples[k - 1]!.time - t0;
    const dt = samples[k]!.time - samples[k - 1]!.time;
    events.length = 0;
    for (let j = 0; j < J; j++) {
      const qa = smooth[k - 1]![j]!;
      const qb = smooth[k]![j]!;
      // every stretch the joint enters between the two samples, at the moment it is h inside it
      for (let s = cell[j]!; ; ) {
        const up = s + 1 < code.coarse[j]! ? lowEdge(j, s + 1) + h : Infinity;
        const down = s > 0 ? lowEdge(j, s) - h : -Infinity;
        const at = qb >= up ? up : qb <= down ? down : null;
        if (at === null) break;
        s += qb >= up ? 1 : -1;
        // the crossing time's noise: the smoothed position's over the joint's speed there
        const jitter = timing[j]! / Math.max(1e-6, Math.abs(velocities[k]![j]!));
        events.push({ time: ta + (qb === qa ? 0 : ((at - qa) / (qb - qa)) * dt), joint: j, to: s, jitter });
      }
    }
    events.sort((a, b) => a.time - b.time || a.joint - b.joint);
    for (const e of events) {
      cell[e.joint] = e.to;
      // two demonstrations' gaps between these crossings differ by sqrt(2) times the gap's own noise
      if (last !== null && last.joint !== e.joint && e.time - last.time < 2 * Math.SQRT2 * Math.hypot(e.jitter, last.jitter)) steps[steps.length - 1]!.corner = true;
      steps.push({ time: e.time, symbols: symbolsOf() });
      last = e;
    }
    if (latest && steps.length >= 2 * maxSteps) steps.splice(0, steps.length - maxSteps);
  }
  return latest ? steps.slice(-maxSteps) : steps.slice(0, maxSteps);
}

/**
 * Per joint, the noise of the smoothed position, rad: the samples' scatter about the smoothed motion
 * times what a local quadratic fit over the window keeps of it (3(3m^2-7) / 4m(m^2-4) of the variance
 * for m samples in the window).
 */
function crossingNoise(samples: readonly DemoSample[], smooth: readonly number[][], halfWidth: number): number[] {
  const n = samples.length;
  const span = samples[n - 1]!.time - samples[0]!.time;
  const m = Math.max(5, Math.round((2 * halfWidth * (n - 1)) / Math.max(span, 1e-9)) + 1);
  const keep = Math.sqrt((3 * (3 * m * m - 7)) / (4 * m * (m * m - 4)));
  return smooth[0]!.map((_, j) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += (samples[k]!.positions[j]! - smooth[k]![j]!) ** 2;
    return Math.sqrt(s / n) * keep;
  });
}

/** Most coarse-path steps a fragment listens to (the latest ones): bounds the work of one question. */
export const MAX_FRAGMENT_STEPS = 96;

/**
 * A demonstration as the fragment a skill of `code` listens for (its 'coarse' track): the cells of its
 * coarse path, the latest `maxSteps` of them (a long demonstration is placed by where it has
 * got to, and one question costs the same however long the arm has been moving). A neighbouring cell
 * (the motion ran along a border, or two joints crossed in the other order) is evidence, not a wrong note.
 */
export function pathFragment(samples: readonly DemoSample[], code: PoseCode, maxSteps = MAX_FRAGMENT_STEPS): { fragment: Fragment; steps: number; corners: number } {
  const steps = coarsePath(samples, code, { maxSteps, keep: 'latest' });
  return { fragment: { notes: steps.flatMap((st) => st.symbols.map((symbol) => ({ symbol }))), neighbours: 1 }, steps: steps.length, corners: steps.filter((st) => st.corner).length };
}
