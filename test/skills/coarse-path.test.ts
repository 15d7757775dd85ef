import { describe, expect, it } from 'vitest';
import { coarsePath, pathFragment } from '../../src/skills/coarse-path.js';
import type { DemoSample, SkillJoint } from '../../src/skills/demonstration.js';
import { PoseCode } from '../../src/skills/pose-code.js';
import { Rng } from '../../src/snn/rng.js';

const JOINTS: SkillJoint[] = ['shoulder', 'elbow', 'wrist'].map((name) => ({ name, min: -Math.PI, max: Math.PI }));
const code = PoseCode.forJoints(JOINTS);

/** A motion sampled at 50 Hz with 2 mrad gaussian noise (seeded). */
function record(at: (t: number) => number[], seconds: number, seed: number): DemoSample[] {
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const out: DemoSample[] = [];
  for (let k = 0; k / 50 <= seconds + 1e-9; k++) out.push({ time: k / 50, positions: at(k / 50).map((q) => q + 0.002 * gauss()) });
  return out;
}

/** The middle of a joint's coarse stretch `k`: where a motion starts, well away from any border (a start within the noise of one is a neighbouring cell). */
const mid = (j: number, k: number) => JOINTS[j]!.min + ((k + 0.5) * (JOINTS[j]!.max - JOINTS[j]!.min)) / code.coarse[j]!;

const smooth = (u: number) => (u <= 0 ? 0 : u >= 1 ? 1 : u * u * u * (10 - 15 * u + 6 * u * u));

describe('coarse path: the coarse cells a motion passes through', () => {
  it('is the same for every noisy demonstration of one motion, but for corners taken in the other order', () => {
    // a straight move in joint space: the joints cross borders in step, so now and then two nearly at once
    const at = (t: number) => [mid(0, 40) + 0.8 * smooth(t / 3), mid(1, 34) - 0.6 * smooth(t / 3), mid(2, 42) + 0.6 * smooth(t / 3)];
    const paths = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => coarsePath(record(at, 4, seed), code));
    let corners = 0;
    for (const p of paths) {
      expect(p).toHaveLength(paths[0]!.length);
      p.forEach((step, i) => {
        const off = step.symbols.map((x, j) => Math.abs(x - paths[0]![i]!.symbols[j]!));
        if (off.every((d) => d === 0)) return;
        corners++;
        // two joints that crossed at nearly the same moment in the other order: the cell between is a
        // neighbour in each, and the path knew it might be (a corner)
        expect(Math.max(...off)).toBeLessThanOrEqual(1);
        expect(step.corner || paths[0]![i]!.corner).toBe(true);
      });
    }
    expect(corners).toBeGreaterThan(0);
    expect(corners / paths.length).toBeLessThan(paths[0]!.length / 4);
    // each step changes one joint by one stretch
    const steps = coarsePath(record(at, 4, 1), code);
    expect(steps.length).toBeGreaterThan(10);
    for (let i = 1; i < steps.length; i++) {
      const diff = steps[i]!.symbols.map((s, j) => Math.abs(s - steps[i - 1]!.symbols[j]!));
      expect(diff.filter((d) => d === 1)).toHaveLength(1);
      expect(diff.filter((d) => d > 1)).toHaveLength(0);
    }
  });

  it('does not flicker where the arm rests on a border between two stretches', () => {
    // shoulder exactly on a border of its coarse stretches for 3 s
    const width = (JOINTS[0]!.max - JOINTS[0]!.min) / code.coarse[0]!;
    const border = JOINTS[0]!.min + 40 * width;
    const samples = record(() => [border, 0.3, -0.2], 3, 9);
    expect(coarsePath(samples, code)).toHaveLength(1);
  });

  it('gives skills that share an opening the same steps until they part', () => {
    // (two joints crossing borders at nearly the same moment may cross in either order: a corner; none here)
    const opening = (t: number) => [mid(0, 39) + 0.5 * smooth(t / 1), mid(1, 39) - 0.3 * smooth((t - 1) / 1), mid(2, 39)];
    const end = opening(2);
    const a = (t: number) => (t < 2 ? opening(t) : [end[0]! + 0.4 * smooth((t - 2) / 1.5), end[1]!, end[2]!]);
    const b = (t: number) => (t < 2 ? opening(t) : [end[0]!, end[1]! - 0.5 * smooth((t - 2) / 1.5), end[2]!]);
    const pa = coarsePath(record(a, 4, 1), code).map((s) => s.symbols.join(' '));
    const pb = coarsePath(record(b, 4, 2), code).map((s) => s.symbols.join(' '));
    const shared = coarsePath(record(opening, 2, 3), code).map((s) => s.symbols.join(' '));
    expect(pa.slice(0, shared.length)).toEqual(shared);
    expect(pb.slice(0, shared.length)).toEqual(shared);
    expect(pa.slice(shared.length)).not.toEqual(pb.slice(shared.length));
  });

  it('keeps at most a bound of steps, the first or the latest, however wildly the samples move', () => {
    // every sample at the other end of the range: a crossing of every stretch of every joint each time
    const wild: DemoSample[] = Array.from({ length: 400 }, (_, k) => ({ time: k * 0.02, positions: JOINTS.map((j) => (k % 2 ? j.max : j.min)) }));
    const whole = coarsePath(wild, code, { maxSteps: 1e9 });
    expect(whole.length).toBeGreaterThan(2000);
    expect(coarsePath(wild, code, { maxSteps: 500 })).toEqual(whole.slice(0, 500));
    expect(coarsePath(wild, code, { maxSteps: 500, keep: 'latest' }).map((s) => s.symbols)).toEqual(whole.slice(-500).map((s) => s.symbols));
  });

  it('listens to the latest steps only, at most the bound', () => {
    const at = (t: number) => [Math.sin(t), Math.cos(0.7 * t), 0.5 * Math.sin(1.3 * t)];
    const { fragment, steps } = pathFragment(record(at, 60, 4), code, 20);
    expect(steps).toBe(20);
    expect(fragment.notes).toHaveLength(20 * JOINTS.length);
    expect(fragment.neighbours).toBe(1);
  });
});
