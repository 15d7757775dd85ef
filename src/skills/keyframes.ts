import type { DemoSample } from './demonstration.js';

/** A pose the arm passes through or rests at: reached at `time`, held for `dwell` seconds. */
export interface Keyframe {
  time: number;
  positions: number[];
  dwell: number;
}

export interface KeyframeOptions {
  /** Largest joint deviation, rad, between the demonstration and straight moves between keyframes. */
  tolerance?: number;
  /** A pause: the arm stays within `stillRadius` rad of one pose for at least `minDwell` s. */
  stillRadius?: number;
  minDwell?: number;
}

/**
 * Keyframes of a demonstration: its first and last pose, every pause (with how long it lasted), and,
 * between pauses, the fewest poses for which moving straight (in joint space, at constant speed) from
 * one to the next stays within `tolerance` of the demonstration (Ramer-Douglas-Peucker over time).
 * Times are seconds from the first sample.
 */
export function extractKeyframes(samples: readonly DemoSample[], options: KeyframeOptions = {}): Keyframe[] {
  const tol = options.tolerance ?? 0.02;
  const still = options.stillRadius ?? 0.01;
  const minDwell = options.minDwell ?? 0.25;
  const t0 = samples[0]!.time;
  const n = samples.length;
  // pauses: maximal runs staying within `still` of their first sample for >= minDwell
  const pauses: Array<[number, number]> = [];
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && maxDiff(samples[j]!.positions, samples[i]!.positions) <= still) j++;
    if (samples[j - 1]!.time - samples[i]!.time >= minDwell) {
      pauses.push([i, j - 1]);
      i = j;
    } else i++;
  }
  const out: Keyframe[] = [];
  const keep = (i: number, dwell: number) => out.push({ time: samples[i]!.time - t0, positions: [...samples[i]!.positions], dwell });
  let from = 0;
  const moves = (a: number, b: number) => {
    // a and b are kept; add the samples in between that keep the straight-move error within tol
    const marks: number[] = [];
    simplify(samples, a, b, tol, marks);
    marks.sort((x, y) => x - y);
    for (const m of marks) keep(m, 0);
  };
  for (const [a, b] of pauses) {
    if (a > from) {
      if (out.length === 0) keep(from, 0);
      moves(from, a);
    }
    keep(a, samples[b]!.time - samples[a]!.time);
    from = b;
  }
  if (from < n - 1) {
    if (out.length === 0) keep(from, 0);
    moves(from, n - 1);
    keep(n - 1, 0);
  }
  return out;
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

/** Ramer-Douglas-Peucker in time: the sample farthest (max over joints) from the straight move a->b. */
function simplify(s: readonly DemoSample[], a: number, b: number, tol: number, marks: number[]): void {
  // iterative, so a long recording cannot overflow the stack
  const stack: Array<[number, number]> = [[a, b]];
  while (stack.length) {
    const [i, j] = stack.pop()!;
    if (j - i < 2) continue;
    const ta = s[i]!.time;
    const span = s[j]!.time - ta;
    let worst = -1;
    let err = tol;
    for (let k = i + 1; k < j; k++) {
      const u = (s[k]!.time - ta) / span;
      const p = s[k]!.positions;
      for (let d = 0; d < p.length; d++) {
        const e = Math.abs(p[d]! - (s[i]!.positions[d]! + u * (s[j]!.positions[d]! - s[i]!.positions[d]!)));
        if (e > err) {
          err = e;
          worst = k;
        }
      }
    }
    if (worst < 0) continue;
    marks.push(worst);
    stack.push([i, worst], [worst, j]);
  }
}
