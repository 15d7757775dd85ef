import type { DemoSample } from './demonstration.js';

/** A pose the arm passes through or rests at: reached at `time`, held for `dwell` seconds. */
export interface Keyframe {
  time: number;
  positions: number[];
  dwell: number;
}

export interface KeyframeOptions {
  /** Largest joint deviation, rad, between the (smoothed) demonstration and straight moves between keyframes. */
  tolerance?: number;
  /** A pause: the arm stays within `stillRadius` rad of one pose for at least `minDwell` s. */
  stillRadius?: number;
  minDwell?: number;
  /**
   * Half-width, s, of the window over which each sample is smoothed (a local quadratic fit: position
   * and speed without the sensor's noise). Default 0.1 s.
   */
  smoothing?: number;
  /** Speed, rad/s, below which the arm counts as still (it counts as moving again above twice this). Default stillRadius / minDwell. */
  stillSpeed?: number;
}

/** A demonstration smoothed by local quadratic fits: per sample, each joint's position and speed. */
export interface SmoothedDemo {
  positions: number[][];
  velocities: number[][];
}

/**
 * Smooths every sample by a least-squares quadratic in time over the samples within `halfWidth` s of
 * it (at least two on each side where there are): its value and slope there (a straight line where the
 * window is lopsided, near either end). In the middle of a
 * motion the fit's cubic error cancels by symmetry, so it follows the motion while averaging the
 * noise of about ten samples at 50 Hz (its position noise is about 0.45 of the sensor's).
 */
export function smoothDemonstration(samples: readonly DemoSample[], halfWidth = 0.1): SmoothedDemo {
  const n = samples.length;
  const J = samples[0]?.positions.length ?? 0;
  const positions: number[][] = [];
  const velocities: number[][] = [];
  for (let k = 0; k < n; k++) {
    const t = samples[k]!.time;
    let lo = k;
    let hi = k;
    while (lo > 0 && (t - samples[lo - 1]!.time <= halfWidth || k - lo < 2)) lo--;
    while (hi < n - 1 && (samples[hi + 1]!.time - t <= halfWidth || hi - k < 2)) hi++;
    const m = hi - lo + 1;
    if (m < 3) {
      // two samples: a straight line
      const a = samples[lo]!;
      const b = samples[hi]!;
      positions.push([...samples[k]!.positions]);
      velocities.push(a.positions.map((q, j) => (b.positions[j]! - q) / (b.time - a.time || 1)));
      continue;
    }
    const s = halfWidth > 0 ? halfWidth : 1;
    if (Math.min(k - lo, hi - k) * 2 < Math.max(k - lo, hi - k)) {
      // near either end the window is lopsided, where a quadratic's slope is mostly noise: a straight line
      positions.push([]);
      velocities.push([]);
      let md = 0;
      for (let i = lo; i <= hi; i++) md += (samples[i]!.time - t) / s / m;
      let sdd = 0;
      for (let i = lo; i <= hi; i++) sdd += ((samples[i]!.time - t) / s - md) ** 2;
      for (let j = 0; j < J; j++) {
        let my = 0;
        for (let i = lo; i <= hi; i++) my += samples[i]!.positions[j]! / m;
        let sdy = 0;
        for (let i = lo; i <= hi; i++) sdy += ((samples[i]!.time - t) / s - md) * (samples[i]!.positions[j]! - my);
        const slope = sdd > 0 ? sdy / sdd : 0;
        positions[k]!.push(my - slope * md);
        velocities[k]!.push(slope / s);
      }
      continue;
    }
    // normal equations of y = c0 + c1 d + c2 d^2, d = time - t (scaled by the half-width for conditioning)
    let S0 = 0, S1 = 0, S2 = 0, S3 = 0, S4 = 0;
    for (let i = lo; i <= hi; i++) {
      const d = (samples[i]!.time - t) / s;
      const d2 = d * d;
      S0 += 1;
      S1 += d;
      S2 += d2;
      S3 += d2 * d;
      S4 += d2 * d2;
    }
    // inverse of the symmetric 3x3 [[S0,S1,S2],[S1,S2,S3],[S2,S3,S4]]: its first two rows
    const A = S2 * S4 - S3 * S3;
    const B = S2 * S3 - S1 * S4;
    const C = S1 * S3 - S2 * S2;
    const det = S0 * A + S1 * B + S2 * C;
    const E = S0 * S4 - S2 * S2;
    const F = S1 * S2 - S0 * S3;
    const pos: number[] = [];
    const vel: number[] = [];
    for (let j = 0; j < J; j++) {
      let y0 = 0, y1 = 0, y2 = 0;
      for (let i = lo; i <= hi; i++) {
        const d = (samples[i]!.time - t) / s;
        const y = samples[i]!.positions[j]!;
        y0 += y;
        y1 += y * d;
        y2 += y * d * d;
      }
      pos.push((A * y0 + B * y1 + C * y2) / det);
      vel.push((B * y0 + E * y1 + F * y2) / det / s);
    }
    positions.push(pos);
    velocities.push(vel);
  }
  return { positions, velocities };
}

/**
 * Pauses of a demonstration, as [first, last] sample indices: the arm is still from where its smoothed
 * speed (fastest joint) drops below `stillSpeed` until it rises above twice that (a hysteresis, so
 * noise cannot end a pause), or until the smoothed pose leaves `stillRadius` of where the pause began
 * (a slow drift; the next pause may start half a dwell later), keeping runs of at least `minDwell` s.
 */
export function findPauses(samples: readonly DemoSample[], smooth: SmoothedDemo, options: { stillRadius?: number; minDwell?: number; stillSpeed?: number } = {}): Array<[number, number]> {
  return pausesFound(samples, smooth, options).map((p) => [p.a, p.b]);
}

/** A pause as sample indices [a, b], and whether its end was a slow drift out of it or its start one into it. */
interface FoundPause {
  a: number;
  b: number;
  drifted: boolean;
  afterDrift: boolean;
}

function pausesFound(samples: readonly DemoSample[], smooth: SmoothedDemo, options: { stillRadius?: number; minDwell?: number; stillSpeed?: number }): FoundPause[] {
  const radius = options.stillRadius ?? 0.01;
  const minDwell = options.minDwell ?? 0.25;
  const enter = options.stillSpeed ?? radius / minDwell;
  const leave = 2 * enter;
  const n = samples.length;
  const speed = smooth.velocities.map((v) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0));
  const pauses: Array<{ a: number; b: number; drifted: boolean; afterDrift: boolean }> = [];
  let start = -1;
  let afterDrift = false;
  /** A pause cut by drift is followed by a move of at least half a dwell, never by a jump into the next. */
  let notBefore = -Infinity;
  const close = (b: number, drifted: boolean) => {
    if (b > start) pauses.push({ a: start, b, drifted, afterDrift }); // how long it lasted is judged once widened
    start = -1;
    afterDrift = drifted;
    if (drifted) notBefore = samples[b]!.time + minDwell / 2;
  };
  for (let k = 0; k < n; k++) {
    if (start < 0) {
      if (speed[k]! < enter && samples[k]!.time >= notBefore) start = k;
      else if (speed[k]! > leave) afterDrift = false;
      continue;
    }
    if (speed[k]! > leave) close(k - 1, false);
    else if (maxDiff(smooth.positions[k]!, smooth.positions[start]!) > radius) close(k - 1, true);
  }
  if (start >= 0) close(n - 1, false);
  // the smoothed speed lags where the arm comes to rest and leaves: widen each pause (not where it
  // drifted) while the smoothed pose stays within 1.5 times the spread of the pause's samples (about
  // three times the smoothed noise) of its mean
  return pauses.map((p, i) => {
    const mean = meanPose(samples, p.a, p.b);
    const reach = Math.min(radius, 1.5 * Math.sqrt(spreadRms(samples, p.a, p.b, mean)));
    const near = (k: number) => maxDiff(smooth.positions[k]!, mean) <= reach;
    let lo = p.a;
    let hi = p.b;
    const floor = i > 0 ? pauses[i - 1]!.b + 1 : 0;
    const ceil = i + 1 < pauses.length ? pauses[i + 1]!.a - 1 : n - 1;
    if (!p.afterDrift) while (lo > floor && near(lo - 1)) lo--;
    if (!p.drifted) while (hi < ceil && near(hi + 1)) hi++;
    return { ...p, a: lo, b: hi };
  }).filter((p) => samples[p.b]!.time - samples[p.a]!.time >= minDwell);
}

/** How far before a pause (after, for its end) the approach is fitted, s, and how far into the pause the rest may start. */
const EDGE_WINDOW = 0.4;
const EDGE_REACH = 0.3;
/**
 * How much better (in units of the noise variance per sample) another shape must fit than a minimum-jerk
 * rest to be taken: near the rest the shapes look alike within the noise, and a wrong shape moves the
 * edge by up to a tenth of a second, so the minimum-jerk rest is kept unless the evidence is clear.
 */
const SHAPE_EVIDENCE = 32;

/**
 * When the arm really came to rest at a pause (side -1) or started to leave it (side +1), s. A hand
 * comes to rest as a minimum-jerk move does, with zero speed and acceleration, so its last millimetres
 * are below the sensor's noise and the pause as sensed starts early (and ends late) by about 0.1 s.
 * Near the rest every joint's offset from the held pose then grows as c u^3 + b u^4 in the time u from
 * the rest: that curve is fitted to the raw samples from EDGE_WINDOW s before the sensed edge to
 * EDGE_REACH s into the pause (no further than the neighbouring pauses), and the rest time is the one
 * whose fit (c and b by least squares per joint, zero offset from the rest on) leaves the least
 * residual, to 1 ms. A rest reached with the arm still decelerating (c u^2 + b u^3) or at speed
 * (c u + b u^2: a jog that just stops) is taken instead only where it fits clearly better, by
 * SHAPE_EVIDENCE times the noise variance (what the best fit leaves per sample). Where nothing moves more than `radius` in the
 * window (a slow drift) the sensed edge stays.
 */
function restEdge(samples: readonly DemoSample[], smooth: SmoothedDemo, mean: readonly number[], p: { a: number; b: number }, side: -1 | 1, floor: number, ceil: number, radius: number): number {
  const edge = samples[side < 0 ? p.a : p.b]!.time;
  const inPause = side < 0 ? Math.min(edge + EDGE_REACH, samples[p.b]!.time) : Math.max(edge - EDGE_REACH, samples[p.a]!.time);
  const idx: number[] = [];
  let moved = 0;
  for (let k = floor; k <= ceil; k++) {
    const t = samples[k]!.time;
    const u = side * (t - edge); // > 0 on the motion's side
    if (u > EDGE_WINDOW || (side < 0 ? t > inPause : t < inPause)) continue;
    idx.push(k);
    if (u > 0) moved = Math.max(moved, maxDiff(smooth.positions[k]!, mean));
  }
  if (moved <= radius || idx.length < 4) return edge;
  const J = mean.length;
  const from = side < 0 ? Math.max(edge - 0.1, samples[floor]!.time) : inPause;
  const to = side < 0 ? inPause : Math.min(edge + 0.1, samples[ceil]!.time);
  // offsets from the held pose and times, flat (the fit below runs a few hundred times per edge)
  const m = idx.length;
  const times = new Float64Array(m);
  const offsets = new Float64Array(m * J);
  let total = 0;
  idx.forEach((k, i) => {
    times[i] = samples[k]!.time;
    for (let j = 0; j < J; j++) total += (offsets[j * m + i] = samples[k]!.positions[j]! - mean[j]!) ** 2;
  });
  /** The least-squares residual, over joints, of offsets c u^power + b u^(power+1) from a rest at tr. */
  const residualAt = (tr: number, power: number) => {
    let residual = total;
    for (let j = 0; j < J; j++) {
      let s11 = 0, s12 = 0, s22 = 0, y1 = 0, y2 = 0;
      for (let i = 0; i < m; i++) {
        const u = side < 0 ? tr - times[i]! : times[i]! - tr;
        if (u <= 0) continue;
        const e = offsets[j * m + i]!;
        const f1 = power === 1 ? u : power === 2 ? u * u : u * u * u;
        const f2 = f1 * u;
        s11 += f1 * f1;
        s12 += f1 * f2;
        s22 += f2 * f2;
        y1 += e * f1;
        y2 += e * f2;
      }
      const det = s11 * s22 - s12 * s12;
      if (det > 1e-12 * s11 * s22) residual -= ((y1 * s22 - y2 * s12) * y1 + (y2 * s11 - y1 * s12) * y2) / det;
      else if (s11 > 0) residual -= (y1 * y1) / s11;
    }
    return residual;
  };
  /** The best rest time for one shape: a 4 ms grid, then 1 ms about its best. */
  const bestFor = (power: number) => {
    let best = { time: edge, residual: Infinity };
    const scan = (lo: number, hi: number, step: number) => {
      for (let t = lo; t <= hi + 1e-9; t += step) {
        const r = residualAt(t, power);
        if (r < best.residual) best = { time: t, residual: r };
      }
    };
    scan(from, to, 0.004);
    const coarse = best.time;
    scan(Math.max(from, coarse - 0.003), Math.min(to, coarse + 0.003), 0.001);
    return best;
  };
  const fits = [3, 2, 1].map(bestFor);
  // the noise variance, as what the best of the fits leaves per sample and joint
  const variance = Math.max(1e-12, Math.min(...fits.map((f) => f.residual)) / (idx.length * J));
  let pick = fits[0]!;
  for (const other of fits.slice(1)) if (other.residual < pick.residual - SHAPE_EVIDENCE * variance) pick = other;
  return pick.time;
}

function meanPose(samples: readonly DemoSample[], a: number, b: number): number[] {
  const mean = samples[a]!.positions.map(() => 0);
  for (let i = a; i <= b; i++) samples[i]!.positions.forEach((q, j) => (mean[j]! += q / (b - a + 1)));
  return mean;
}

/** The largest over joints of the mean squared deviation of samples a..b from `mean`. */
function spreadRms(samples: readonly DemoSample[], a: number, b: number, mean: readonly number[]): number {
  let worst = 0;
  for (let j = 0; j < mean.length; j++) {
    let s = 0;
    for (let i = a; i <= b; i++) s += (samples[i]!.positions[j]! - mean[j]!) ** 2;
    worst = Math.max(worst, s / (b - a + 1));
  }
  return worst;
}

/**
 * Keyframes of a demonstration: its first and last pose, every pause (with how long it lasted), and,
 * between pauses, poses such that moving straight (in joint space, at constant speed) from one to the
 * next stays within `tolerance` of the smoothed demonstration, each placed where the straight move
 * from the one before would leave it (so keyframes do not depend on where the recording ends). A pause's pose is the mean of its samples; a moving keyframe's is the smoothed pose at its
 * sample (one sample's noise is not averaged away by anything later). A pause starts and ends where
 * the arm really came to rest and left (restEdge), not where the sensor first and last saw it still.
 * Times are seconds from the first sample.
 */
export function extractKeyframes(samples: readonly DemoSample[], options: KeyframeOptions = {}): Keyframe[] {
  const tol = options.tolerance ?? 0.02;
  const t0 = samples[0]!.time;
  const n = samples.length;
  const smoothing = options.smoothing ?? 0.1;
  const smooth = smoothDemonstration(samples, smoothing);
  const pauses = pausesFound(samples, smooth, options);
  // a pause within one smoothing window of either end reaches it: the ends' smoothed poses are the least
  // certain, and a keyframe a few samples off a pause would be a jerk on replay
  const first = pauses[0];
  if (first && samples[first.a]!.time - samples[0]!.time <= smoothing) first.a = 0;
  const last = pauses[pauses.length - 1];
  if (last && samples[n - 1]!.time - samples[last.b]!.time <= smoothing) last.b = n - 1;
  const out: Keyframe[] = [];
  const keep = (i: number) => out.push({ time: samples[i]!.time - t0, positions: [...smooth.positions[i]!], dwell: 0 });
  let from = 0;
  let fromTime = samples[0]!.time;
  const moves = (a: number, b: number) => {
    // a and b are kept; add the samples in between that keep the straight-move error within tol
    const marks: number[] = [];
    simplify(samples, smooth.positions, a, b, tol, Math.max(smoothing, options.minDwell ?? 0.25), marks);
    for (const m of marks) keep(m);
  };
  const radius = options.stillRadius ?? 0.01;
  pauses.forEach((p, i) => {
    const mean = meanPose(samples, p.a, p.b);
    // where the arm really came to rest and left (not at the recording's ends, nor where it drifted)
    const floor = i > 0 ? pauses[i - 1]!.b : 0;
    const ceil = i + 1 < pauses.length ? pauses[i + 1]!.a : n - 1;
    let start = p.a === 0 || p.afterDrift ? samples[p.a]!.time : restEdge(samples, smooth, mean, p, -1, floor, ceil, radius);
    let end = p.b === n - 1 || p.drifted ? samples[p.b]!.time : restEdge(samples, smooth, mean, p, 1, floor, ceil, radius);
    // fits that leave (next to) no pause at all are not believed: the sensed pause stays
    if (end - start < 0.02) (start = samples[p.a]!.time), (end = samples[p.b]!.time);
    start = Math.max(start, fromTime);
    end = Math.max(end, start);
    // the moving keyframes before it lie between the samples where the arm left the last pause and came to rest here
    let a = p.a;
    while (a > from && samples[a]!.time > start) a--;
    while (a + 1 < p.b && samples[a + 1]!.time <= start) a++;
    if (a > from) {
      if (out.length === 0) keep(from);
      moves(from, a);
    }
    out.push({ time: start - t0, positions: mean, dwell: end - start });
    from = p.b;
    while (from > a && samples[from - 1]!.time >= end) from--;
    while (from + 1 < n && samples[from]!.time < end) from++;
    fromTime = end;
  });
  if (from < n - 1) {
    if (out.length === 0) keep(from);
    moves(from, n - 1);
    keep(n - 1);
  }
  return out;
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

/** Longest straight move considered, in samples: bounds the work per keyframe on long recordings. */
const MAX_SPAN = 256;

/**
 * Forward simplification in time: from the last keyframe, the straight move is stretched sample by
 * sample until some sample between would deviate (max over joints) more than `tol`; the sample before
 * becomes the next keyframe. Unlike Ramer-Douglas-Peucker, each keyframe depends only on what came
 * before it, so the start of a demonstration has the keyframes the whole of it has (recognising a skill
 * while it is being shown).
 */
function simplify(s: readonly DemoSample[], q: readonly number[][], a: number, b: number, tol: number, minGap: number, marks: number[]): void {
  let anchor = a;
  while (anchor < b - 1) {
    let end = anchor + 2;
    let last = anchor + 1; // the farthest end whose straight move fits
    for (; end <= b && end - anchor <= MAX_SPAN; end++) {
      if (!fits(s, q, anchor, end, tol)) break;
      last = end;
    }
    if (last >= b) break;
    marks.push(last);
    anchor = last;
  }
  // a keyframe just before the end of the stretch (a pause, the last sample) would leave the replay
  // little time to come to rest, and its last millimetres, blurred by the noise and the pose code,
  // would make it brake harder than the hand did: it moves half way between its neighbours instead
  const m = marks.length - 1;
  if (m >= 0 && s[b]!.time - s[marks[m]!]!.time < minGap) {
    const before = m > 0 ? marks[m - 1]! : a;
    const halfway = (s[before]!.time + s[b]!.time) / 2;
    let k = before + 1;
    while (k < b - 1 && s[k + 1]!.time <= halfway) k++;
    if (k > before && k < b) marks[m] = k;
    else marks.pop();
  }
}

/** Whether every sample strictly between i and j lies within tol of the straight move from i to j. */
function fits(s: readonly DemoSample[], q: readonly number[][], i: number, j: number, tol: number): boolean {
  const ta = s[i]!.time;
  const span = s[j]!.time - ta;
  for (let k = i + 1; k < j; k++) {
    const u = (s[k]!.time - ta) / span;
    const p = q[k]!;
    for (let d = 0; d < p.length; d++) if (Math.abs(p[d]! - (q[i]![d]! + u * (q[j]![d]! - q[i]![d]!))) > tol) return false;
  }
  return true;
}
