import type { TrajectoryPoint } from '../driver.js';
import { completeVelocities, sampleCurve } from './spline.js';

/** A trajectory sampled for drawing: joint positions at evenly spaced times (robot clock, s). */
export interface PlannedPath {
  times: number[];
  /** positions[k] are the joint positions (description order) at times[k]. */
  positions: number[][];
}

/**
 * The curve the controller will execute (spline.ts), sampled at up to `maxSamples` evenly spaced
 * times, rounded to 0.1 mrad: small enough to send to a page with every skill, fine enough to draw the
 * tool's path. Sampling the curve rather than the points keeps the overshoot between points visible.
 */
export function plannedPath(points: readonly TrajectoryPoint[], maxSamples = 160): PlannedPath {
  if (points.length === 0) return { times: [], positions: [] };
  const full = completeVelocities(points);
  const t0 = full[0]!.time;
  const t1 = full[full.length - 1]!.time;
  const n = t1 > t0 ? Math.max(2, Math.min(maxSamples, points.length * 8)) : 1;
  const times: number[] = [];
  const positions: number[][] = [];
  for (let k = 0; k < n; k++) {
    const t = n === 1 ? t0 : t0 + ((t1 - t0) * k) / (n - 1);
    times.push(round(t, 1e3));
    positions.push(sampleCurve(full, t).positions.map((q) => round(q, 1e4)));
  }
  return { times, positions };
}

const round = (v: number, scale: number) => Math.round(v * scale) / scale;
