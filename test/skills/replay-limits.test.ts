import { describe, expect, it } from 'vitest';
import { loadRobot } from '../../robots/load.js';
import { keyframesToTrajectory } from '../../robots/motion/skill-trajectory.js';
import { completeVelocities, curvePeaks } from '../../robots/motion/spline.js';
import { SequenceMemory } from '../../src/memory/sequence-memory.js';
import { recallSkill, robotJoints, teachSkill } from '../../src/skills/index.js';
import { peakRatio, recordDemo, skillDemos } from '../bench/skill-demos.js';

describe('a replayed skill asks for the acceleration the demonstration had', () => {
  it('peaks near the demonstration at 1x, so a skill shown at a fifth of the acceleration limits fits them at 2x without slowing', { timeout: 60000 }, () => {
    for (const arm of ['ur5e', 'panda']) {
      const robot = loadRobot(arm);
      const memory = new SequenceMemory();
      // demonstrations with pauses and passes, at up to 0.4 of the speed and 0.2 of the acceleration limits
      const demos = skillDemos(robot, 5, 4);
      demos.forEach((d, i) => teachSkill(memory, d.name, recordDemo(d, robot, 100 + i, { noise: 0.002, rate: 50 }), robotJoints(robot)));
      for (const d of demos) {
        const share = (tempo: number) =>
          curvePeaks(completeVelocities(keyframesToTrajectory(recallSkill(memory, d.name, { tempo }).keyframes, 0))).map((p, j) => ({
            speed: p.maxSpeed / robot.joints[j]!.maxSpeed,
            accel: p.maxAccel / robot.joints[j]!.maxAccel,
          }));
        const demo = peakRatio(d.at, d.length, robot);
        const at1 = Math.max(...share(1).map((p) => p.accel));
        // within 30% of what the hand did (a C2 cubic spline through the same keyframes asked about twice)
        expect(at1, `${d.name} at 1x`).toBeLessThan(1.3 * demo.accel);
        for (const p of share(2)) {
          expect(p.speed, `${d.name} at 2x`).toBeLessThanOrEqual(1);
          expect(p.accel, `${d.name} at 2x`).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});
