import { afterEach, describe, expect, it } from 'vitest';
import { RosArmDriver } from '../../bridge/ros/ros-arm-driver.js';
import { SafetyGate } from '../../bridge/safety-gate.js';
import { forward, inverse } from '../../robots/kinematics.js';
import { loadKeyboard, loadRobot } from '../../robots/load.js';
import { armPair } from '../../sim/perform.js';
import { World } from '../../sim/world.js';
import { startRosbridge, type TestRosbridge } from '../helpers/rosbridge-server.js';

const kb = loadKeyboard();
const [left] = armPair(loadRobot('ur5e-planar'), kb);
const NAMES = ['shoulder_joint', 'elbow_joint', 'wrist_joint'];

/** The simulated arm behind the test rosbridge: follows JointTrajectory, publishes JointState at 50 Hz. */
function armBehind(bridge: TestRosbridge, ros2 = false) {
  const q0 = inverse(left, 0.3, 0.02)!;
  const world = new World(kb, [{ robot: left, startQ: q0 }], { dtMs: 2 });
  const arm = world.arms[0]!;
  const start = Date.now();
  const now = () => (Date.now() - start) / 1000;
  const secs = (s: { sec?: number; secs?: number; nanosec?: number; nsecs?: number }) => (s.sec ?? s.secs ?? 0) + (s.nanosec ?? s.nsecs ?? 0) / 1e9;
  /** Runs a trajectory_msgs/JointTrajectory; returns when it ends (s, arm clock), or an error_code. */
  const run = (traj: any): { end: number } | { error: number; why: string } => {
    if (traj.points.length === 0) return arm.stop(), { end: now() };
    const order = NAMES.map((n) => traj.joint_names.indexOf(n));
    if (order.some((i) => i < 0)) return { error: -2, why: 'INVALID_JOINTS' };
    const t0 = secs(traj.header.stamp);
    const pts = traj.points.map((p: any) => ({ time: t0 + secs(p.time_from_start), positions: order.map((i: number) => p.positions[i]), velocities: p.velocities.length ? order.map((i: number) => p.velocities[i]) : undefined }));
    arm.follow(pts);
    return { end: pts[pts.length - 1].time };
  };
  const later = (end: number, fn: () => void) => setTimeout(fn, Math.max(0, (end - now()) * 1000));
  const goals: Array<{ canceled: boolean }> = [];
  const cancels = { n: 0 };
  bridge.onPublish = (topic, msg: any) => {
    if (topic === (ros2 ? '/arm_controller/joint_trajectory' : '/arm_controller/command')) return void run(msg);
    // ROS 1 actionlib: goal and cancel are topics; result and status go back as topics
    if (topic === '/arm_controller/follow_joint_trajectory/goal') {
      const r = run(msg.goal.trajectory);
      const goalStatus = (st: number) => ({ goal_id: msg.goal_id, status: st, text: '' });
      const g = { canceled: false };
      goals.push(g);
      const done = () => {
        if (g.canceled) return;
        const ok = 'end' in r;
        bridge.publish('/arm_controller/follow_joint_trajectory/result', { header: {}, status: goalStatus(ok ? 3 : 4), result: ok ? { error_code: 0 } : { error_code: r.error, error_string: r.why } });
      };
      bridge.publish('/arm_controller/follow_joint_trajectory/status', { header: {}, status_list: [goalStatus(1)] });
      if ('end' in r) later(r.end, done);
      else done();
    }
    if (topic === '/arm_controller/follow_joint_trajectory/cancel') {
      for (const g of goals) g.canceled = true;
      arm.stop();
    }
  };
  // ROS 2 action (rosbridge send_action_goal)
  bridge.actions.set('/arm_controller/follow_joint_trajectory', (goal) => {
    const r = run(goal.args.trajectory);
    goal.onCancel = () => (cancels.n++, arm.stop(), goal.result({ error_code: 0 }, 5));
    if (!('end' in r)) return goal.result({ error_code: r.error, error_string: r.why }, 6);
    goal.feedback({ joint_names: NAMES });
    later(r.end, () => goal.canceled || goal.result({ error_code: 0 }));
  });
  const timer = setInterval(() => {
    world.run(now());
    const s = arm.state();
    const t = now();
    // joint order scrambled on purpose: drivers must match by name
    bridge.publish('/joint_states', {
      header: { stamp: ros2 ? { sec: Math.floor(t), nanosec: Math.round((t % 1) * 1e9) } : { secs: Math.floor(t), nsecs: Math.round((t % 1) * 1e9) } },
      name: [NAMES[2], NAMES[0], NAMES[1]],
      position: [s.positions[2], s.positions[0], s.positions[1]],
      velocity: [s.velocities[2], s.velocities[0], s.velocities[1]],
    });
  }, 20);
  return { arm, q0, goals, cancels, stop: () => clearInterval(timer) };
}

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
      driver.onState = () => gate.heartbeat();
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
      driver.onResult = (r) => results.push(r);
      const target = inverse(left, 0.45, 0.05)!;
      let t = driver.state().time;
      driver.follow([
        { time: t + 0.1, positions: driver.state().positions, velocities: [0, 0, 0] },
        { time: t + 0.7, positions: target, velocities: [0, 0, 0] },
      ]);
      await expect.poll(() => results.length, { timeout: 5000 }).toBe(1);
      expect(results[0]).toEqual({ ok: true, error: undefined });
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
