import { describe, expect, it } from 'vitest';
import { SimGripper } from '../../sim/gripper.js';
import { IndustrialArm } from '../../sim/industrial-arm.js';
import type { GripperResult } from '../../robots/driver.js';
import { HOME, SIX } from '../helpers/six-joint-arm.js';

describe('the simulated gripper', () => {
  it('travels at its speed from its time on, answers when there; a newer command preempts; stop cancels and holds', () => {
    const g = new SimGripper(0.4);
    g.command(1, 1);
    expect(g.advance(1)).toEqual([]);
    expect(g.position).toBe(0);
    expect(g.advance(1.2)).toEqual([]);
    expect(g.position).toBeCloseTo(0.5, 9);
    expect(g.advance(1.5)).toEqual([{ ok: true, closure: 1, position: 1 }]);
    // half way open, then told to close again: the first ends preempted where it was
    g.command(0, 2);
    g.command(1, 2.1);
    const r = g.advance(3);
    expect(r[0]).toMatchObject({ ok: false, closure: 0, error: expect.stringMatching(/preempted at 2\.100 s/) });
    expect(r[0]!.position).toBeCloseTo(0.75, 9);
    expect(r[1]).toEqual({ ok: true, closure: 1, position: 1 });
    // stop: the move under way and the queued one end cancelled; it stays where it was
    g.command(0, 3);
    g.command(1, 5);
    g.advance(3.2);
    expect(g.stop('stop command').map((x) => [x.ok, x.closure, x.error])).toEqual([[false, 0, 'gripper command cancelled (stop command)'], [false, 1, 'gripper command cancelled (stop command)']]);
    const held = g.position;
    expect(held).toBeCloseTo(0.5, 9);
    expect(g.advance(6)).toEqual([]);
    expect(g.position).toBe(held);
    expect(() => g.command(1.5, 7)).toThrow(/from 0 \(open\) to 1 \(closed\)/);
  });

  it('on the industrial arm: reported with its joint states, answered as gripper events; an arm without one says so', () => {
    const arm = new IndustrialArm({ ...SIX, gripper: { seconds: 0.4 } }, { start: HOME });
    const answers: GripperResult[] = [];
    arm.events.on('gripper', (r) => answers.push(r));
    arm.grip(1, 0.1);
    arm.advance(0.3);
    expect(arm.state().gripper).toBeCloseTo(0.5, 1);
    arm.advance(1);
    expect(arm.state().gripper).toBe(1);
    expect(answers).toEqual([{ ok: true, closure: 1, position: 1 }]);
    arm.grip(0, 2);
    arm.stop('stop command');
    expect(answers[1]).toMatchObject({ ok: false, closure: 0, error: expect.stringMatching(/cancelled \(stop command\)/) });
    const bare = new IndustrialArm(SIX, { start: HOME });
    const said: GripperResult[] = [];
    bare.events.on('gripper', (r) => said.push(r));
    bare.grip(1);
    expect(said).toEqual([{ ok: false, closure: 1, error: 'six-joint test arm has no gripper' }]);
    expect(bare.state().gripper).toBeUndefined();
  });
});
