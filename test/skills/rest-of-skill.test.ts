import { describe, expect, it } from 'vitest';
import { restOfSkill } from '../../src/skills/recognise-skill.js';

const kf = (time: number, dwell = 0) => ({ time, positions: [time, -time], dwell });
const KEYFRAMES = [kf(0, 0.5), kf(1), kf(2, 0.3), kf(3)];

describe('the rest of a skill from where a motion got to', () => {
  it('keeps the keyframes not yet reached, from the first of them, and the gripper events not yet due', () => {
    const r = restOfSkill(KEYFRAMES, 1.5, [{ time: 0.5, closure: 1 }, { time: 1.8, closure: 0 }, { time: 2.5, closure: 1 }]);
    expect(r.keyframes).toEqual([{ time: 0, positions: [2, -2], dwell: 0.3 }, { time: 1, positions: [3, -3], dwell: 0 }]);
    // the one already done is not done again; one due before the first keyframe left acts at the start
    expect(r.gripper).toEqual([{ time: 0, closure: 0 }, { time: 0.5, closure: 1 }]);
  });

  it('goes on with what is left of a pause the motion is in', () => {
    const r = restOfSkill(KEYFRAMES, 2.1);
    expect(r.keyframes.map((k) => [+k.time.toFixed(6), +k.dwell.toFixed(6)])).toEqual([[0, 0.2], [0.9, 0]]);
    expect(r.keyframes[0]!.positions).toEqual([2, -2]);
  });

  it('leaves nothing past the end', () => {
    expect(restOfSkill(KEYFRAMES, 3.5).keyframes).toEqual([]);
  });
});
