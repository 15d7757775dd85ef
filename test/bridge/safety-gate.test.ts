import { describe, expect, it } from 'vitest';
import { SafetyError, SafetyGate } from '../../bridge/safety-gate.js';
import type { DriverEvents, JointState, RobotDriver, TrajectoryPoint } from '../../robots/driver.js';
import { Emitter } from '../../robots/events.js';
import { loadRobot } from '../../robots/load.js';

const robot = loadRobot('ur5e-planar');

/** A driver that records what reaches it. */
function fakeDriver() {
  const sent: string[] = [];
  const driver: RobotDriver = {
    description: robot,
    events: new Emitter<DriverEvents>(),
    follow: (p: TrajectoryPoint[]) => void sent.push(`follow ${p.length}`),
    press: (f: number) => void sent.push(`press ${f}`),
    release: (f: number) => void sent.push(`release ${f}`),
    state: (): JointState => ({ time: 0, positions: [0, 0, 0], velocities: [0, 0, 0], fingers: [] }),
    stop: () => void sent.push('stop'),
  };
  return { driver, sent };
}

function gate(opts: { watchdogMs?: number } = {}) {
  const { driver, sent } = fakeDriver();
  let now = 0;
  let tick: () => void = () => {};
  const g = new SafetyGate(driver, { ...opts, now: () => now, setInterval: (fn) => ((tick = fn), 1), clearInterval: () => {} });
  return { g, sent, advance: (ms: number) => ((now += ms), tick()) };
}

const ok = (t: number, q = [0.5, -0.5, 0]): TrajectoryPoint => ({ time: t, positions: q });

describe('the safety gate', () => {
  it('passes commands inside the limits', () => {
    const { g, sent } = gate();
    g.follow([ok(0), ok(1, [0.6, -0.5, 0])]);
    g.press(3, 0.01);
    g.release(3);
    expect(sent).toEqual(['follow 2', 'press 3', 'release 3']);
  });

  it('refuses targets outside joint and speed limits, naming the joint, and sends nothing', () => {
    const { g, sent } = gate();
    expect(() => g.follow([ok(0, [4, 0, 0])])).toThrow(/joint shoulder position 4 rad is outside/);
    expect(() => g.follow([ok(0), ok(0.1, [1.5, -0.5, 0])])).toThrow(/joint shoulder would move at 10\.000 rad\/s, over its 3\.1416/);
    expect(() => g.follow([{ time: 0, positions: [0, 0, 0], velocities: [0, 9, 0] }])).toThrow(/joint elbow speed 9 rad\/s/);
    expect(() => g.follow([{ time: 0, positions: [0, 0] }])).toThrow(/needs a time and 3 joint positions/);
    expect(() => g.press(30, 0.01)).toThrow(/finger 30 does not exist/);
    expect(() => g.press(2, 0.5)).toThrow(/extension 0.5 m is outside/);
    expect(sent).toEqual([]);
  });

  it('refuses (never queues) commands while disconnected, and stops the robot when the link drops', () => {
    const { g, sent } = gate();
    g.setConnected(false);
    expect(sent).toEqual(['stop']);
    expect(() => g.follow([ok(0)])).toThrow(SafetyError);
    expect(() => g.press(1, 0.01)).toThrow(/refused, not queued|stopped/);
    g.setConnected(true);
    expect(() => g.follow([ok(0)])).toThrow(/is stopped \(link lost\): resume/); // reconnecting does not resume by itself
    g.resume();
    g.follow([ok(0)]);
    expect(sent).toEqual(['stop', 'follow 1']);
  });

  it('stop always reaches the robot and wins over later commands', () => {
    const { g, sent } = gate();
    g.stop();
    g.stop();
    g.setConnected(false);
    g.stop();
    expect(sent.filter((s) => s === 'stop').length).toBe(4);
    expect(() => g.follow([ok(0)])).toThrow(/stopped/);
  });

  it('stops the robot when its joint states stop arriving', () => {
    const { g, sent, advance } = gate({ watchdogMs: 200 });
    g.follow([ok(0)]);
    advance(150);
    g.heartbeat();
    advance(150);
    expect(sent).toEqual(['follow 1']);
    advance(100);
    expect(sent).toEqual(['follow 1', 'stop']);
    expect(g.lastStopReason).toMatch(/no joint state for 200 ms/);
  });
});
