import { afterEach, describe, expect, it } from 'vitest';
import { RosArmDriver } from '../../bridge/ros/ros-arm-driver.js';
import { SafetyGate } from '../../bridge/safety-gate.js';
import { forward, inverse } from '../../robots/planar.js';
import { armBehind, left, NAMES } from '../helpers/ros-arm.js';
import { startRosbridge } from '../helpers/rosbridge-server.js';

describe('an arm behind rosbridge (test server speaking rosbridge v2 over WebSocket)', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });

  for (const version of [1, 2] as const) {
    it(`ROS ${version}: reads joint states by name and drives the arm with JointTrajectory`, async () => {
      const bridge = await startRosbridge();
      const sim = armBehind(bridge, version === 2);
      const driver = new RosArmDriver({ url: bridge.url, description: left, jointNames: NAMES, rosVersion: version });
      cleanup.push(() => driver.close(), sim.stop, () => bridge.close());
      await driver.connect();
      await expect.poll(() => driver.state().positions.length).toBe(3);
      expect(driver.state().positions[0]).toBeCloseTo(sim.q0[0]!, 3);
      const gate = new SafetyGate(driver, { watchdogMs: 1000 });
      cleanup.push(() => gate.dispose());
      const target = inverse(left, 0.45, 0.05)!;
      const t = driver.state().time;
      gate.follow([
        { time: t + 0.1, positions: driver.state().positions, velocities: [0, 0, 0] },
        { time: t + 0.8, positions: target, velocities: [0, 0, 0] },
      ]);
      await expect.poll(() => forward(left, sim.arm.state().positions)[2]!.x, { timeout: 5000 }).toBeGreaterThan(0.44);
      expect(bridge.published.get(version === 2 ? '/arm_controller/joint_trajectory' : '/arm_controller/command')![0]).toMatchObject({ joint_names: NAMES });
    }, 20_000);
  }

  for (const version of [1, 2] as const) {
    it(`ROS ${version}: drives the arm through the FollowJointTrajectory action (${version === 1 ? 'actionlib' : 'ROS 2 action'}), gets the result, and stop cancels the goal`, async () => {
      const bridge = await startRosbridge();
      const sim = armBehind(bridge, version === 2);
      const driver = new RosArmDriver({ url: bridge.url, description: left, jointNames: NAMES, rosVersion: version, command: 'action' });
      cleanup.push(() => driver.close(), sim.stop, () => bridge.close());
      await driver.connect();
      await expect.poll(() => driver.state().positions.length).toBe(3);
      const results: Array<{ ok: boolean; error?: string }> = [];
      driver.events.on('result', (r) => results.push(r));
      const target = inverse(left, 0.45, 0.05)!;
      let t = driver.state().time;
      driver.follow([
        { time: t + 0.1, positions: driver.state().positions, velocities: [0, 0, 0] },
        { time: t + 0.7, positions: target, velocities: [0, 0, 0] },
      ]);
      await expect.poll(() => results.length, { timeout: 5000 }).toBe(1);
      expect(results[0]).toEqual({ ok: true, code: 0 });
      expect(forward(left, sim.arm.state().positions)[2]!.x).toBeGreaterThan(0.44);
      // a long move, cancelled half way by stop(): the arm holds where it was
      t = driver.state().time;
      driver.follow([
        { time: t + 0.1, positions: target, velocities: [0, 0, 0] },
        { time: t + 3, positions: sim.q0, velocities: [0, 0, 0] },
      ]);
      await new Promise((r) => setTimeout(r, 800));
      driver.stop();
      await new Promise((r) => setTimeout(r, 200));
      const held = sim.arm.state().positions;
      await new Promise((r) => setTimeout(r, 400));
      sim.arm.state().positions.forEach((q, j) => expect(Math.abs(q - held[j]!)).toBeLessThan(1e-3));
      if (version === 1) expect(bridge.published.get('/arm_controller/follow_joint_trajectory/cancel')?.length).toBe(1);
      else expect(sim.cancels.n).toBe(1);
      expect(forward(left, sim.arm.state().positions)[2]!.x).toBeGreaterThan(0.32);
    }, 20_000);
  }

  it('refuses commands while the link is down (roslib would queue them), reconnects with backoff and gets joint states again', async () => {
    const bridge = await startRosbridge();
    const port = bridge.port;
    let sim = armBehind(bridge);
    const driver = new RosArmDriver({ url: bridge.url, description: left, jointNames: NAMES, backoffMs: [100, 400] });
    cleanup.push(() => driver.close());
    await driver.connect();
    await expect.poll(() => driver.state().positions.length).toBe(3);
    sim.stop();
    await bridge.close();
    await expect.poll(() => driver.connected).toBe(false);
    expect(() => driver.follow([{ time: 1, positions: sim.q0 }])).toThrow(/link is down, the command is refused/);
    // the bridge comes back on the same port
    const again = await startRosbridge(port);
    sim = armBehind(again);
    cleanup.push(sim.stop, () => again.close());
    await expect.poll(() => driver.connected, { timeout: 10_000 }).toBe(true);
    const before = driver.state().time;
    await expect.poll(() => driver.state().time !== before, { timeout: 5000 }).toBe(true); // re-subscribed
    expect(again.published.get('/arm_controller/command')).toBeUndefined(); // nothing was queued and flushed
  }, 30_000);
});
