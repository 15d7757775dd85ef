/**
 * The baseline for the skills bench: a one-shot discrete dynamic movement primitive per joint (Ijspeert,
 * Nakanishi, Hoffmann, Pastor & Schaal 2013) with N gaussian basis functions on the phase, its weights
 * fitted by locally weighted regression to one demonstration. It is given the same smoothed positions,
 * speeds and accelerations of the demonstration as engram's keyframes (smoothDemonstration), so the
 * comparison is of the representations, not of the noise filtering.
 */
import { smoothDemonstration } from '../../src/skills/keyframes.js';
import type { DemoSample } from '../../src/skills/demonstration.js';

const ALPHA_Z = 25;
const BETA_Z = ALPHA_Z / 4;
const ALPHA_X = 4;

export interface Dmp {
  /** Duration of the demonstration (the DMP's time constant), s. */
  tau: number;
  start: number[];
  goal: number[];
  centres: number[];
  widths: number[];
  /** weights[j][i]: joint j, basis i. */
  weights: number[][];
}

/** Fits a DMP with `basis` functions to a demonstration (times from its first sample). */
export function fitDmp(samples: readonly DemoSample[], basis = 50): Dmp {
  const n = samples.length;
  const t0 = samples[0]!.time;
  const tau = samples[n - 1]!.time - t0;
  const smooth = smoothDemonstration(samples);
  const y = smooth.positions;
  const yd = smooth.velocities;
  const J = y[0]!.length;
  // accelerations: central differences of the smoothed speeds
  const ydd = yd.map((_, k) => {
    const a = Math.max(0, k - 1);
    const b = Math.min(n - 1, k + 1);
    const dt = samples[b]!.time - samples[a]!.time;
    return yd[b]!.map((v, j) => (v - yd[a]![j]!) / dt);
  });
  const centres = Array.from({ length: basis }, (_, i) => Math.exp((-ALPHA_X * i) / (basis - 1)));
  const widths = centres.map((c, i) => {
    const next = centres[Math.min(basis - 1, i + 1)]!;
    const d = i < basis - 1 ? c - next : centres[i - 1]! - c;
    return 1 / (d * d);
  });
  const start = y[0]!;
  const goal = y[n - 1]!;
  const weights: number[][] = [];
  for (let j = 0; j < J; j++) {
    const num = new Array<number>(basis).fill(0);
    const den = new Array<number>(basis).fill(0);
    for (let k = 0; k < n; k++) {
      const x = Math.exp((-ALPHA_X * (samples[k]!.time - t0)) / tau);
      // the forcing term that reproduces the demonstration: tau^2 ydd - alpha (beta (g - y) - tau yd)
      const f = tau * tau * ydd[k]![j]! - ALPHA_Z * (BETA_Z * (goal[j]! - y[k]![j]!) - tau * yd[k]![j]!);
      for (let i = 0; i < basis; i++) {
        const psi = Math.exp(-widths[i]! * (x - centres[i]!) ** 2);
        num[i]! += psi * x * f;
        den[i]! += psi * x * x;
      }
    }
    weights.push(num.map((v, i) => (den[i]! > 1e-12 ? v / den[i]! : 0)));
  }
  return { tau, start, goal, centres, widths, weights };
}

/** Integrates a DMP (1 ms Euler steps) and returns its positions at the given times (s from the start). */
export function rolloutDmp(dmp: Dmp, times: readonly number[], dt = 0.001): number[][] {
  const J = dmp.start.length;
  const y = [...dmp.start];
  const z = new Array<number>(J).fill(0);
  let x = 1;
  const out: number[][] = [];
  let t = 0;
  for (const want of times) {
    while (t < want - 1e-12) {
      let sum = 0;
      const psi = dmp.centres.map((c, i) => {
        const p = Math.exp(-dmp.widths[i]! * (x - c) ** 2);
        sum += p;
        return p;
      });
      for (let j = 0; j < J; j++) {
        let f = 0;
        for (let i = 0; i < psi.length; i++) f += psi[i]! * dmp.weights[j]![i]!;
        f = sum > 0 ? (f * x) / sum : 0;
        const zd = (ALPHA_Z * (BETA_Z * (dmp.goal[j]! - y[j]!) - z[j]!) + f) / dmp.tau;
        y[j]! += (z[j]! / dmp.tau) * dt;
        z[j]! += zd * dt;
      }
      x += ((-ALPHA_X * x) / dmp.tau) * dt;
      t += dt;
    }
    out.push([...y]);
  }
  return out;
}
